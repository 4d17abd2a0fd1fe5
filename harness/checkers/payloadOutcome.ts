// payload-outcome: a job ends as what its payload did. The workload knows each payload (exit
// code, duration, hang) and its timeout, so the judge knows how the job must end
// (spec.ts: expectedOutcome): completed; failed with reason exit and the payload's exit code;
// failed with reason timeout. A job may end `cancelled` only if a client asked to cancel it, and
// a reason outside the protocol's list (PROTOCOL.md) is a violation whatever happened.
//
// No excuse without a cause: a different outcome is excused only by an effective fault on what
// ran THAT attempt (the worker whose executor reported the outcome, that executor, or a link that
// carries either; roles from the shape entry), in place during that attempt, and only when such a
// fault can cause that deviation: a pause lets the payload's timeout pass (failed, timeout); a
// kill or restart of the worker or its executor kills the payload by a signal (failed, exit
// 128 + signal). Nothing excuses `completed` for a payload that hangs or exits non-zero, nor a
// wrong exit code. Link faults delay what is reported, not what the payload did; faults on
// keepers, the front door or another worker cannot change it either.
//
// A timeout is never early: no fault makes a payload's timeout pass sooner (a pause holds the
// executor's timer back, never forward). A job failed with reason timeout sooner after the start
// of its payload (as the harness itself saw it, for the attempt and executor that reported it)
// than its timeout, less the outcome margin (and live, clock margins for the payload's own start),
// was killed before its time: a violation whatever the faults, and whatever the payload did.

import type { ClientEntry, FaultEffect, History, JobView, NemesisEntry, Verdict } from '../history/types.ts';
import { effectOf, stepEnds } from './effects.ts';
import { Findings, snapshotExcerpt } from './findings.ts';
import { observe, type JobRecord, type Observations } from './observations.ts';
import { hitsWorkers, rolesOf, type Roles } from './roles.ts';
import { expectedOutcome, isTerminal } from './spec.ts';

export interface OutcomeJudgment {
  /** terminal jobs whose outcome was held against their payload */
  judged: number;
  /** of those, jobs whose payload should fail (exit code or timeout) */
  failuresJudged: number;
  /** of those, payloads that run past their timeout (the executor must kill them and say so) */
  timeoutsJudged: number;
  /** outcomes that differ from the payload's, explained by a fault on what ran that attempt, during it, that can cause that deviation */
  explained: number;
  /** jobs that ended with a reason outside the protocol's list */
  badReasons: number;
  /** payloads too close to their timeout for either outcome to be wrong */
  ambiguous: number;
  /** jobs a queue library failed because they stalled too often (reason `stalled`): its documented contract, counted, not a deviation */
  stalledOut: number;
  /** jobs failed with reason timeout that the harness saw start under the attempt that reported it: held to its timeout */
  timeoutsTimed: number;
  /** `early`: why a timeout came before its time (the message says that in place of what it should have ended as) */
  deviations: { record: JobRecord; job: JobView; expected: string; cancelAsked: boolean; ranBy: string[]; early?: string }[];
}

/**
 * A queue library's own verdict on a job that stalled more often than it allows (BullMQ's
 * maxStalledCount): the job is failed without its payload's outcome. That is the library's
 * documented contract, not a wrong outcome; it is counted (stalledOut). The reference system
 * never fails a job this way.
 */
export const STALLED = 'stalled';

/** The reasons PROTOCOL.md gives a job that ended failed or cancelled (and a library's `stalled`). */
const PROTOCOL_REASONS: Readonly<Record<string, ReadonlySet<string>>> = {
  failed: new Set(['exit', 'timeout', 'spawn-error', STALLED]),
  cancelled: new Set(['cancelled']),
};

/** Signals a kill or restart sends a payload (SIGKILL, SIGTERM): the exit codes a shell reports for them. */
const KILLED_EXIT_CODES = new Set([128 + 9, 128 + 15]);

/**
 * The deviations a fault on what ran the attempt can cause, by its effect (effects.ts): a pause
 * (`freezes`) holds the payload past its timeout; a kill or restart of its worker or executor
 * (`ends`) kills it by a signal.
 */
function canCause(effect: FaultEffect, job: JobView): boolean {
  if (job.state !== 'failed') return false;
  if (job.reason === 'timeout') return effect === 'freezes';
  if (job.reason === 'exit') return effect === 'ends' && KILLED_EXIT_CODES.has(job.exitCode ?? -1);
  return false;
}

