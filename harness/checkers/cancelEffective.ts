// cancel-effective: a cancel the system acknowledged stops the job's payload (PROTOCOL.md, `POST
// /jobs/:id/cancel`): an executor that has not started the payload checks the cancel flag first
// and reports `cancelled` without running it; one that runs it polls the flag (within 100 ms) and
// kills it. So, once the front door has answered the cancel 202 (the flag is set before it
// answers), a payload of that job
// - does not start (rule `start`): every start (the harness's own record of it and the system's
//   executions log, the earlier of the two per job, attempt and executor) must come no later than
//   the ack plus a slack;
// - does not run on to its end (rule `end`): a start whose executor reported an outcome the payload
//   reaches only by running (completed; failed with the payload's own exit code; failed by its
//   timeout for one that outlives it) ran at least its duration (timeout) from its start; that end
//   must come no later than the ack plus the poll interval plus the slack. A payload killed by a
//   signal or reported cancelled stopped; it is not judged.
//
// Races are legitimate and allowed: a start whose flag check reached Redis just before the cancel
// (it is logged and started a round trip later), and a payload that ends before the executor's next
// poll of the flag. The slack is SLACK_MS in simulation (one clock, sub-millisecond links) and adds
// LIVE_SLACK_MARGINS clock margins live (two clocks, processes scheduled on a loaded machine).
//
// No excuse without a cause, as payloadOutcome and reexecution do (effects.ts): a fault on what ran
// that start (the worker whose executor it was, that executor, a link that carries either) or on
// Redis excuses it when it can keep the flag from being seen: a kill or restart (`ends`), a pause
// (`freezes`: a frozen executor polls nothing), a cut or stalled link (`cuts`, `stalls`: a check or
// poll fails, or a swallowed command is resent after the socket timeout), and only while it can:
// in place at some time from the job's submit until the offending start or end had to come (the
// ack plus the allowance), and, for a system that promises to be back within some time of a heal
// (ShapeEntry.recoveryWithinMs), healed less than that before. A payload that runs on for seconds
// after its executor is back is not excused by the outage it came back from (the cancel-flag-expires
// mistake: a flag with an expiry, gone once a long cut heals). An erasure of Redis (`erases`) that
// began once the flag was set took the flag for good: it excuses whatever came after it. A system
// that promises no recovery bound is excused by a fault in place at any time of the job's life.
// A delaying link (`delays`) does not excuse:
// it lengthens each message by its latency + jitter, so the allowance grows by DELAY_LEGS of them
// (the check's reply, the log entry and the start's replies; or the poll in flight, its reply and
// the next poll's round trip). Faults on keepers, the front door, another worker or the client
// link cannot hide the flag from this executor.
//
// Cancels answered 202 are judged, and so is a job the system recorded `cancelled` on a cancel's
// word (an applied transition to `cancelled` that no executor reported: the front door's event),
// from the earlier of the two: once the system says a job is cancelled, its payload must not start
// or run on, whatever became of the request (a front door that died after recording it, a client
// that gave up). A cancel that failed or whose outcome is unknown and that left no such record may
// not have taken effect, and a system that cannot cancel (the library applications answer 4xx) has
// none. The rule `end` reads the executor's outcome from the transition log, which logs an outcome
// the keeper ignored as stale: the checker needs both logs (index.ts). When a cancel was
// acknowledged but the logs could not be read, the verdict is unknown.

import type { ClientEntry, ExecutionEntry, History, NemesisEntry, Payload, PayloadStartEntry, TransitionEntry, Verdict } from '../history/types.ts';
import { effectOf, familyOf, stackedDelayOf, stepEnds } from './effects.ts';
import { Findings } from './findings.ts';
import { observe, type Observations } from './observations.ts';
import { hitsWorkers, rolesOf, type Roles } from './roles.ts';
import { expectedOutcome } from './spec.ts';
import { unread } from './unreadable.ts';

/** the reference system's promise (PROTOCOL.md: an executor that runs a job sees its cancel flag within 100 ms), as its module declares it (SystemModule.cancelWithinMs) */
export const CANCEL_POLL_MS = 100;
/** what a start or an end may come after the allowance in simulation: event-loop turns and sub-millisecond link hops */
export const SLACK_MS = 50;
/**
 * live, the slack grows by this many clock margins (ShapeEntry.clockMarginMs, 100 ms: 2,050 ms in
 * all): on a loaded machine an executor's poll timer can fire seconds late, and a correct system
 * whose poll was starved must not read as one that ignores cancels (the simulation holds the tight
 * bound; live catches a payload that runs on for seconds)
 */
