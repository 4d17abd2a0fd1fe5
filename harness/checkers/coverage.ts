// Run statistics for coverage ("sometimes") goals — did the run exercise what a green
// verdict should mean: a stale event rejected, a job reclaimed, a fault that hit a part
// holding work (faultReach.ts) — and latency samples for the report's charts.

import type { History, JobState } from '../history/types.ts';
import { faultReach } from './faultReach.ts';
import { recoveryStats } from './recovery.ts';
import { judgeOutcomes } from './payloadOutcome.ts';
import { judgeReexecutions } from './reexecution.ts';
import { judgeCancels } from './cancelEffective.ts';
import { effectOf, isMeasured, stepEnds } from './effects.ts';
import { rolesOf } from './roles.ts';
import { observe, type Observations, type Step } from './observations.ts';
import { isTerminal } from './spec.ts';

export interface LatencySample {
  jobId: string;
  taskId: string;
  /** t of the submit's ok */
  submittedAt: number;
  /** t of the job's first applied transition into a terminal state */
  terminalAt: number;
  ms: number;
  state: JobState;
}

export interface RunStats {
  transitionsApplied: number;
  transitionsIgnored: number;
  /** ignored with reason stale-terminal: an event arrived for a job already finished */
  staleIgnored: number;
  /** jobs whose payload was started under more than one distinct attempt */
  duplicateExecutions: number;
  /** jobs whose applied transitions were decided by more than one keeper (keepers raced on a job) */
  jobsSplitAcrossKeepers: number;
  /** jobs with any transition or execution of attempt > 1 (delivered again after a lease) */
  reclaimedJobs: number;
  /** nemesis steps whose injection took effect (failed or empty injections are not faults) */
  faults: number;
  /** nemesis steps whose injection threw */
  faultsFailed: number;
  /** nemesis steps that found nothing to hit (a kill of a dead process, of a missing executor) */
  faultsEmpty: number;
  /** effective faults whose target had work in hand: the killed or paused worker held a job, the keeper had events, ... (faultReach.ts) */
  faultsWhileInFlight: number;
  /** final states: from the snapshot, or from the last applied transition without one */
  jobsCompleted: number;
  jobsFailed: number;
  jobsCancelled: number;
  submitsOk: number;
  submitsIndeterminate: number;
  /** terminal jobs whose outcome was held against their payload (payloadOutcome.ts), and of those the ones whose payload should fail */
  outcomesJudged: number;
  failuresJudged: number;
  /** of those, payloads that ran past their timeout */
  timeoutsJudged: number;
  /** jobs a queue library failed because they stalled too often (its contract: a figure, not a violation; payloadOutcome.ts) */
  stalledOut: number;
  /** payload starts under a later attempt, each held against the faults before it (reexecution.ts) */
  reexecutionsJudged: number;
  /** the longest payload run: from an attempt's start (executions log) to its executor's outcome event, ms */
  longestRunMs: number;
  /** idempotency keys sent by two submits in flight at the same moment (a retry, a hedge or a second client beside the first attempt) */
  sameKeyOverlaps: number;
  /**
   * submits sent without an Idempotency-Key that were in flight while a fault that cuts (effects.ts:
   * down, timeout, reset_peer, limit_data) was on the front door's own Redis link: where the reply
   * to a submit's write can be lost and the Redis client resend the write
   */
  keylessSubmitsCut: number;
  /** cancels and reads begun while a fault was in place */
  cancelsDuringFaults: number;
  readsDuringFaults: number;
  /** running jobs cancelled while a fault held their executor off the flag, whose payload would outlive the heal and the recovery promise (cancelEffective.ts) */
  cancelsAcrossOutage: number;
  /** jobs taken over from a worker that died holding them; keepers' events taken over (recovery.ts) */
  jobTakeovers: number;
  keeperTakeovers: number;
  /** jobs submitted after the last fault healed that finished (recovery.ts) */
  jobsAfterHeal: number;
  /** jobs whose worker stopped between reporting their outcome and acknowledging them (recovery.ts) */
  outcomesBeforeAck: number;
  /** per effective fault that bit (faultReach.ts): `kind → role`, e.g. `kill → worker`, `down → keeper link` */
  faultsHit: string[];
  latencies: LatencySample[];
}

/** The numeric statistics, by name, as coverage goals read them. */
export type CoverageCounts = Omit<RunStats, 'latencies' | 'faultsHit'>;

export function coverageCounts(stats: RunStats): CoverageCounts {
  const { latencies: _latencies, faultsHit: _faultsHit, ...counts } = stats;
  return counts;
}

