// output-integrity: a completed job's stored output is exactly what its payload prints, and
// a job that failed on its exit code carries the payload's exit code. The payload of job i
// is jobs[i] of the submit whose ok response listed the job at position i.

import type { ClientEntry, History, HistoryEntry, JobView, Payload, Verdict } from '../history/types.ts';
import { describeTransition, Findings, snapshotExcerpt } from './findings.ts';
import { observe, type Observations, type SubmitOp } from './observations.ts';
import { expectedOutput } from './spec.ts';

interface Origin {
  payload: Payload;
  submit: SubmitOp;
}

function show(text: string | null | undefined): string {
  if (text == null) return String(text);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

const submitEntries = (op: SubmitOp): ClientEntry[] => (op.completion ? [op.invoke, op.completion] : [op.invoke]);

/** What is wrong with a job view given its payload; empty when nothing is. */
function problemsOf(job: JobView, payload: Payload): string[] {
  const problems: string[] = [];
  if (job.state === 'completed') {
    const expected = expectedOutput(payload);
    if (job.output !== expected) problems.push(`output ${show(job.output)} but the payload prints ${show(expected)}`);
    if (payload.exitCode !== 0) problems.push(`completed but the payload exits with ${payload.exitCode}`);
    else if (typeof job.exitCode === 'number' && job.exitCode !== 0) problems.push(`completed with exitCode ${job.exitCode}`);
  } else if (job.state === 'failed' && job.reason === 'exit' && job.exitCode !== payload.exitCode) {
    problems.push(`failed on exit code ${String(job.exitCode)} but the payload exits with ${payload.exitCode}`);
  }
  return problems;
}

export function outputIntegrity(history: History, obs: Observations = observe(history)): Verdict {
  const findings = new Findings();
  const snapshot = obs.snapshot;

  // jobId → its payload: from acknowledged submits, then (for recovered tasks) from the
  // submits that sent the snapshot task's idempotency key, when they all sent the same jobs.
  const origins = new Map<string, Origin>();
  let mismatchedResponses = 0;
  for (const op of obs.submits) {
    if (!op.jobIds || !op.payloads) continue;
    if (op.jobIds.length !== op.payloads.length) {
      mismatchedResponses++;
      findings.add(() => ({
        message: `task ${op.taskId}: submit op ${op.invoke.opId} by ${op.invoke.process} sent ${op.payloads!.length} job(s) but its ok at t=${op.completion!.t}ms lists ${op.jobIds!.length} jobIds`,
        taskId: op.taskId,
        at: op.completion!.t,
        entries: submitEntries(op),
      }));
      continue;
    }
    op.jobIds.forEach((jobId, i) => {
      if (!origins.has(jobId)) origins.set(jobId, { payload: op.payloads![i], submit: op });
    });
  }
  if (snapshot) {
    for (const task of snapshot.tasks) {
      if (task.idempotencyKey == null || task.jobs.every((j) => origins.has(j.jobId))) continue;
      const sent = obs.submitsByKey.get(task.idempotencyKey);
      const first = sent?.[0];
      if (!first?.payloads || first.payloads.length !== task.jobs.length) continue;
      const shape = JSON.stringify(first.payloads);
      if (!sent!.every((op) => op.payloads && JSON.stringify(op.payloads) === shape)) continue;
      task.jobs.forEach((job, i) => {
        if (!origins.has(job.jobId)) origins.set(job.jobId, { payload: first.payloads![i], submit: first });
      });
    }
  }

  let viewsChecked = 0;
  let transitionsChecked = 0;
  let unknownPayload = 0;
  const checkView = (job: JobView, taskId: string, where: () => string, at: number, entries: () => HistoryEntry[]): void => {
    if (job.state !== 'completed' && !(job.state === 'failed' && job.reason === 'exit')) return;
    const origin = origins.get(job.jobId);
    if (!origin) {
      unknownPayload++;
      return;
    }
    viewsChecked++;
    const problems = problemsOf(job, origin.payload);
    if (problems.length === 0) return;
    findings.add(() => ({
      message: `job ${job.jobId} (task ${taskId}): ${where()} ${job.state} with ${problems.join('; ')} (payload sent by ${origin.submit.invoke.process} op ${origin.submit.invoke.opId})`,
      jobId: job.jobId,
      taskId,
      at,
      entries: [...entries(), ...submitEntries(origin.submit)],
    }));
  };

  for (const r of obs.reads) {
    for (const job of r.task.jobs) {
      checkView(
        job,
        r.task.taskId,
        () => `read by ${r.ok.process} (op ${r.ok.opId}) at t=${r.ok.t}ms shows it`,
        r.ok.t,
        () => (r.invoke ? [r.invoke, r.ok] : [r.ok]),
      );
    }
  }
  if (snapshot) {
    for (const [, { task, job }] of obs.snapshotJobs) {
      checkView(job, task.taskId, () => `snapshot at t=${snapshot.t}ms has it`, snapshot.t, () => [snapshotExcerpt(snapshot, task, job.jobId)]);
    }
  }

  for (const [jobId, applied] of obs.appliedByJob) {
    for (const e of applied) {
      if (e.to !== 'completed' || e.output == null) continue;
      const origin = origins.get(jobId);
      if (!origin) {
        unknownPayload++;
        continue;
      }
      transitionsChecked++;
      const expected = expectedOutput(origin.payload);
      if (e.output === expected) continue;
      findings.add({
        message: `job ${jobId}: applied ${describeTransition(e)} with output ${show(e.output)} but the payload prints ${show(expected)}`,
        jobId,
        at: e.t,
        entries: [e, ...submitEntries(origin.submit)],
      });
    }
  }

  return findings.verdict('outputIntegrity', { viewsChecked, transitionsChecked, unknownPayload, mismatchedResponses });
}
