// What the Bull application's processes share: the queue's name, how a Bull Queue connects
// (createClient: one ioredis connection per role, each through the process's own link), the job
// options, and how a Bull job is shown through the API (GET /tasks/:id).

import Queue from 'bull';
import { Redis, type RedisOptions } from 'ioredis';
import type { Dial, JobData, JobView, PayloadResult as JobResult } from '../common/app.ts';

/** what a job carries, and what a worker returns for it (each library stores it its own way) */
export type { JobData, JobResult };

/** the one queue of this application: its keys are `bull:chaos:*` (Bull's default prefix, like BullMQ's) */
export const QUEUE_NAME = 'chaos';

/**
 * Bull's connections: its `subscriber` and `bclient` must have maxRetriesPerRequest null and no
 * ready check (Bull refuses others); `client` is the producer's fail-fast connection or a
 * worker's patient one (commands wait through a reconnect). `dial` says where a connection goes
 * (common/app.ts Dial: the process's link live, the simulation's network in simulation).
 */
export function connections(dial: Dial, name: string, client: RedisOptions): (type: string) => Redis {
  return (type) => {
    const base = dial({ connectionName: `${name}-${type}`, retryStrategy: (n: number) => Math.min(50 * n, 500) });
    const r = new Redis(type === 'client' ? { ...base, ...client } : { ...base, maxRetriesPerRequest: null, enableReadyCheck: false });
    r.on('error', () => undefined);
    return r;
  };
}

/** "exit N" → reason `exit`; Bull's own timeout ("Promise timed out after N milliseconds") → `timeout`; its stall limit → `stalled`. */
export function reasonOf(failedReason: string): { reason: string; exitCode: number | null } {
  const exit = /^exit (\d+)$/.exec(failedReason);
  if (exit) return { reason: 'exit', exitCode: Number(exit[1]) };
  if (/timed out after \d+ milliseconds/.test(failedReason)) return { reason: 'timeout', exitCode: null };
  if (/stalled more than (allowable limit|maxStalledCount)/.test(failedReason)) return { reason: 'stalled', exitCode: null };
  return { reason: failedReason || 'failed', exitCode: null };
}

/** One job as the API shows it: Bull's state mapped onto the client API's. */
export function viewOf(jobId: string, job: { returnvalue: unknown; failedReason?: string }, state: string, attempt: number): JobView {
  if (state === 'completed') {
    const r = (job.returnvalue ?? {}) as Partial<JobResult>;
    return { jobId, state: 'completed', attempt, exitCode: r.exitCode ?? 0, output: r.output ?? '', reason: null };
  }
  if (state === 'failed') return { jobId, state: 'failed', attempt, output: '', ...reasonOf(job.failedReason ?? '') };
  return { jobId, state: state === 'active' ? 'running' : 'queued', attempt, exitCode: null, output: null, reason: null };
}

export type BullQueue = Queue.Queue<JobData>;
export { Queue };
