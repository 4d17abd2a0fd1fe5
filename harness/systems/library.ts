// What every system whose evidence is the instrumentation kit's shares on the harness's side
// (kitSystem, and the example library applications in examples/): the shape of a front door and
// N workers with a link each and no keepers, and the final snapshot of their tasks.

import { workerIds } from '../env/shape.ts';
import type { HistoryRecorder } from '../history/recorder.ts';
import { oneLine } from '../text/oneLine.ts';
import type { ExecutionEntry, JobView, SnapshotEntry, TaskView, Unreadable } from '../history/types.ts';
import type { SystemShape } from './types.ts';
import type { readAppTasks } from './evidence.ts';

/** A front door (`producer`), N workers, no keepers; one link per process and `client`. */
export function libraryShape({ workers }: { workers: number }): SystemShape {
  const ws = workerIds(workers);
  return { frontDoor: 'producer', workers: ws, keepers: [], links: ['producer', ...ws, 'client'] };
}

/** Per job, its highest attempt in the execution log: how many times it was started. */
export function startsPerJob(executions: readonly ExecutionEntry[]): Map<string, number> {
  const starts = new Map<string, number>();
  for (const e of executions) starts.set(e.jobId, Math.max(starts.get(e.jobId) ?? 0, e.attempt));
  return starts;
}

/**
 * The final snapshot of a library's jobs: every recorded task with each of its jobs as the
 * library's own API shows it (`view`, given the job's start count: undefined when the library
 * has no such job, which leaves it out, so the checkers see it missing). A job whose reading
 * throws is listed as unreadable under `keyOf(jobId)`, never dropped.
 */
export async function snapshotOfTasks(
  history: HistoryRecorder, tasks: Awaited<ReturnType<typeof readAppTasks>>, executions: readonly ExecutionEntry[],
  view: (jobId: string, attempt: number) => Promise<JobView | undefined>, keyOf: (jobId: string) => string,
): Promise<SnapshotEntry> {
  const starts = startsPerJob(executions);
  const t = history.now();
  const unreadable: Unreadable[] = [];
  const views: TaskView[] = [];
  for (const task of tasks) {
    const jobs: JobView[] = [];
    for (const jobId of task.jobIds) {
      try {
        const job = await view(jobId, starts.get(jobId) ?? 0);
        if (job) jobs.push(job);
      } catch (err) {
        unreadable.push({ key: keyOf(jobId), taskId: task.taskId, jobId, error: oneLine(err) });
      }
    }
    views.push({ taskId: task.taskId, idempotencyKey: task.idempotencyKey, jobs });
  }
  return { kind: 'snapshot', t, tasks: views, runningSet: [], runningInfo: [], ...(unreadable.length ? { unreadable } : {}) };
}

