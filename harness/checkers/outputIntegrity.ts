// output-integrity: a completed job's stored output is exactly what its payload prints, and
// a job that failed on its exit code carries the payload's exit code. The payload of job i
// is jobs[i] of the submit whose ok response listed the job at position i.

import type { ClientEntry, History, HistoryEntry, JobView, Payload, SnapshotEntry, Verdict } from '../history/types.ts';
import { describeTransition, Findings, snapshotExcerpt } from './findings.ts';
import { observe, type JobRecord, type Observations, type SubmitOp } from './observations.ts';
import { expectedOutput, outputMatches } from './spec.ts';

function show(text: string | null | undefined): string {
  if (text == null) return String(text);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

const submitEntries = (op: SubmitOp): ClientEntry[] => (op.completion ? [op.invoke, op.completion] : [op.invoke]);

/** What is wrong with a job view given its payload; empty when nothing is. */
function problemsOf(job: JobView, payload: Payload): string[] {
  const problems: string[] = [];
  if (job.state === 'completed') {
    if (!outputMatches(payload, job.output)) {
      problems.push(`output ${show(job.output)} but the payload prints ${show(expectedOutput(payload))}`);
    }
    if (payload.exitCode !== 0) problems.push(`completed but the payload exits with ${payload.exitCode}`);
    else if (typeof job.exitCode === 'number' && job.exitCode !== 0) problems.push(`completed with exitCode ${job.exitCode}`);
  } else if (job.state === 'failed' && job.reason === 'exit' && job.exitCode !== payload.exitCode) {
    problems.push(`failed on exit code ${String(job.exitCode)} but the payload exits with ${payload.exitCode}`);
  }
  return problems;
}

/** The payload of each job and the submit that sent it, by JobRecord.index. */
interface Payloads {
  payloadOf: (Payload | undefined)[];
  sentBy: (SubmitOp | undefined)[];
}

/** What one pass of the checker counts, and the findings it adds to. */
interface Judgment {
  findings: Findings;
  payloads: Payloads;
  viewsChecked: number;
  transitionsChecked: number;
  unknownPayload: number;
}

/** An ok response that lists another number of jobs than its submit sent: no job of it can be matched to a payload. Returns how many. */
function findMismatchedResponses(obs: Observations, findings: Findings): number {
  let mismatchedResponses = 0;
  for (const op of obs.submits) {
    if (!op.jobIds || !op.payloads || op.jobIds.length === op.payloads.length) continue;
    mismatchedResponses++;
    findings.add(() => ({
      message: `task ${op.taskId}: submit op ${op.invoke.opId} by ${op.invoke.process} sent ${op.payloads!.length} job(s) but its ok at t=${op.completion!.t}ms lists ${op.jobIds!.length} jobIds`,
      taskId: op.taskId,
      at: op.completion!.t,
      entries: submitEntries(op),
    }));
  }
  return mismatchedResponses;
}

/** Each acknowledged job's payload, from the submit whose ok listed it (JobRecord.origin); `anyUnacknowledged`: a snapshot job no ok listed. */
function acknowledgedPayloads(obs: Observations): Payloads & { anyUnacknowledged: boolean } {
  const payloadOf: (Payload | undefined)[] = new Array(obs.jobs.length);
  const sentBy: (SubmitOp | undefined)[] = new Array(obs.jobs.length);
  let anyUnacknowledged = false;
  for (const { index, origin, inSnapshot } of obs.jobs) {
    if (!origin) {
      if (inSnapshot) anyUnacknowledged = true;
      continue;
    }
    const { submit } = origin;
    if (!submit.payloads || submit.payloads.length !== submit.jobIds!.length) continue;
    payloadOf[index] = submit.payloads[origin.index];
    sentBy[index] = submit;
  }
  return { payloadOf, sentBy, anyUnacknowledged };
}

/**
 * Jobs of recovered tasks (in the snapshot, listed by no ok) get their payloads from the submits
 * that sent the task's idempotency key, when those all sent the same jobs.
 */
function recoveredPayloads(obs: Observations, snapshot: SnapshotEntry, { payloadOf, sentBy }: Payloads): void {
  for (const task of snapshot.tasks) {
    if (task.idempotencyKey == null) continue;
    const records = task.jobs.map((j) => obs.jobsById.get(j.jobId)!);
    if (records.every((r) => r.origin)) continue;
    const sent = obs.submitsByKey.get(task.idempotencyKey);
    const first = sent?.[0];
    if (!first?.payloads || first.payloads.length !== task.jobs.length) continue;
    const shape = JSON.stringify(first.payloads);
    if (!sent!.every((op) => op.payloads && JSON.stringify(op.payloads) === shape)) continue;
    records.forEach((r, i) => {
      if (r.origin) return;
      payloadOf[r.index] = first.payloads![i];
      sentBy[r.index] = first;
    });
  }
}

/** One view of a job (a read's or the snapshot's) held against its payload. */
function checkView(job: JobView, record: JobRecord, taskId: string, where: () => string, at: number, entries: () => HistoryEntry[], j: Judgment): void {
  if (job.state !== 'completed' && !(job.state === 'failed' && job.reason === 'exit')) return;
  const payload = j.payloads.payloadOf[record.index];
  if (!payload) {
    j.unknownPayload++;
    return;
  }
  j.viewsChecked++;
  const problems = problemsOf(job, payload);
  if (problems.length === 0) return;
  const submit = j.payloads.sentBy[record.index]!;
  j.findings.add(() => ({
    message: `job ${job.jobId} (task ${taskId}): ${where()} ${job.state} with ${problems.join('; ')} (payload sent by ${submit.invoke.process} op ${submit.invoke.opId})`,
    jobId: job.jobId,
    taskId,
    at,
    entries: [...entries(), ...submitEntries(submit)],
  }));
}

/** Every job of every client read, held against its payload. */
function checkReads(obs: Observations, j: Judgment): void {
  for (const r of obs.reads) {
    const jobs = r.task.jobs;
    for (let i = 0; i < jobs.length; i++) {
      checkView(
        jobs[i],
        r.records[i],
        r.task.taskId,
        () => `read by ${r.ok.process} (op ${r.ok.opId}) at t=${r.ok.t}ms shows it`,
        r.okT,
        () => (r.invoke ? [r.invoke, r.ok] : [r.ok]),
        j,
      );
    }
  }
}

/** A job's applied transitions into completed that carry an output, held against its payload. */
function checkCompletions(record: JobRecord, j: Judgment): void {
  const { jobId, index, steps } = record;
  for (const step of steps) {
    if (!step.applied || step.to !== 'completed' || step.entry.output == null) continue;
    const e = step.entry;
    const payload = j.payloads.payloadOf[index];
    if (!payload) {
      j.unknownPayload++;
      continue;
    }
    j.transitionsChecked++;
    if (outputMatches(payload, e.output)) continue;
    const submit = j.payloads.sentBy[index]!;
    j.findings.add(() => ({
      message: `job ${jobId}: applied ${describeTransition(e)} with output ${show(e.output)} but the payload prints ${show(expectedOutput(payload))}`,
      jobId,
      at: e.t,
      entries: [e, ...submitEntries(submit)],
    }));
  }
}

export function outputIntegrity(history: History, obs: Observations = observe(history)): Verdict {
  const findings = new Findings();
  const snapshot = obs.snapshot;
  const mismatchedResponses = findMismatchedResponses(obs, findings);
  const { anyUnacknowledged, ...payloads } = acknowledgedPayloads(obs);
  if (snapshot && anyUnacknowledged) recoveredPayloads(obs, snapshot, payloads);

  const j: Judgment = { findings, payloads, viewsChecked: 0, transitionsChecked: 0, unknownPayload: 0 };
  checkReads(obs, j);
  for (const record of obs.jobs) {
    const { jobId, inSnapshot } = record;
    if (snapshot && inSnapshot) {
      const { task, job } = inSnapshot;
      checkView(job, record, task.taskId, () => `snapshot at t=${snapshot.t}ms has it`, snapshot.t, () => [snapshotExcerpt(snapshot, task, jobId)], j);
    }
    checkCompletions(record, j);
  }

  const { viewsChecked, transitionsChecked, unknownPayload } = j;
  return findings.verdict('outputIntegrity', { viewsChecked, transitionsChecked, unknownPayload, mismatchedResponses });
}
