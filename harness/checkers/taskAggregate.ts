// task-aggregate: every task status a client read (or a snapshot that carries one) reports is
// the aggregate of the job states reported with it (spec.ts: taskStatus).

import type { HistoryEntry, History, TaskView, Verdict } from '../history/types.ts';
import { Findings, snapshotExcerpt } from './findings.ts';
import { observe, type Observations } from './observations.ts';
import { taskStatus } from './spec.ts';

export function taskAggregate(history: History, obs: Observations = observe(history)): Verdict {
  const findings = new Findings();
  let tasksChecked = 0;

  // `where` and `entries` are built only for a violation that is kept as evidence.
  const check = (task: TaskView, at: number, where: () => string, entries: () => HistoryEntry[]): void => {
    // the snapshot is read from Redis, where a task stores no status: only what the API said is judged
    if (task.status === undefined) return;
    tasksChecked++;
    const expected = taskStatus(task.jobs.map((j) => j.state));
    if (expected === task.status) return;
    findings.add(() => {
      const jobs = task.jobs.map((j) => `${j.jobId}=${j.state}`).join(', ');
      return {
        message: expected
          ? `task ${task.taskId}: ${where()} status ${task.status} but its jobs [${jobs}] aggregate to ${expected}`
          : `task ${task.taskId}: ${where()} status ${task.status} for a task without jobs`,
        taskId: task.taskId,
        at,
        entries: entries(),
      };
    });
  };

  for (const r of obs.reads) {
    check(
      r.task,
      r.okT,
      () => `read by ${r.ok.process} (op ${r.ok.opId}) at t=${r.ok.t}ms shows`,
      () => (r.invoke ? [r.invoke, r.ok] : [r.ok]),
    );
  }
  const snapshot = obs.snapshot;
  if (snapshot) {
    for (const task of snapshot.tasks) {
      check(task, snapshot.t, () => `snapshot at t=${snapshot.t}ms has`, () => [snapshotExcerpt(snapshot, task)]);
    }
  }

  return findings.verdict('taskAggregate', { tasksChecked });
}