export const LIVE_SLACK_MARGINS = 20;
/** messages of the executor's whose delay on a slowed link can add up between the cancel and a start or a kill */
export const DELAY_LEGS = 4;

type Start = ExecutionEntry | PayloadStartEntry;

/** What a cancel is judged from: the earlier of its 202 answer and the job's recorded `cancelled` (at least one of the two). */
interface Ack {
  invoke: ClientEntry | undefined;
  ok?: ClientEntry;
  /** the job's first applied transition to `cancelled` not reported by an executor */
  recorded?: TransitionEntry;
  /** when it took effect: the earlier of the two */
  t: number;
}

export interface CancelViolation {
  rule: 'start' | 'end';
  jobId: string;
  taskId?: string;
  ack: Ack;
  start: Start;
  /** rule `end`: the executor's outcome, and the earliest the payload can have ended */
  outcome?: TransitionEntry;
  endedBy?: number;
  /** how late the start or end may come after the ack */
  allowedMs: number;
  /** the worker that ran the start, when the shape names it */
  worker?: string;
}

export interface CancelJudgment {
  /** jobs whose cancel the front door answered 202 */
  cancelsAcked: number;
  /** jobs judged from their recorded `cancelled` alone (no 202 came for them) */
  cancelsRecorded: number;
  /** starts of those jobs held against the ack */
  startsJudged: number;
  /** of those, starts after the ack within the allowance (a flag check just before the cancel) */
  lateStartsAllowed: number;
  /** starts whose payload ran to its end after the ack, within the allowance (ended before the next poll) */
  lateEndsAllowed: number;
  /** the latest of those allowed starts and ends, in ms after the ack (how close the system came to the allowance) */
  latestAllowedMs: number;
  /** starts or ends past the allowance, explained by a fault */
  explained: number;
  /**
   * jobs cancelled while their payload ran and a fault held its executor off the flag (a cut or
   * stalled link, a pause, Redis down), a fault that healed, with the system's recovery promise and
   * the cancel promise, before the payload would end on its own: its executor had to see the flag
   * once it was back (a coverage figure, not a judgment)
   */
  acrossOutage: number;
  violations: CancelViolation[];
  /** a cancel was acknowledged but the logs that say what ran could not be read */
  undecided: boolean;
  /** the system's promise on cancels (ShapeEntry.cancelWithinMs); undefined: it makes none, and nothing is judged */
  promisedMs: number | undefined;
  /** how long after a heal a fault still explains a late start or end (recoveryWithinMs, live plus margins); undefined: at any time */
  recoveryMs: number | undefined;
}

/** The earliest answer 202 to a cancel of each job, with its request. */
function cancelAcks(history: History): Map<string, Ack> {
  const invokes = new Map<string, ClientEntry>();
  for (const e of history) if (e.kind === 'client' && e.f === 'cancel' && e.type === 'invoke') invokes.set(`${e.process}\u0000${e.opId}`, e);
  const acks = new Map<string, Ack>();
  for (const e of history) {
    if (e.kind !== 'client' || e.f !== 'cancel' || e.type !== 'ok') continue;
    const invoke = invokes.get(`${e.process}\u0000${e.opId}`);
    const asked = (invoke?.value as { jobId?: unknown } | undefined)?.jobId ?? (e.value as { jobId?: unknown } | null)?.jobId;
    if (typeof asked !== 'string') continue;
    const had = acks.get(asked);
    if (!had || e.t < had.t) acks.set(asked, { invoke, ok: e, t: e.t });
  }
  return acks;
}

/**
 * Each job's cancel as the system recorded it: its first applied transition to `cancelled` that
 * no executor of a worker reported (an executor reports `cancelled` for a payload it stopped or
 * never started; that one is not a cancel's word but its effect).
 */
