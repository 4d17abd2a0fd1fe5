// progress: the system still works after the heal. Every other checker passes when one worker is
// wedged for good (stuck at a blocking read, stuck in a job, deaf after a reconnect) while the
// others drain the queue. After the settle period the harness offers new work to every worker
// that is up (harness/runner/liveness.ts, recorded as the history's probe entry); each of them
// must start a job and finish it within the probe's bound, which is derived from the system's
// own timers (SystemModule.livenessBoundMs).
//
// A start is a payload start of the worker: the system's executions log, or the harness's own
// record (PayloadStartEntry) where it has one. A finish is a terminal outcome of that same start:
// an outcome event from the worker's executor in the transition log (completed, failed or
// cancelled, applied or not: the worker finished it either way), or the end the execution log
// gives it (a library worker's end entry). Which process is a worker, and which executor id is
// whose, come from the shape entry (roles.ts), never from names. A worker the schedule left down
// is not in the probe entry's `workers` and is not judged; nor is any worker when the front door
// was left down (no work could be offered). A front door that was up and answered none of the
// probe submits with a task is one violation: the system takes no new work after the heal.

import type { Evidence, ExecutionEntry, History, HistoryEntry, PayloadStartEntry, ProbeEntry, TransitionEntry, Verdict } from '../history/types.ts';
import { Findings } from './findings.ts';
import { observe, type Observations } from './observations.ts';
import { linkCarries, rolesOf, type Roles } from './roles.ts';
import { unread } from './unreadable.ts';

/** outcome event types (PROTOCOL.md's events; a library's completed / failed) */
const OUTCOMES = new Set(['completed', 'failed', 'cancelled']);

type Start = ExecutionEntry | PayloadStartEntry;

/** One job a worker started in the probe window and finished within it. */
export interface Proof {
  start: Start;
  /** when its outcome was logged (the outcome event's transition, or the execution's end) */
  finishedAt: number;
}

/** The window a worker must start and finish a job in: [from, to], widened by the clock margin (the logs' times are Redis's clock). */
export interface Window {
  from: number;
  to: number;
  marginMs: number;
}

/** The evidence the judgment reads: starts (the system's log and the harness's own record) and transitions. */
export interface LivenessEvidence {
  executions: readonly ExecutionEntry[];
  payloadStarts?: readonly PayloadStartEntry[];
  transitions: Iterable<TransitionEntry>;
}

const key = (jobId: string, attempt: number, worker: string) => `${worker}\u0000${jobId}\u0000${attempt}`;

/**
 * For each worker that started a job in the window and finished it by the window's end, its
 * earliest such proof. Shared with the runner (liveness.ts), which stops probing once every
 * worker up has one.
 */
export function liveWorkers(roles: Roles, window: Window, evidence: LivenessEvidence): Map<string, Proof> {
  const from = window.from - window.marginMs;
  const to = window.to + window.marginMs;
  const finished = finishTimes(roles, evidence, { from, to });
  const proofs = new Map<string, Proof>();
  for (const start of [...evidence.executions, ...(evidence.payloadStarts ?? [])]) {
    if (start.t < from || start.t > to) continue;
    const worker = roles.workerOf(start.executorId);
    if (worker === undefined) continue;
    const finishedAt = finished(start, worker);
    if (finishedAt > to) continue;
    const known = proofs.get(worker);
    if (!known || finishedAt < known.finishedAt) proofs.set(worker, { start, finishedAt });
  }
  return proofs;
}

/**
 * When a worker's start finished (Infinity: not in the evidence): the earliest outcome event its
 * executor reported for that job and attempt (in `outcomes`, when given), or the end the execution
 * log gives it (a library worker's end entry).
 */
