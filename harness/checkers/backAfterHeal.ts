// back-after-heal: once every fault is healed, the system is back within its own promise. Every
// other checker waits for the system: a settle period, a liveness probe after it, each with a
// bound made for the slowest path (a stuck connection's timeout). A system that comes back
// seconds late after an outage (a reconnect backoff grown past the outage, a client that gives
// up and is restarted by a supervisor) passes them all: its work is done in the end.
//
// A system that promises to answer within some time once healed (ShapeEntry.recoveryWithinMs,
// the reference system's reconnect retry and one request's round trips) is held to it at its
// front door: every request the client had in flight at the final heal, or sent after it, must
// be answered (ok, refused, or an error status) within the promise of the heal, or of its sending
// when later. A request answered later, or left unanswered past it (the client gave up on it after
// the promise was due), is a violation. A request the client gave up on before the promise was
// due is not judged. Nothing is judged when the schedule healed nothing, or when the front door
// was down at the liveness probe (left down by the schedule: no request could be answered).
//
// The client's entries and the fault steps' ends are stamped by one clock, the harness's: no
// margin between them is needed.

import type { ClientEntry, ClientError, History, Verdict } from '../history/types.ts';
import { Findings } from './findings.ts';

const CHECKER = 'backAfterHeal';

/** an error with no HTTP status: no answer came (a timeout, a refused or reset connection) */
const unanswered = (c: ClientEntry): boolean => c.type === 'info' && (c.value as Partial<ClientError> | undefined)?.status === undefined;

export function backAfterHeal(history: History): Verdict {
  let promised: number | undefined;
  let healedAt = -Infinity;
  let frontDoorUp = true;
  const invokes = new Map<number, ClientEntry>();
  const completions: ClientEntry[] = [];
  for (const e of history) {
    if (e.kind === 'shape') promised = e.recoveryWithinMs;
    else if (e.kind === 'nemesis' && e.type === 'end') healedAt = Math.max(healedAt, e.t);
    else if (e.kind === 'probe') frontDoorUp = e.frontDoorUp;
    else if (e.kind === 'client') {
      if (e.type === 'invoke') invokes.set(e.opId, e);
      else completions.push(e);
    }
  }
  const findings = new Findings();
  if (promised === undefined || healedAt === -Infinity || !frontDoorUp) return findings.verdict(CHECKER, { requests: 0, slowestMs: 0 });
  let requests = 0;
  let slowestMs = 0;
  for (const done of completions) {
    const sent = invokes.get(done.opId);
    if (!sent || done.t < healedAt) continue; // over before the heal
    const from = Math.max(sent.t, healedAt);
    const due = from + promised;
    if (unanswered(done) && done.t <= due) continue; // the client gave up before the promise was due
    requests++;
    slowestMs = Math.max(slowestMs, Math.round(done.t - from));
    if (done.t <= due) continue;
    const what = `${done.f} ${JSON.stringify(sent.value).slice(0, 80)}`;
    const late = Math.round(done.t - from);
    const since = sent.t >= healedAt ? `after it was sent (t=${sent.t}ms)` : `after the final heal (t=${healedAt}ms; sent at t=${sent.t}ms)`;
    const how = unanswered(done) ? `had no answer ${late} ms ${since}, when the client gave up (${(done.value as ClientError).error})` : `was answered ${late} ms ${since}`;
    findings.add({
      message: `the front door was not back in time after the final heal: request ${what} ${how}; the system promises an answer within ${promised} ms once every fault is healed (SystemModule.recoveryWithinMs)`,
      at: done.t,
      entries: [sent, done],
    });
  }
  return findings.verdict(CHECKER, { requests, slowestMs });
}