/** Keys whose submits overlapped in time: an op without an answer is in flight until the end. */
function sameKeyOverlaps(obs: Observations): number {
  let n = 0;
  for (const ops of obs.submitsByKey.values()) {
    let busyUntil = -Infinity;
    for (const op of ops) {
      if (op.invoke.t < busyUntil) {
        n++;
        break;
      }
      busyUntil = Math.max(busyUntil, op.completion?.t ?? Infinity);
    }
  }
  return n;
}

/** Keyless submits in flight (invoke to answer, or to the end) while a cut was on a link that carries the front door to Redis. */
function keylessSubmitsCut(obs: Observations): number {
  const keyless = obs.submits.filter((op) => op.idempotencyKey === undefined);
  if (keyless.length === 0) return 0;
  const roles = rolesOf(obs);
  const ends = stepEnds(obs.nemesis);
  const cuts: [number, number][] = [];
  for (const n of obs.nemesis) {
    if (n.type !== 'start' || (n.outcome ?? 'ok') !== 'ok' || effectOf(n) !== 'cuts') continue;
    const hit = roles.hit(n);
    // `client` is the harness's own link to the front door's HTTP port, not the front door's to Redis
    if (hit.kind !== 'link' || hit.link === 'client' || !hit.carries.some((id) => roles.role(id) === 'front-door')) continue;
    cuts.push([n.t, ends.get(n.stepId) ?? Infinity]);
  }
  return keyless.filter((op) => {
    const until = op.completion?.t ?? Infinity;
    return cuts.some(([from, to]) => op.invoke.t <= to && from <= until);
  }).length;
}

/** Client invokes of `f` that began while some effective fault step was in place. */
function invokesDuringFaults(history: History, obs: Observations, f: 'cancel' | 'read'): number {
  const ends = stepEnds(obs.nemesis);
  const windows = obs.nemesis
    // a measured step (CPU starvation) is not a fault the schedule chose: nothing was invoked into it on purpose
    .filter((n) => n.type === 'start' && (n.outcome ?? 'ok') === 'ok' && !isMeasured(n))
    .map((n) => [n.t, ends.get(n.stepId) ?? Infinity] as const);
  let count = 0;
  for (const e of history) {
    if (e.kind === 'client' && e.f === f && e.type === 'invoke' && windows.some(([a, b]) => e.t >= a && e.t <= b)) count++;
  }
  return count;
}

/** The job's first applied transition into a terminal state, in log order. */
function firstTerminal(steps: readonly Step[]): Step | undefined {
  for (const s of steps) if (s.applied && isTerminal(s.to)) return s;
  return undefined;
}

/** The longest run of a payload: an attempt's start to the outcome its executor reported. */
function longestRun(obs: Observations): number {
  const started = new Map<string, number>();
  for (const e of obs.executions) {
    const key = `${e.jobId}/${e.attempt}`;
    const t = started.get(key);
    if (t === undefined || e.t < t) started.set(key, e.t);
  }
  let longest = 0;
  // an executor that logs its own end (a library worker) says how long the payload ran
  for (const e of obs.executions) if (e.endedAt !== undefined) longest = Math.max(longest, e.endedAt - e.t);
  for (const { steps } of obs.jobs) {
    for (const s of steps) {
      const e = s.entry;
      if (e.source !== 'executor' || !isTerminal(e.type)) continue;
      const from = started.get(`${e.jobId}/${e.attempt}`);
      if (from !== undefined) longest = Math.max(longest, e.t - from);
    }
  }
  return longest;
}

/** Applied and ignored transitions (stale-terminal among the ignored), and jobs whose applied transitions more than one keeper decided. */
function transitionCounts(obs: Observations): Pick<RunStats, 'transitionsApplied' | 'transitionsIgnored' | 'staleIgnored' | 'jobsSplitAcrossKeepers'> {
  let transitionsApplied = 0;
  let transitionsIgnored = 0;
  let staleIgnored = 0;
  let jobsSplitAcrossKeepers = 0;
  for (const { steps } of obs.jobs) {
    let keeper: string | undefined;
    let split = false;
    for (const e of steps) {
      if (!e.applied) {
        transitionsIgnored++;
        if (e.staleTerminal) staleIgnored++;
        continue;
      }
      if (keeper !== undefined && e.entry.keeper !== keeper) split = true;
      keeper = e.entry.keeper;
      transitionsApplied++;
    }
    if (split) jobsSplitAcrossKeepers++;
  }
  return { transitionsApplied, transitionsIgnored, staleIgnored, jobsSplitAcrossKeepers };
}