const describe = (state: string, reason: string | null | undefined, exitCode: number | null | undefined): string =>
  state === 'completed' ? `completed (exit ${exitCode ?? 0})` : state === 'failed' ? `failed (${reason ?? '?'}${exitCode != null ? ` ${exitCode}` : ''})` : state;

export function judgeOutcomes(history: History, obs: Observations): OutcomeJudgment {
  const snapshot = obs.snapshot;
  const out: OutcomeJudgment = { judged: 0, failuresJudged: 0, timeoutsJudged: 0, explained: 0, ambiguous: 0, stalledOut: 0, badReasons: 0, timeoutsTimed: 0, deviations: [] };
  if (!snapshot) return out;
  const roles = rolesOf(obs);

  const cancelAsked = new Set<string>();
  for (const e of history) {
    if (e.kind === 'client' && e.f === 'cancel' && e.type === 'invoke') {
      const v = (e as ClientEntry).value as { jobId?: unknown };
      if (typeof v?.jobId === 'string') cancelAsked.add(v.jobId);
    }
  }
  const ends = stepEnds(obs.nemesis);
  const faults = obs.nemesis.filter((n) => n.type === 'start' && (n.outcome ?? 'ok') === 'ok');

  for (const record of obs.jobs) {
    const { origin, inSnapshot } = record;
    if (!origin || !inSnapshot || !isTerminal(inSnapshot.job.state)) continue;
    const payload = origin.submit.payloads?.[origin.index];
    const timeoutMs = origin.submit.timeouts?.[origin.index];
    if (!payload || timeoutMs === undefined) continue;
    const job = inSnapshot.job;
    const asked = cancelAsked.has(record.jobId);
    const reasons = PROTOCOL_REASONS[job.state];
    if (reasons && !reasons.has(job.reason ?? '')) {
      out.judged++;
      out.badReasons++;
      out.deviations.push({ record, job, expected: `a reason of ${[...reasons].join(', ')} (PROTOCOL.md)`, cancelAsked: asked, ranBy: [] });
      continue;
    }
    if (job.state === 'cancelled') {
      out.judged++;
      if (!asked) out.deviations.push({ record, job, expected: 'not cancelled (no cancel was asked for)', cancelAsked: false, ranBy: [] });
      continue;
    }
    if (job.state === 'failed' && job.reason === 'timeout') {
      const early = earlyTimeout(record, obs, timeoutMs, EXPECTED_MARGIN_MS + LIVE_START_MARGINS * roles.clockMarginMs);
      if (early !== undefined) out.timeoutsTimed++;
      if (early?.early) {
        out.judged++;
        out.deviations.push({
          record, job, expected: 'failed (timeout) no sooner than its timeout', cancelAsked: asked, ranBy: [],
          early: `was failed (timeout) ${Math.round(early.afterMs)} ms after its payload started (t=${early.startedAt}ms, attempt ${early.attempt} on ${early.executorId}), before its timeout of ${timeoutMs} ms: no fault brings a timeout forward`,
        });
        continue;
      }
    }
    if (job.state === 'failed' && job.reason === STALLED) {
      out.stalledOut++;
      continue;
    }
    const expected = expectedOutcome(payload, timeoutMs);
    if (!expected) {
      out.ambiguous++;
      continue;
    }
    out.judged++;
    if (expected.state === 'failed') out.failuresJudged++;
    if (expected.reason === 'timeout') out.timeoutsJudged++;
    const agrees =
      job.state === expected.state &&
      (expected.state === 'completed' ? (job.exitCode ?? 0) === 0 : job.reason === expected.reason && (job.exitCode ?? null) === expected.exitCode);
    if (agrees) continue;
    const attempt = attemptOf(record, obs, roles, snapshot.t);
    const explains = faults.some((n) =>
      canCause(effectOf(n), job) && hitsWorkers(roles.hit(n), attempt.workers, roles)
      && n.t <= attempt.until && (ends.get(n.stepId) ?? Infinity) >= attempt.from);
    if (explains) {
      out.explained++;
      continue;
    }
    out.deviations.push({ record, job, expected: describe(expected.state, expected.reason, expected.exitCode), cancelAsked: asked, ranBy: attempt.workers });
  }
  return out;
}

