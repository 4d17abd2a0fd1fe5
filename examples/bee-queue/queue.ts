// What the bee-queue application's processes share: the queue's name and how a bee-queue Queue
// connects (node-redis v3 options: host, the process's own link port, the password from the
// environment, and a retry_strategy that reconnects forever).

import Queue from 'bee-queue';
import type { JobData, JobView, PayloadResult as JobResult } from '../common/app.ts';

/** what a job carries, and what a worker returns for it (each library stores it its own way) */
export type { JobData, JobResult };

/** the one queue of this application: its keys are `bq:chaos:*` */
export const QUEUE_NAME = 'chaos';

/**
 * node-redis v3 client options. With a retry_strategy that returns a number node-redis never
 * gives up (and does not emit connection errors as 'error'); offlineQueue false makes a
 * command fail at once while the connection is down instead of waiting for it to come back.
 */
export function redisSettings(port: number, o: { offlineQueue: boolean }): Record<string, unknown> {
  return {
    host: '127.0.0.1',
    port,
    ...(process.env.SUT_REDIS_PASSWORD ? { password: process.env.SUT_REDIS_PASSWORD } : {}),
    retry_strategy: (r: { attempt: number }) => Math.min(50 * r.attempt, 500),
    enable_offline_queue: o.offlineQueue,
  };
}

/** One job as the API shows it, from bee-queue's job hash and its active list. */
export function viewOf(jobId: string, job: { status: string; progress: unknown; options: { stacktraces?: string[] } }, active: boolean, attempt: number): JobView {
  const result = (job.progress && typeof job.progress === 'object' ? job.progress : {}) as Partial<JobResult>;
  if (job.status === 'succeeded') return { jobId, state: 'completed', attempt, exitCode: result.exitCode ?? 0, output: result.output ?? '', reason: null };
  if (job.status === 'failed') {
    const message = (job.options.stacktraces?.[0] ?? '').split('\n')[0]!.replace(/^Error: /, '');
    const exit = /^exit (\d+)$/.exec(message);
    if (exit) return { jobId, state: 'failed', attempt, exitCode: Number(exit[1]), output: result.output ?? '', reason: 'exit' };
    if (/timed out \(\d+ ms\)$/.test(message)) return { jobId, state: 'failed', attempt, exitCode: null, output: '', reason: 'timeout' };
    return { jobId, state: 'failed', attempt, exitCode: null, output: result.output ?? '', reason: message || 'failed' };
  }
  return { jobId, state: active ? 'running' : 'queued', attempt, exitCode: null, output: null, reason: null };
}

export type BeeQueue = Queue<JobData>;
export { Queue };