export function finishTimes(roles: Roles, evidence: Omit<LivenessEvidence, 'payloadStarts'>, outcomes?: { from: number; to: number }): (start: Start, worker: string) => number {
  const outcomeAt = new Map<string, number>();
  for (const e of evidence.transitions) {
    if (!OUTCOMES.has(e.type) || (outcomes && (e.t < outcomes.from || e.t > outcomes.to))) continue;
    const worker = roles.workerOf(e.sourceId);
    if (worker === undefined) continue;
    const k = key(e.jobId, e.attempt, worker);
    outcomeAt.set(k, Math.min(outcomeAt.get(k) ?? Infinity, e.t));
  }
  const endedAt = new Map<string, number>();
  for (const e of evidence.executions) {
    const worker = roles.workerOf(e.executorId);
    if (worker !== undefined && e.endedAt !== undefined) endedAt.set(key(e.jobId, e.attempt, worker), e.endedAt);
  }
  return (start, worker) => {
    const k = key(start.jobId, start.attempt, worker);
    return Math.min(outcomeAt.get(k) ?? Infinity, endedAt.get(k) ?? Infinity);
  };
}

/** The probe entry of a history (the last, should there be more than one). */
export function probeOf(history: History): ProbeEntry | undefined {
  let probe: ProbeEntry | undefined;
  for (const e of history) if (e.kind === 'probe') probe = e;
  return probe;
}

export function progress(history: History, obs: Observations = observe(history)): Verdict {
  const probe = probeOf(history);
  // no probe (a history from before it, or a run without one), or a front door left down: no work could be offered
  if (!probe || !probe.frontDoorUp) return { checker: 'progress', valid: true, evidence: [], stats: { violations: 0, workersJudged: 0 } };
  const roles = rolesOf(obs.shape ? { shape: obs.shape } : history);
  if (probe.taskIds.length === 0) {
    // the front door was up and took no new work at all: the system does not work after the heal
    const findings = new Findings();
    findings.add(() => refused(probe, roles, obs));
    return findings.verdict('progress', { workersJudged: probe.workers.length, workersLive: 0, workersNotJudged: probe.down.length, probeRounds: probe.rounds, probeMs: probe.endedAt - probe.t });
  }
  const transitions = function* (): Generator<TransitionEntry> {
    for (const r of obs.jobs) for (const s of r.steps) yield s.entry;
  };
  const window: Window = { from: probe.t, to: probe.t + probe.boundMs, marginMs: roles.clockMarginMs };
  const proofs = liveWorkers(roles, window, { executions: obs.executions, payloadStarts: obs.payloadStarts, transitions: transitions() });
  // the runner named them from the same shape entry (rolesOf), when they were up
  const judged = probe.workers;
  // a worker still running a job it took before probing began, that ended after the bound (a
  // payload that hangs until its timeout, a long job), had no hand free for a probe: it is busy,
  // not wedged. One whose job never ended is judged.
  const busy = busyThrough(roles, window, { executions: obs.executions, payloadStarts: obs.payloadStarts, transitions: transitions() });
  const idle = judged.filter((w) => !proofs.has(w));
  const stuck = idle.filter((w) => !busy.has(w));

  const findings = new Findings();
  const all = stuck.length ? [...transitions()] : [];
  for (const w of stuck) findings.add(() => evidenceOf(w, probe, roles, obs, all));
  // a missing start or outcome may be in a log the harness could not read
  const unreadable = obs.snapshot?.unreadable ?? [];
  const undecided = stuck.length > 0 && (unread(unreadable, roles.evidence.executionsLog) || unread(unreadable, roles.evidence.transitionLog));
  const stats = { workersJudged: judged.length, workersLive: judged.length - idle.length, workersBusy: idle.length - stuck.length, workersNotJudged: probe.down.length, probeRounds: probe.rounds, probeMs: probe.endedAt - probe.t };
  const verdict = findings.verdict('progress', stats, stuck.length === 0 ? true : undecided ? 'unknown' : false);
  if (undecided) verdict.evidence.unshift({ message: 'undecided: a log the judgment needs could not be read' });
  return verdict;
}

/**
 * Workers that started a job before the window began and reported its outcome only after the
 * window ended: they were busy with it all through the probe window.
 */
function busyThrough(roles: Roles, window: Window, evidence: LivenessEvidence): Set<string> {
  const from = window.from - window.marginMs;
  const to = window.to + window.marginMs;
  const finished = finishTimes(roles, evidence);
  const busy = new Set<string>();
  for (const start of [...evidence.executions, ...(evidence.payloadStarts ?? [])]) {
    if (start.t >= from) continue;
    const worker = roles.workerOf(start.executorId);
    if (worker === undefined) continue;
    const finishedAt = finished(start, worker);
    if (finishedAt > to && finishedAt !== Infinity) busy.add(worker);
  }
  return busy;
}

