// back-after-heal: once every fault is healed, the system is back within its own promise. Every
// other checker waits for the system: a settle period, a liveness probe after it, each with a
// bound made for the slowest path (a stuck connection's timeout). A system that comes back
// seconds late after an outage (a reconnect backoff grown past the outage, a client that gives
// up and is restarted by a supervisor) passes them all: its work is done in the end.
//
// A system that promises to answer within some time once healed (ShapeEntry.recoveryWithinMs,
// the reference system's reconnect retry and one request's round trips) is held to it twice:
// - At its front door: every request the client had in flight at the final heal, or sent after
//   it, must be answered (ok, refused, or an error status) within the promise of the heal, or of
//   its sending when later. A request answered later, or left unanswered past it (the client gave
//   up on it after the promise was due), is a violation. A request the client gave up on before
//   the promise was due is not judged. The client's entries and the fault steps' ends are stamped
//   by one clock, the harness's: no margin between them is needed.
// - At its workers: while a job waits (no payload of it started yet, no cancel asked for it) and no
//   payload of any job is running (every start the harness saw has reported its outcome, or died
//   with its worker or executor: every worker has a hand free), some payload must start within the
//   promise. A job acknowledged after the final heal waits from its acknowledgement. One
//   acknowledged before it, not finished, and not running anywhere (never started, or its payload
//   died with its worker or executor) waits from a lease after the heal (ShapeEntry.leaseMs): by
//   then whoever held it, dead, cut off or paused until the heal, has let go of it, and it is
//   anybody's to take over. A fleet that sits idle longer with work waiting is not back (an idle
//   worker that looks for a dead worker's jobs only when new work wakes it). Jobs acknowledged
//   before a Redis restart or wipe are not judged there: Redis may have lost them. Starts are the
//   harness's own record of payload starts (a run without any is not judged here); live, a start
//   is recorded when the payload's wrapper runs, a spawn after the worker took the job, so the
//   promise widens by clock margins there.
// Nothing is judged when the schedule healed nothing, or when the front door was down at the
// liveness probe (left down by the schedule: no request could be answered, no work offered);
// the workers' half neither when no worker was up at the probe.

import type { ClientEntry, ClientError, History, PayloadStartEntry, ProbeEntry, Verdict } from '../history/types.ts';
import { effectOf, familyOf, finalHealAt } from './effects.ts';
import { Findings } from './findings.ts';
import { observe, type Observations } from './observations.ts';
import { redisMayHaveLostUntil } from './erasure.ts';
import { finishTimes } from './progress.ts';
import { rolesOf, type Roles } from './roles.ts';
import { isTerminal } from './spec.ts';

const CHECKER = 'backAfterHeal';

/** an error with no HTTP status: no answer came (a timeout, a refused or reset connection) */
const unanswered = (c: ClientEntry): boolean => c.type === 'info' && (c.value as Partial<ClientError> | undefined)?.status === undefined;

/** live, a payload start recorded by its wrapper trails the worker's taking the job by a spawn: this many clock margins (ShapeEntry.clockMarginMs) more */
const LIVE_START_MARGINS = 20;

export function backAfterHeal(history: History, obs: Observations = observe(history)): Verdict {
  const promised = obs.shape?.recoveryWithinMs;
  const healedAt = finalHealAt(obs.nemesis);
  // the client's operations by opId (one counter for a history's clients), cancels asked, the probe: one pass
  let probe: ProbeEntry | undefined;
  const invokes = new Map<number, ClientEntry>();
  const completions: ClientEntry[] = [];
  const cancelAsked = new Set<string>();
  for (const e of history) {
    if (e.kind === 'probe') probe = e;
    else if (e.kind === 'client') {
      if (e.type !== 'invoke') completions.push(e);
      else {
        invokes.set(e.opId, e);
        if (e.f === 'cancel') cancelAsked.add(String((e.value as { jobId?: unknown })?.jobId));
      }
    }
  }
  const findings = new Findings();
  if (promised === undefined || healedAt === undefined || probe?.frontDoorUp === false) return findings.verdict(CHECKER, { requests: 0, slowestMs: 0, idleWithWorkMs: 0 });
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
  let idleWithWorkMs = 0;
  if (probe === undefined || probe.workers.length > 0) {
    const roles = rolesOf(obs);
    const allowMs = promised + LIVE_START_MARGINS * roles.clockMarginMs;
    for (const idle of idleWithWork(history, obs, roles, healedAt, cancelAsked)) {
      idleWithWorkMs = Math.max(idleWithWorkMs, Math.round(idle.to - idle.from));
      if (idle.to - idle.from <= allowMs) continue;
      const how = idle.startedBy ? `until job ${idle.startedBy.jobId} started on ${idle.startedBy.executorId} at t=${idle.to}ms` : `until t=${idle.to}ms, when ${idle.ended}`;
      findings.add({
        message: `the workers were not back in time after the final heal (t=${healedAt}ms): from t=${idle.from}ms job ${idle.waiting.slice(0, 5).join(', ')}${idle.waiting.length > 5 ? ` and ${idle.waiting.length - 5} more` : ''} (${idle.leftFromBefore ? `left from before the heal, anybody's to take a lease after it, from t=${idle.from}ms` : 'acknowledged after the heal'}) waited while no payload ran anywhere, and none started ${how}: ${Math.round(idle.to - idle.from)} ms; the system promises to be back within ${promised} ms once every fault is healed (SystemModule.recoveryWithinMs${roles.clockMarginMs ? `; ${allowMs} ms allowed live` : ''})`,
        jobId: idle.waiting[0],
        at: idle.to,
        ...(idle.startedBy ? { entries: [idle.startedBy] } : {}),
      });
    }
  }
  return findings.verdict(CHECKER, { requests, slowestMs, idleWithWorkMs });
}