function cancelsRecorded(obs: Observations, roles: Roles): Map<string, TransitionEntry> {
  const recorded = new Map<string, TransitionEntry>();
  for (const r of obs.jobs) {
    for (const step of r.steps) {
      if (!step.applied || step.to !== 'cancelled' || roles.workerOf(step.entry.sourceId) !== undefined) continue;
      const had = recorded.get(r.jobId);
      if (!had || step.entry.t < had.t) recorded.set(r.jobId, step.entry);
    }
  }
  return recorded;
}

/**
 * How long a payload must have run for its executor to report this outcome, or undefined when the
 * outcome says it was stopped (cancelled, killed by a signal) or is not the payload's own.
 */
export function ranAtLeast(outcome: TransitionEntry, payload: Payload, timeoutMs: number): number | undefined {
  const expected = expectedOutcome(payload, timeoutMs, 0);
  const ownEnd = Math.min(payload.durationMs, timeoutMs);
  if (outcome.type === 'completed') return payload.hang ? undefined : ownEnd;
  if (outcome.type !== 'failed') return undefined;
  const code = outcome.exitCode ?? null;
  if (code === null) return expected?.reason === 'timeout' ? timeoutMs : undefined;
  return !payload.hang && payload.exitCode !== 0 && code === payload.exitCode ? ownEnd : undefined;
}

const keyOf = (jobId: string, attempt: number, executorId: string) => `${jobId}\u0000${attempt}\u0000${executorId}`;