/** A number of ms as the evidence prints it (the timeline's µs, without float noise). */
const ms = (x: number): string => `${Math.round(x * 1000) / 1000}ms`;

/** The front door took none of the probe tasks: how often it was asked, and what it answered last. */
function refused(probe: ProbeEntry, roles: Roles, obs: Observations): Evidence {
  const frontDoor = roles.shape?.processes.find((p) => p.role === 'front-door')?.id ?? 'the front door';
  const keys = new Set(probe.keys);
  const asked = obs.submits.filter((s) => s.idempotencyKey !== undefined && keys.has(s.idempotencyKey));
  const last = asked.reduce<(typeof asked)[number] | undefined>((a, s) => (!a || (s.completion?.t ?? s.invoke.t) > (a.completion?.t ?? a.invoke.t) ? s : a), undefined);
  const answer = last?.completion ? `${last.completion.type} ${JSON.stringify(last.completion.value)}` : 'no answer';
  return {
    message:
      `${frontDoor} took no new work after the heal: ${asked.length} probe submits between t=${ms(probe.t)} and t=${ms(probe.endedAt)} ` +
      `(${probe.rounds} rounds, bound ${probe.boundMs} ms), none answered with a task; the last one's answer: ${answer}; no worker of ${probe.workers.join(', ')} could be offered work`,
    at: probe.t,
    entries: [probe, ...(last ? [last.invoke, ...(last.completion ? [last.completion] : [])] : [])],
  };
}

/** Which worker, the probe window, and what it did last: its last start and how it ended, the last fault on it. */
function evidenceOf(worker: string, probe: ProbeEntry, roles: Roles, obs: Observations, transitions: TransitionEntry[]): Evidence {
  const executor = roles.executorOf(worker);
  const starts: Start[] = [...obs.executions, ...obs.payloadStarts].filter((s) => roles.workerOf(s.executorId) === worker);
  const last = starts.reduce<Start | undefined>((a, s) => (!a || s.t > a.t ? s : a), undefined);
  const entries: HistoryEntry[] = [probe];
  let did = 'it never started a payload in this run';
  if (last) {
    const outcome = transitions.filter((e) => e.jobId === last.jobId && e.attempt === last.attempt && OUTCOMES.has(e.type) && roles.workerOf(e.sourceId) === worker).sort((a, b) => a.t - b.t)[0];
    const ended = last.kind === 'execution' && last.endedAt !== undefined ? last.endedAt : outcome?.t;
    did = `its last start: job ${last.jobId} attempt ${last.attempt} at t=${ms(last.t)}, ${ended === undefined ? 'never finished' : `finished at t=${ms(ended)}`}`;
    entries.push(last);
    if (outcome) entries.push(outcome);
  }
  const lastFault = obs.nemesis
    .filter((n) => n.type === 'start' && (n.outcome ?? 'ok') === 'ok' && hits(roles, n, worker, executor))
    .reduce<(typeof obs.nemesis)[number] | undefined>((a, n) => (!a || n.t > a.t ? n : a), undefined);
  if (lastFault) entries.push(lastFault);
  const fault = lastFault ? `; last fault on it: ${lastFault.fault} on ${lastFault.target} at t=${ms(lastFault.t)}` : '; no fault hit it';
  return {
    message:
      `${worker} (executor ${executor}) started and finished no job between t=${ms(probe.t)}, when probing began, and t=${ms(probe.t + probe.boundMs)} ` +
      `(bound ${probe.boundMs} ms, from the system's pickup bound ${probe.pickupMs} ms; ${probe.rounds} probe rounds, ${probe.taskIds.length} probe tasks, workers up: ${probe.workers.join(', ')}); ${did}${fault}`,
    at: probe.t,
    entries,
  };
}

function hits(roles: Roles, n: Observations['nemesis'][number], worker: string, executor: string): boolean {
  const hit = roles.hit(n);
  switch (hit.kind) {
    case 'redis':
      return true;
    case 'process':
      return hit.id === worker;
    case 'executor':
      return hit.worker === worker;
    case 'link':
      return linkCarries(hit.carries, worker) || linkCarries(hit.carries, executor);
  }
}
