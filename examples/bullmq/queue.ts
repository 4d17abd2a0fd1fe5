// What the BullMQ application's processes share: the queue's name, the job options every job
// is added with, and how a BullMQ job is shown through the API (GET /tasks/:id).

import type { Job } from 'bullmq';
import type { JobData, JobView, PayloadResult as JobResult } from '../common/app.ts';

/** what a job carries, and what a worker returns for it (each library stores it its own way) */
export type { JobData, JobResult };

/** the one queue of this application: its keys are `bull:chaos:*` */
export const QUEUE_NAME = 'chaos';

/**
 * Every job: one attempt (a payload's exit code fails the job, as in the reference system: no
 * retries); finished jobs are kept an hour (BullMQ's docs advise removing them eventually; the
 * harness reads them at the end of a run), failed ones too.
 */
export const JOB_OPTIONS = { attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } } as const;

/** The events stream keeps this many entries (default 10,000): a run's events are never trimmed. */
export const EVENTS_MAX_LEN = 100_000;

/** "job stalled more than allowable limit" (BullMQ's maxStalledCount reached) → reason `stalled`; "exit N" → `exit`; "timeout after N ms" → `timeout`. */
export function reasonOf(failedReason: string): { reason: string; exitCode: number | null } {
  const exit = /^exit (\d+)$/.exec(failedReason);
  if (exit) return { reason: 'exit', exitCode: Number(exit[1]) };
  if (/^timeout after \d+ ms$/.test(failedReason)) return { reason: 'timeout', exitCode: null };
  if (/stalled more than allowable limit/.test(failedReason)) return { reason: 'stalled', exitCode: null };
  return { reason: failedReason || 'failed', exitCode: null };
}

/** One job as the API shows it: BullMQ's state mapped onto the client API's. */
export function viewOf(jobId: string, job: Pick<Job<JobData, JobResult>, 'returnvalue' | 'failedReason'>, state: string, attempt: number): JobView {
  if (state === 'completed') {
    const r = (job.returnvalue ?? {}) as Partial<JobResult>;
    return { jobId, state: 'completed', attempt, exitCode: r.exitCode ?? 0, output: r.output ?? '', reason: null };
  }
  if (state === 'failed') return { jobId, state: 'failed', attempt, output: '', ...reasonOf(job.failedReason ?? '') };
  return { jobId, state: state === 'active' ? 'running' : 'queued', attempt, exitCode: null, output: null, reason: null };
}
