#!/bin/sh
# The harness's own witness of payload starts: an executor given this script (env
# CHAOS_PAYLOAD_WRAPPER, with CHAOS_PAYLOAD_RECORD) runs each payload through it as
#
#   payload-wrapper.sh RECORD JOB_ID ATTEMPT EXECUTOR_ID -- COMMAND [ARG...]
#
# It appends "<wall-clock ms>\t<job id>\t<attempt>\t<executor id>\n" to RECORD, then execs COMMAND.
# exec, not a child: the payload is this very process (same pid, process group, stdin, stdout),
# so the executor kills and reads it as before, and the start is on record before the payload
# runs, whatever happens to the executor afterwards. printf writes the line in one write(2) on an
# O_APPEND descriptor (>>), so concurrent starts never interleave. Nothing is exported: the
# payload's environment is exactly the one the executor gave (PATH only).

if [ "$#" -lt 6 ] || [ "$5" != "--" ]; then
  echo "usage: payload-wrapper.sh RECORD JOB_ID ATTEMPT EXECUTOR_ID -- COMMAND [ARG...]" >&2
  exit 127
fi
record=$1 job=$2 attempt=$3 executor=$4
shift 5
# GNU date has milliseconds (%3N); one without them prints something else: whole seconds then
# (no date at all leaves ms empty: the harness skips a line without a time rather than misplace it)
ms=$(date +%s%3N 2>/dev/null)
case $ms in '' | *[!0-9]*) ms=$(date +%s 2>/dev/null) && ms=${ms}000 ;; esac
# a record that cannot be written must not change what the system does: the payload runs anyway
printf '%s\t%s\t%s\t%s\n' "$ms" "$job" "$attempt" "$executor" >>"$record" 2>/dev/null
exec "$@"
