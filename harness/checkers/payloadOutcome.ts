// payload-outcome: a job ends as what its payload did. The workload knows each payload (exit
// code, duration, hang) and its timeout, so the judge knows how the job must end
// (spec.ts: expectedOutcome): completed; failed with reason exit and the payload's exit code;
// failed with reason timeout. A job may end `cancelled` only if a client asked to cancel it.
// A different outcome is a violation unless a fault explains it: an effective crash, pause or
// restart of a worker (with its executor and payload) or of Redis during the job's life, e.g. a
// payload paused past its timeout. Link faults delay what is reported, not what the payload
// did; faults on keepers and the front door cannot change it either.

import type { ClientEntry, History, JobView, NemesisEntry, Verdict } from '../history/types.ts';
import { Findings, snapshotExcerpt } from './findings.ts';
import { observe, type JobRecord, type Observations } from './observations.ts';
import { expectedOutcome, isTerminal } from './spec.ts';

export interface OutcomeJudgment {
  /** terminal jobs whose outcome was held against their payload */
  judged: number;
  /** of those, jobs whose payload should fail (exit code or timeout) */
  failuresJudged: number;
  /** of those, payloads that run past their timeout (the executor must kill them and say so) */
  timeoutsJudged: number;
  /** outcomes that differ from the payload's, explained by a fault during the job's life */
  explained: number;
  /** payloads too close to their timeout for either outcome to be wrong */
  ambiguous: number;
  /** jobs a queue library failed because they stalled too often (reason `stalled`): its documented contract, counted, not a deviation */
  stalledOut: number;
  deviations: { record: JobRecord; job: JobView; expected: string; cancelAsked: boolean }[];
}

/**
 * A queue library's own verdict on a job that stalled more often than it allows (BullMQ's
 * maxStalledCount): the job is failed without its payload's outcome. That is the library's
 * documented contract, not a wrong outcome; it is counted (stalledOut). The reference system
 * never fails a job this way.
 */
export const STALLED = 'stalled';

/** faults that can change how a payload ends: a crash, pause or restart of what runs it */
const PROCESS_FAULTS = new Set(['kill', 'kill-executor', 'pause', 'restart']);
const canExplain = (n: NemesisEntry): boolean =>
  n.fault === 'redis-restart' || (PROCESS_FAULTS.has(n.fault) && /^(worker|executor of )/.test(n.target));

const describe = (state: string, reason: string | null | undefined, exitCode: number | null | undefined): string =>
  state === 'completed' ? `completed (exit ${exitCode ?? 0})` : state === 'failed' ? `failed (${reason ?? '?'}${exitCode != null ? ` ${exitCode}` : ''})` : state;

export function judgeOutcomes(history: History, obs: Observations): OutcomeJudgment {
  const snapshot = obs.snapshot;
  const out: OutcomeJudgment = { judged: 0, failuresJudged: 0, timeoutsJudged: 0, explained: 0, ambiguous: 0, stalledOut: 0, deviations: [] };
  if (!snapshot) return out;

  const cancelAsked = new Set<string>();
  for (const e of history) {
    if (e.kind === 'client' && e.f === 'cancel' && e.type === 'invoke') {
      const v = (e as ClientEntry).value as { jobId?: unknown };
      if (typeof v?.jobId === 'string') cancelAsked.add(v.jobId);
    }
  }
  // windows of effective faults that can change an outcome
  const ends = new Map<number, number>();
  for (const n of obs.nemesis) if (n.type === 'end') ends.set(n.stepId, n.t);
  const windows = obs.nemesis
    .filter((n) => n.type === 'start' && (n.outcome ?? 'ok') === 'ok' && canExplain(n))
    .map((n) => ({ from: n.t, until: ends.get(n.stepId) ?? Infinity }));

  for (const record of obs.jobs) {
    const { origin, inSnapshot } = record;
    if (!origin || !inSnapshot || !isTerminal(inSnapshot.job.state)) continue;
    const payload = origin.submit.payloads?.[origin.index];
    const timeoutMs = origin.submit.timeouts?.[origin.index];
    if (!payload || timeoutMs === undefined) continue;
    const job = inSnapshot.job;
    const asked = cancelAsked.has(record.jobId);
    if (job.state === 'cancelled') {
      out.judged++;
      if (!asked) out.deviations.push({ record, job, expected: 'not cancelled (no cancel was asked for)', cancelAsked: false });
      continue;
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
    // the job's life: from its submission to its first terminal decision (or the snapshot)
    const from = origin.submit.invoke.t;
    const terminal = record.steps.find((s) => s.applied && isTerminal(s.to));
    const until = terminal ? terminal.t : snapshot.t;
    if (windows.some((w) => w.from <= until && w.until >= from)) {
      out.explained++;
      continue;
    }
    out.deviations.push({ record, job, expected: describe(expected.state, expected.reason, expected.exitCode), cancelAsked: asked });
  }
  return out;
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
      message: `job ${record.jobId} (task ${op.taskId}): its payload (exit ${payload.exitCode} after ${payload.durationMs} ms${payload.hang ? ', hangs' : ''}, timeout ${op.timeouts![record.origin!.index]} ms) should end ${d.expected} but ended ${describe(job.state, job.reason, job.exitCode)}, with no crash, pause or restart of a worker or Redis during its life`,
      jobId: record.jobId,
      taskId: op.taskId,
      at: snapshot!.t,
      entries: [op.invoke, ...(op.completion ? [op.completion] : []), snapshotExcerpt(snapshot!, record.inSnapshot!.task, record.jobId)],
    }));
  }
  return findings.verdict('payloadOutcome', { judged: j.judged, failuresJudged: j.failuresJudged, timeoutsJudged: j.timeoutsJudged, explained: j.explained, ambiguous: j.ambiguous, stalledOut: j.stalledOut });
}