/** Jobs with any transition or execution of attempt > 1 (delivered again after a lease). */
function reclaimedJobs(obs: Observations): number {
  const reclaimed = new Set<string>();
  for (const { jobId, steps } of obs.jobs) for (const e of steps) if (e.attempt > 1) reclaimed.add(jobId);
  for (const e of obs.executions) if (e.attempt > 1) reclaimed.add(e.jobId);
  return reclaimed.size;
}

/** Jobs executed under two distinct attempts: each job's first attempt is remembered, only. */
function duplicateExecutions(obs: Observations): number {
  const firstAttempt = new Map<string, number>();
  const duplicated = new Set<string>();
  for (const e of obs.executions) {
    const first = firstAttempt.get(e.jobId);
    if (first === undefined) firstAttempt.set(e.jobId, e.attempt);
    else if (first !== e.attempt) duplicated.add(e.jobId);
  }
  return duplicated.size;
}

/** Final states: from the snapshot, or from each job's last applied transition without one. */
function finalStates(obs: Observations): { completed: number; failed: number; cancelled: number } {
  const finals = { completed: 0, failed: 0, cancelled: 0 };
  const countFinal = (state: string): void => {
    if (state === 'completed' || state === 'failed' || state === 'cancelled') finals[state]++;
  };
  if (obs.snapshot) {
    for (const { inSnapshot } of obs.jobs) if (inSnapshot) countFinal(inSnapshot.job.state);
  } else {
    for (const { steps } of obs.jobs) {
      for (let i = steps.length - 1; i >= 0; i--) {
        if (!steps[i].applied) continue;
        countFinal(steps[i].to);
        break;
      }
    }
  }
  return finals;
}

/** Submits answered ok, and those whose outcome is unknown (info, or no answer). */
function submitCounts(obs: Observations): Pick<RunStats, 'submitsOk' | 'submitsIndeterminate'> {
  let submitsOk = 0;
  let submitsIndeterminate = 0;
  for (const op of obs.submits) {
    if (op.outcome === 'info' || op.outcome === 'pending') submitsIndeterminate++;
    else if (op.outcome === 'ok') submitsOk++;
  }
  return { submitsOk, submitsIndeterminate };
}

/** Per acknowledged job that finished: its submit's ok to its first applied terminal transition. */
function latencySamples(obs: Observations): LatencySample[] {
  const latencies: LatencySample[] = [];
  for (const { jobId, steps, origin } of obs.jobs) {
    const op = origin?.submit;
    const end = op?.completion && firstTerminal(steps);
    if (!op?.completion || !end) continue;
    latencies.push({
      jobId,
      taskId: op.taskId!,
      submittedAt: op.completion.t,
      terminalAt: end.t,
      ms: end.t - op.completion.t,
      state: end.to as JobState,
    });
  }
  return latencies;
}

export function runStats(history: History, obs: Observations = observe(history)): RunStats {
  const { transitionsApplied, transitionsIgnored, staleIgnored, jobsSplitAcrossKeepers } = transitionCounts(obs);
  const reach = faultReach(history, obs);
  const outcomes = judgeOutcomes(history, obs);
  const finals = finalStates(obs);
  const { submitsOk, submitsIndeterminate } = submitCounts(obs);
  return {
    transitionsApplied,
    transitionsIgnored,
    staleIgnored,
    duplicateExecutions: duplicateExecutions(obs),
    jobsSplitAcrossKeepers,
    reclaimedJobs: reclaimedJobs(obs),
    faults: reach.effective,
    faultsFailed: reach.failed,
    faultsEmpty: reach.empty,
    faultsWhileInFlight: reach.bit,
    jobsCompleted: finals.completed,
    jobsFailed: finals.failed,
    jobsCancelled: finals.cancelled,
    submitsOk,
    submitsIndeterminate,
    outcomesJudged: outcomes.judged,
    failuresJudged: outcomes.failuresJudged,
    timeoutsJudged: outcomes.timeoutsJudged,
    stalledOut: outcomes.stalledOut,
    reexecutionsJudged: judgeReexecutions(obs).reexecutions,
    longestRunMs: longestRun(obs),
    sameKeyOverlaps: sameKeyOverlaps(obs),
    keylessSubmitsCut: keylessSubmitsCut(obs),
    cancelsDuringFaults: invokesDuringFaults(history, obs, 'cancel'),
    readsDuringFaults: invokesDuringFaults(history, obs, 'read'),
    cancelsAcrossOutage: judgeCancels(history, obs).acrossOutage,
    ...recoveryStats(history, obs, reach),
    faultsHit: reach.steps.filter((s) => s.bit).map((s) => `${s.fault} → ${s.part}`),
    latencies: latencySamples(obs),
  };
}