/** spec.ts expectedOutcome's margin: a payload this close to its timeout may end either way */
const EXPECTED_MARGIN_MS = 250;
/** live, a payload's start as the harness records it (its wrapper's first write) trails the executor's timer by a spawn: this many clock margins (ShapeEntry.clockMarginMs) more */
const LIVE_START_MARGINS = 20;

/**
 * When a job failed with reason timeout, how long after its payload's start (the earliest start the
 * harness itself recorded for the attempt and executor the outcome event names) the event was
 * logged, and whether that is early: shorter than its timeout less `slackMs`. Undefined when the
 * event or the start is not in the history (a system without a transition log, a start not seen).
 */
function earlyTimeout(record: JobRecord, obs: Observations, timeoutMs: number, slackMs: number): { early: boolean; afterMs: number; startedAt: number; attempt: number; executorId: string } | undefined {
  const terminal = record.steps.find((s) => s.applied && isTerminal(s.to));
  if (!terminal || terminal.to !== 'failed') return undefined;
  const executorId = terminal.entry.sourceId;
  let startedAt = Infinity;
  for (const p of obs.payloadStarts) if (p.jobId === record.jobId && p.attempt === terminal.attempt && p.executorId === executorId && p.t < startedAt) startedAt = p.t;
  if (startedAt === Infinity || startedAt > terminal.t) return undefined;
  const afterMs = terminal.t - startedAt;
  return { early: afterMs < timeoutMs - slackMs, afterMs, startedAt, attempt: terminal.attempt, executorId };
}

/**
 * The attempt that decided the job's outcome: the worker whose executor (or itself) reported the
 * first applied terminal event, from that attempt's first payload start to that event. When the
 * event names no worker (a library's events carry none), every worker that started the job, over
 * the job's life.
 */
function attemptOf(record: JobRecord, obs: Observations, roles: Roles, snapshotT: number): { workers: string[]; from: number; until: number } {
  const terminal = record.steps.find((s) => s.applied && isTerminal(s.to));
  const until = terminal ? terminal.t : snapshotT;
  const worker = terminal ? roles.workerOf(terminal.entry.sourceId) : undefined;
  const starts = [...obs.payloadStarts, ...obs.executions].filter((e) => e.jobId === record.jobId);
  if (worker && terminal) {
    const own = starts.filter((e) => e.attempt === terminal.attempt && roles.workerOf(e.executorId) === worker).map((e) => e.t);
    const lifeStart = record.origin?.submit.invoke.t ?? record.steps[0]?.t ?? until;
    return { workers: [worker], from: own.length ? Math.min(...own) : lifeStart, until };
  }
  const workers = [...new Set(starts.map((e) => roles.workerOf(e.executorId)).filter((w): w is string => w !== undefined))];
  return { workers, from: record.origin?.submit.invoke.t ?? until, until };
}

export function payloadOutcome(history: History, obs: Observations = observe(history)): Verdict {
  const findings = new Findings();
  const j = judgeOutcomes(history, obs);
  const snapshot = obs.snapshot;
  for (const d of j.deviations) {
    const { record, job } = d;
    const op = record.origin!.submit;
    const payload = op.payloads![record.origin!.index]!;
    findings.add(() => ({
      message: `job ${record.jobId} (task ${op.taskId}): its payload (exit ${payload.exitCode} after ${payload.durationMs} ms${payload.hang ? ', hangs' : ''}, timeout ${op.timeouts![record.origin!.index]} ms) ${d.early ?? `should end ${d.expected} but ended ${describe(job.state, job.reason, job.exitCode)}${
        d.ranBy.length ? `, with no fault on ${d.ranBy.join(' or ')} (process, executor or link) during that attempt that can cause it` : ''}`}`,
      jobId: record.jobId,
      taskId: op.taskId,
      at: snapshot!.t,
      entries: [op.invoke, ...(op.completion ? [op.completion] : []), snapshotExcerpt(snapshot!, record.inSnapshot!.task, record.jobId)],
    }));
  }
  return findings.verdict('payloadOutcome', { judged: j.judged, failuresJudged: j.failuresJudged, timeoutsJudged: j.timeoutsJudged, explained: j.explained, ambiguous: j.ambiguous, stalledOut: j.stalledOut, badReasons: j.badReasons, timeoutsTimed: j.timeoutsTimed });
}