export function judgeCancels(history: History, obs: Observations): CancelJudgment {
  const roles = rolesOf(obs);
  const promisedMs = roles.shape?.cancelWithinMs;
  // how long after a heal the executor may still be blind (reconnecting): the system's promise to be
  // back (ShapeEntry.recoveryWithinMs), live plus the slack's clock margins; a system that promises
  // none is excused by a fault in place at any time of the job's life
  const recoveryMs = roles.shape?.recoveryWithinMs === undefined ? undefined : roles.shape.recoveryWithinMs + LIVE_SLACK_MARGINS * roles.clockMarginMs;
  const out: CancelJudgment = { cancelsAcked: 0, cancelsRecorded: 0, startsJudged: 0, lateStartsAllowed: 0, lateEndsAllowed: 0, latestAllowedMs: 0, explained: 0, acrossOutage: 0, violations: [], undecided: false, promisedMs, recoveryMs };
  const acks = cancelAcks(history);
  out.cancelsAcked = acks.size;
  for (const [jobId, recorded] of cancelsRecorded(obs, roles)) {
    const ack = acks.get(jobId);
    if (!ack) {
      out.cancelsRecorded++;
      acks.set(jobId, { invoke: undefined, recorded, t: recorded.t });
    } else if (recorded.t < ack.t) acks.set(jobId, { ...ack, recorded, t: recorded.t });
  }
  // a system that promises no bound on cancels (its module declares none) is not held to one
  if (acks.size === 0 || promisedMs === undefined) return out;
  const unreadable = obs.snapshot?.unreadable ?? [];
  if (!obs.snapshot || unread(unreadable, roles.evidence.executionsLog) || unread(unreadable, roles.evidence.transitionLog)) {
    out.undecided = true;
    return out;
  }
  const slackMs = SLACK_MS + LIVE_SLACK_MARGINS * roles.clockMarginMs;

  // each start of a cancelled job, the earliest record of it (the log may repeat one after a reconnect)
  const starts = new Map<string, Start>();
  for (const s of [...obs.payloadStarts, ...obs.executions]) {
    if (!acks.has(s.jobId)) continue;
    const k = keyOf(s.jobId, s.attempt, s.executorId);
    const had = starts.get(k);
    if (!had || s.t < had.t) starts.set(k, s);
  }
  // each executor's outcome for an attempt, the first logged
  const outcomes = new Map<string, TransitionEntry>();
  for (const r of obs.jobs) {
    if (!acks.has(r.jobId)) continue;
    for (const step of r.steps) {
      const e = step.entry;
      if (e.source === 'orchestrator' || (e.type !== 'completed' && e.type !== 'failed' && e.type !== 'cancelled')) continue;
      const k = keyOf(e.jobId, e.attempt, e.sourceId);
      if (!outcomes.has(k)) outcomes.set(k, e);
    }
  }
  const ends = stepEnds(obs.nemesis);
  const faults = obs.nemesis.filter((n) => n.type === 'start' && (n.outcome ?? 'ok') === 'ok');
  const acrossOutage = new Set<string>();

  for (const [k, start] of starts) {
    const ack = acks.get(start.jobId)!;
    const record = obs.jobsById.get(start.jobId);
    const origin = record?.origin;
    const lifeStart = origin?.submit.invoke.t ?? -Infinity;
    const worker = roles.workerOf(start.executorId);
    // the faults that reached what ran this start, in place at some time in [lifeStart, until]
    const reaching = (until: number) => faults.filter((n) =>
      n.t <= until && (ends.get(n.stepId) ?? Infinity) >= lifeStart && reaches(n, worker, roles));
    // whether a fault could still keep the flag from this executor at `by` (what came after the
    // allowance had to be decided by then): in place then, or healed less than the system's
    // recovery promise before; an erasure that began once the flag was set took it for good
    const blinds = (n: NemesisEntry, by: number): boolean => {
      const effect = effectOf(n);
      if (effect === 'delays' || effect === 'none') return false;
      if (effect === 'erases') return n.t >= ack.t - roles.clockMarginMs;
      return recoveryMs === undefined || (ends.get(n.stepId) ?? Infinity) + recoveryMs >= by;
    };
    const judge = (rule: 'start' | 'end', at: number, baseMs: number, extra: Partial<CancelViolation>): 'ok' | 'allowed' | 'explained' | 'violation' => {
      if (at <= ack.t) return 'ok';
      const near = reaching(at);
      const allowedMs = baseMs + slackMs + DELAY_LEGS * maxDelay(near, ends);
      if (at <= ack.t + allowedMs) {
        out.latestAllowedMs = Math.max(out.latestAllowedMs, at - ack.t);
        return 'allowed';
      }
      if (near.some((n) => blinds(n, at - allowedMs))) return 'explained';
      out.violations.push({ rule, jobId: start.jobId, ...(origin?.submit.taskId ? { taskId: origin.submit.taskId } : {}), ack, start, allowedMs, ...(worker ? { worker } : {}), ...extra });
      return 'violation';
    };
    out.startsJudged++;
    const payload = origin?.submit.payloads?.[origin.index];
    const timeoutMs = origin?.submit.timeouts?.[origin.index];
    if (start.t <= ack.t && payload && timeoutMs !== undefined) {
      const ownEnd = start.t + (payload.hang ? timeoutMs : Math.min(payload.durationMs, timeoutMs));
      if (faults.some((n) => holdsOff(n, ack.t, ends) && reaches(n, worker, roles) && (ends.get(n.stepId) ?? Infinity) + (recoveryMs ?? 0) + promisedMs < ownEnd)) acrossOutage.add(start.jobId);
    }
    const started = judge('start', start.t, 0, {});
    if (started === 'allowed') out.lateStartsAllowed++;
    if (started === 'explained') out.explained++;
    if (started === 'violation' || started === 'explained') continue;

    const outcome = outcomes.get(k);
    if (!outcome || !payload || timeoutMs === undefined) continue;
    const ran = ranAtLeast(outcome, payload, timeoutMs);
    if (ran === undefined) continue;
    const endedBy = start.t + ran;
    const ended = judge('end', endedBy, promisedMs, { outcome, endedBy });
    if (ended === 'allowed') out.lateEndsAllowed++;
    if (ended === 'explained') out.explained++;
  }
  out.acrossOutage = acrossOutage.size;
  return out;
}

/** Whether a fault step was in place at `t` and could keep an executor from polling its flag then: a cut or stalled link, a frozen process, Redis down (not a kill: the payload went with it). */
function holdsOff(n: NemesisEntry, t: number, ends: ReadonlyMap<number, number>): boolean {
  if (n.t > t || (ends.get(n.stepId) ?? Infinity) < t) return false;
  const effect = effectOf(n);
  return effect === 'cuts' || effect === 'stalls' || effect === 'freezes' || (effect === 'ends' && familyOf(n) === 'redis');
}

/** Whether a fault step reached the worker that ran a start (its process, its executor, a link carrying either), or Redis; any worker when the shape names none. */
function reaches(n: NemesisEntry, worker: string | undefined, roles: Roles): boolean {
  if (effectOf(n) === 'none') return false;
  const hit = roles.hit(n);
  if (hit.kind === 'redis' || familyOf(n) === 'redis') return true;
  if (worker === undefined) return hit.kind !== 'process' || hit.role === 'worker' || hit.role === undefined;
  return hitsWorkers(hit, [worker], roles);
}