/** A stretch after the heal in which a job waited and no payload ran: from, to, the jobs waiting at its start, what ended it. */
interface IdleWithWork {
  from: number;
  to: number;
  waiting: string[];
  /** some job waiting at its start was acknowledged before the heal (it waits from a lease after the heal) */
  leftFromBefore: boolean;
  /** the start that ended it; absent when it ran to a job's end without a start (cancelled, lost) or to the end of the history */
  startedBy?: PayloadStartEntry;
  ended?: string;
}

/**
 * The maximal stretches after `healedAt` in which some job waited (not yet started, not terminal,
 * no cancel asked for it: acknowledged after the heal, or before it and left by whoever held it,
 * from a lease after the heal) while no payload the harness saw start was still running (started,
 * its outcome not yet reported, its worker and executor not dead since). A start whose outcome
 * never came, on a worker that lived on, keeps the fleet busy for good.
 */
function idleWithWork(history: History, obs: Observations, roles: Roles, healedAt: number, cancelAsked: ReadonlySet<string>): IdleWithWork[] {
  const starts = obs.payloadStarts;
  if (starts.length === 0) return [];
  const end = obs.snapshot?.t ?? history.reduce((m, e) => Math.max(m, e.t), -Infinity);

  // each start keeps the fleet busy until its outcome
  const finished = finishTimes(roles, { executions: obs.executions, transitions: obs.jobs.flatMap((r) => r.steps.map((s) => s.entry)) });
  // ... or until its worker or its executor died (a kill or restart takes the payload down with it)
  const deaths = obs.nemesis.filter((n) => n.type === 'start' && (n.outcome ?? 'ok') === 'ok' && effectOf(n) === 'ends' && familyOf(n) === 'process');
  const diedAt = (worker: string, after: number): number => {
    let at = Infinity;
    for (const n of deaths) {
      const hit = roles.hit(n);
      if (n.t >= after && n.t < at && ((hit.kind === 'process' && hit.id === worker) || (hit.kind === 'executor' && hit.worker === worker))) at = n.t;
    }
    return at;
  };
  const busy = starts.map((p) => {
    const worker = roles.workerOf(p.executorId);
    const reported = worker === undefined ? Infinity : finished(p, worker);
    return { start: p, from: p.t, to: worker === undefined ? Infinity : Math.min(reported, diedAt(worker, p.t)), reported: reported !== Infinity };
  });

  // a job acknowledged before the heal is judged from a lease after it, and not at all when Redis
  // restarted or was wiped after its acknowledgement (it may be gone: erasure.ts)
  const leaseMs = obs.shape?.leaseMs;
  const redisLostAt = redisMayHaveLostUntil(obs.nemesis);
  const startsOf = new Map<string, (typeof busy)[number][]>();
  for (const b of busy) startsOf.set(b.start.jobId, [...(startsOf.get(b.start.jobId) ?? []), b]);

  // each job waits from its acknowledgement (or a lease after the heal) to its first start since, or its terminal state
  const waits: { jobId: string; from: number; to: number; why: string; start?: PayloadStartEntry; before: boolean }[] = [];
  for (const r of obs.jobs) {
    const ok = r.origin?.submit.completion;
    if (!ok || ok.type !== 'ok' || cancelAsked.has(r.jobId)) continue;
    const own = startsOf.get(r.jobId) ?? [];
    let from = ok.t;
    if (ok.t < healedAt) {
      if (leaseMs === undefined || ok.t <= redisLostAt) continue;
      from = healedAt + leaseMs;
      // started before then and still running, or its outcome reported: it waits for no worker
      if (own.some((b) => b.from < from && (b.to >= from || b.reported))) continue;
    }
    const start = own.map((b) => b.start).filter((p) => p.t >= from || ok.t >= healedAt).reduce<PayloadStartEntry | undefined>((a, p) => (!a || p.t < a.t ? p : a), undefined);
    const terminal = r.steps.find((s) => s.applied && isTerminal(s.to));
    let to = end;
    let why = 'the history ends';
    if (terminal && terminal.t < to) [to, why] = [terminal.t, `job ${r.jobId} became ${terminal.to} without a start the harness saw`];
    if (start && start.t <= to) [to, why] = [start.t, 'started'];
    if (to > from) waits.push({ jobId: r.jobId, from, to, why, before: ok.t < healedAt, ...(start && start.t === to ? { start } : {}) });
  }
  if (waits.length === 0) return [];
  const points = [...new Set([...waits.flatMap((w) => [w.from, w.to]), ...busy.flatMap((b) => [b.from, b.to]).filter(Number.isFinite)])].filter((t) => t >= healedAt).sort((a, b) => a - b);
  const out: IdleWithWork[] = [];
  let open: IdleWithWork | undefined;
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i]!, points[i + 1]!];
    const waiting = waits.filter((w) => w.from <= a && w.to >= b);
    const running = busy.some((x) => x.from <= a && x.to >= b);
    if (waiting.length > 0 && !running) {
      if (open && open.to === a) open.to = b;
      else out.push((open = { from: a, to: b, waiting: waiting.map((w) => w.jobId), leftFromBefore: waiting.some((w) => w.before) }));
      const ending = waits.find((w) => w.to === b && waiting.includes(w));
      if (ending?.start) [open.startedBy, open.ended] = [ending.start, undefined];
      else if (ending) open.ended = ending.why;
    } else open = undefined;
  }
  // a stretch ended by a start of a job not among those waiting at its end: that start is what ended it
  for (const o of out) if (!o.startedBy) {
    const s = starts.find((p) => p.t === o.to);
    if (s) o.startedBy = s;
  }
  return out;
}
