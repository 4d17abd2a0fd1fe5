// What an unreadable part of the final state can hide. A key the harness could not read leaves
// undecided only what it could hold: its own job, its task's jobs, or everything ('*'); a job
// elsewhere is judged as usual.

import type { Unreadable } from '../history/types.ts';

/** Whether `unreadable` may hide job `jobId` (of task `taskId`, when known) from the snapshot. */
export function mayHide(unreadable: readonly Unreadable[], jobId: string, taskId?: string): boolean {
  return unreadable.some((u) => u.key === '*' || u.jobId === jobId || (taskId !== undefined && u.taskId === taskId && u.jobId === undefined));
}

/** Whether the evidence named `key` (a log, the running set) could not be read. */
export function unread(unreadable: readonly Unreadable[], key: string | undefined): boolean {
  return unreadable.some((u) => u.key === '*' || (key !== undefined && u.key === key));
}
