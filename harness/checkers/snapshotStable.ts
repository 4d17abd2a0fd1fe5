// snapshot-stable: the final state does not move once the system is quiet. The runner takes a
// first snapshot once the system is quiet and nothing is in flight (runner/run.ts firstSnapshot),
// and the final one a quiet period later; a stale write that lands between the two is judged
// here. (terminalStable holds the final one against the log and the reads.)
//
// What counts as a change, and why:
// - a job terminal in the first snapshot whose state, exit code, output or reason differs in the
//   final one, or that is gone from it: a violation (a terminal state is never overwritten, and a
//   finished job deleted is as lost as one overwritten). Its attempt is not compared: a
//   redelivery counted after the outcome changes no outcome, and reexecution judges reruns.
// - a job not terminal in the first and terminal in the final: late, not wrong (`late`).
// - a job not terminal in either whose state moved (queued → running): nothing owed yet, counted
//   (`movedUnfinished`); totalQueue judges it unfinished in the final snapshot.
// - a job only in the final snapshot (a write that came after the first): counted (`appeared`);
//   totalQueue judges whether anyone submitted it.
// What a snapshot could not read decides nothing: a job the first did not show is not compared,
// and a terminal job the final may have hidden (unreadable) is `unknown`, never a violation.
// A history without a first snapshot (written before the runner took one) has nothing to compare.

import type { History, JobView, SnapshotEntry, Verdict } from '../history/types.ts';
import { Findings, snapshotExcerpt } from './findings.ts';
import { observe, type Observations } from './observations.ts';
import { isTerminal } from './spec.ts';
import { mayHide } from './unreadable.ts';

/** The outcome fields a terminal job must keep; absent and null are one (PROTOCOL.md writes null for "none"). */
const OUTCOME = ['state', 'exitCode', 'output', 'reason', 'durationMs'] as const;

const differences = (a: JobView, b: JobView): string[] => OUTCOME.filter((k) => (a[k] ?? null) !== (b[k] ?? null));

function describeJob(j: JobView): string {
  const parts = [j.state, ...(j.exitCode != null ? [`exit ${j.exitCode}`] : []), ...(j.reason ? [`reason ${j.reason}`] : []), ...(j.durationMs != null ? [`duration ${j.durationMs} ms`] : []), ...(j.output != null ? [`output ${JSON.stringify(j.output)}`] : [])];
  return parts.join(', ');
}

export function snapshotStable(history: History, obs: Observations = observe(history)): Verdict {
  const findings = new Findings();
  const first = obs.firstSnapshot;
  const final = obs.snapshot;
  let compared = 0;
  let late = 0;
  let movedUnfinished = 0;
  let appeared = 0;
  let undecided = 0;
  if (!first) return findings.verdict('snapshotStable', { compared, late, movedUnfinished, appeared, undecided });
  if (!final) {
    return {
      checker: 'snapshotStable',
      valid: 'unknown',
      evidence: [{ message: `a first snapshot at t=${first.t}ms but no final one to hold it against`, at: first.t }],
      stats: { violations: 0, compared, late, movedUnfinished, appeared, undecided },
    };
  }

  const inFinal = new Map<string, { task: SnapshotEntry['tasks'][number]; job: JobView }>();
  for (const task of final.tasks) for (const job of task.jobs) if (!inFinal.has(job.jobId)) inFinal.set(job.jobId, { task, job });
  const inFirst = new Set<string>();
  const unreadable = final.unreadable ?? [];
  const excerpts = (firstTask: SnapshotEntry['tasks'][number], finalTask: SnapshotEntry['tasks'][number] | undefined, jobId: string): SnapshotEntry[] => [
    { ...snapshotExcerpt(first, firstTask, jobId), first: true },
    snapshotExcerpt(final, finalTask, jobId),
  ];

  for (const task of first.tasks) {
    for (const before of task.jobs) {
      if (inFirst.has(before.jobId)) continue; // a repeat within one snapshot is totalQueue's
      inFirst.add(before.jobId);
      const after = inFinal.get(before.jobId);
      if (!isTerminal(before.state)) {
        if (after && isTerminal(after.job.state)) late++;
        else if (after && after.job.state !== before.state) movedUnfinished++;
        continue;
      }
      compared++;
      if (!after) {
        if (mayHide(unreadable, before.jobId, task.taskId)) {
          undecided++;
          continue;
        }
        findings.add(() => ({
          message: `job ${before.jobId} (task ${task.taskId}): ${describeJob(before)} in the snapshot at t=${first.t}ms, gone from the final snapshot at t=${final.t}ms`,
          jobId: before.jobId,
          taskId: task.taskId,
          at: final.t,
          entries: excerpts(task, undefined, before.jobId),
        }));
        continue;
      }
      const changed = differences(before, after.job);
      if (changed.length === 0) continue;
      findings.add(() => ({
        message: `job ${before.jobId} (task ${task.taskId}): ${describeJob(before)} in the snapshot at t=${first.t}ms, ${describeJob(after.job)} in the final snapshot at t=${final.t}ms (${changed.join(', ')} changed after the system was quiet)`,
        jobId: before.jobId,
        taskId: task.taskId,
        at: final.t,
        entries: excerpts(task, after.task, before.jobId),
      }));
    }
  }
  for (const jobId of inFinal.keys()) if (!inFirst.has(jobId)) appeared++;

  if (findings.count === 0 && undecided > 0) {
    return {
      checker: 'snapshotStable',
      valid: 'unknown',
      evidence: unreadable.map((u) => ({ message: `could not read ${u.key} in the final snapshot: ${u.error}`, jobId: u.jobId, taskId: u.taskId })),
      stats: { violations: 0, compared, late, movedUnfinished, appeared, undecided },
    };
  }
  return findings.verdict('snapshotStable', { compared, late, movedUnfinished, appeared, undecided });
}