/** the longest one message can wait on these delaying links: latency + jitter */
/** the most the delaying steps among these add to one message at one moment (toxics nested on one link add up: effects.ts) */
function maxDelay(steps: readonly NemesisEntry[], ends: ReadonlyMap<number, number>): number {
  return Math.max(0, ...steps.map((n) => stackedDelayOf(n, steps, ends)));
}

const describeOutcome = (e: TransitionEntry): string =>
  e.type === 'completed' ? `completed (exit ${e.exitCode ?? 0})` : e.exitCode == null ? `${e.type} (no exit code: killed at its timeout)` : `${e.type} (exit ${e.exitCode})`;

export function cancelEffective(history: History, obs: Observations = observe(history)): Verdict {
  const findings = new Findings();
  const j = judgeCancels(history, obs);
  for (const v of j.violations) {
    const { ack, start } = v;
    const asked = ack.invoke ? `, asked at t=${ack.invoke.t}ms` : '';
    const since = ack.ok && ack.ok.t === ack.t ? 'the ack' : 'it was recorded cancelled';
    const took = ack.ok && ack.ok.t === ack.t
      ? `cancelled (202 at t=${ack.t}ms${asked})`
      : `recorded cancelled at t=${ack.t}ms (${ack.recorded?.source ?? 'front door'} ${ack.recorded?.sourceId ?? ''}'s event${ack.ok ? `; 202 at t=${ack.ok.t}ms${asked}` : ', its cancel never answered 202'})`;
    const ran = `attempt ${start.attempt}, executor ${start.executorId}`;
    const noFault = j.recoveryMs === undefined
      ? `and no fault on ${v.worker ?? 'a worker'} (process, executor or link) or on Redis during the job's life until then explains it`
      : `and no fault on ${v.worker ?? 'a worker'} (process, executor or link) or on Redis explains it: none was in place within ${j.recoveryMs} ms before (the system's promise to be back after a heal, SystemModule.recoveryWithinMs), and no erasure of Redis took the flag`;
    const message = v.rule === 'start'
      ? `job ${v.jobId}${v.taskId ? ` (task ${v.taskId})` : ''}: ${took}, its payload started at t=${start.t}ms (${ran}), ${start.t - ack.t} ms after ${since}: an executor checks the cancel flag before it starts a payload (allowed: ${v.allowedMs} ms), ${noFault}`
      : `job ${v.jobId}${v.taskId ? ` (task ${v.taskId})` : ''}: ${took}, its payload (started at t=${start.t}ms, ${ran}) ran on to its end: its executor reported it ${describeOutcome(v.outcome!)} at t=${v.outcome!.t}ms, so it ran until t=${v.endedBy}ms at least, ${v.endedBy! - ack.t} ms after ${since}: the system promises a cancelled payload stops within ${j.promisedMs} ms (allowed: ${v.allowedMs} ms), ${noFault}`;
    findings.add(() => ({
      message,
      jobId: v.jobId,
      ...(v.taskId ? { taskId: v.taskId } : {}),
      at: v.rule === 'start' ? start.t : v.endedBy!,
      entries: [...(ack.invoke ? [ack.invoke] : []), ...(ack.ok ? [ack.ok] : []), ...(ack.recorded ? [ack.recorded] : []), start, ...(v.outcome ? [v.outcome] : [])],
    }));
  }
  const stats = { cancelsAcked: j.cancelsAcked, cancelsRecorded: j.cancelsRecorded, promisedMs: j.promisedMs ?? -1, startsJudged: j.startsJudged, lateStartsAllowed: j.lateStartsAllowed, lateEndsAllowed: j.lateEndsAllowed, latestAllowedMs: j.latestAllowedMs, explained: j.explained, acrossOutage: j.acrossOutage };
  if (j.undecided && findings.count === 0) {
    return { checker: 'cancelEffective', valid: 'unknown', evidence: [{ message: `${j.cancelsAcked} cancel(s) were acknowledged, but the executions or transition log could not be read (or the run never settled): whether a payload started or ran on after its cancel is unknown` }], stats: { violations: 0, ...stats } };
  }
  return findings.verdict('cancelEffective', stats);
}
