// The harness's own record of payload starts, live: every SUT process gets the path of the
// harness's wrapper (payload-wrapper.sh) and of a record file in its environment; an executor
// that runs its payloads through the wrapper leaves one line per start there before the payload
// runs. The system's own start log (e.g. sut:executions) is then a second witness, held against
// this one, instead of the only one: an executor that logs only some starts cannot hide a rerun.

import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './binaries.ts';
import type { HistoryRecorder } from '../history/recorder.ts';
import type { PayloadStartEntry } from '../history/types.ts';

/** the wrapper an executor runs each payload through: `wrapper RECORD JOB_ID ATTEMPT EXECUTOR_ID -- COMMAND...` */
export const PAYLOAD_WRAPPER = path.join(PROJECT_ROOT, 'harness', 'env', 'payload-wrapper.sh');
/** the environment variables that name the wrapper and the record file to a SUT process */
export const WRAPPER_VAR = 'CHAOS_PAYLOAD_WRAPPER';
export const RECORD_VAR = 'CHAOS_PAYLOAD_RECORD';

/** One line of the record: `<wall ms>\t<job id>\t<attempt>\t<executor id>`; undefined for anything else. */
export function parseRecordLine(line: string): { wallMs: number; jobId: string; attempt: number; executorId: string } | undefined {
  const fields = line.split('\t');
  if (fields.length !== 4) return undefined;
  const [ms, jobId, attempt, executorId] = fields as [string, string, string, string];
  if (!/^\d+$/.test(ms) || !/^\d+$/.test(attempt) || !jobId || !executorId) return undefined;
  return { wallMs: Number(ms), jobId, attempt: Number(attempt), executorId };
}

/**
 * A record file of the harness's own in `dir` (the environment's: its Redis temp dir, which every
 * exit path removes, a SIGKILLed harness's too). Only named here: the wrapper creates it at the
 * first start, so an environment that never ran a payload leaves nothing behind.
 */
export class PayloadRecord {
  /** unguessable, as the wrapper appends to whatever is at this path */
  readonly file: string;

  constructor(dir = tmpdir()) {
    this.file = path.join(dir, `chaos-payloads-${randomUUID()}.tsv`);
  }

  /** what a SUT process needs in its environment to run payloads through the wrapper into this record */
  env(): Record<string, string> {
    return { [WRAPPER_VAR]: PAYLOAD_WRAPPER, [RECORD_VAR]: this.file };
  }

  /** Empty again, for the next run and at the end (the wrapper creates the file at the next start). */
  clear(): void {
    rmSync(this.file, { force: true });
  }

  /** Every start recorded since the last clear, on the run's timeline (as a log's wall-clock times are). */
  starts(history: HistoryRecorder): PayloadStartEntry[] {
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return []; // no payload started
    }
    const entries: PayloadStartEntry[] = [];
    for (const line of text.split('\n')) {
      const r = parseRecordLine(line);
      if (r) entries.push({ kind: 'payload', t: history.fromWall(r.wallMs), jobId: r.jobId, attempt: r.attempt, executorId: r.executorId });
    }
    return entries;
  }
}
