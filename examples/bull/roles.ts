// The Bull application's two roles as functions, started by a process of its own (producer.ts,
// worker.ts) or by the simulation (sim.ts) on its edges: where their connections go (`dial`) and
// where they log are all that differs.
//
// Worker settings (Bull's README, "Stalled jobs", and the Queue options): lockDuration =
// stalledInterval = leaseMs (defaults 30 s each: scaled down so a stalled job is noticed within a
// run), lockRenewTime half of it (its default), maxStalledCount 1 (default: a job that stalls a
// second time is failed); every connection waits through a reconnect. The job's own `timeout`
// option (set by the producer) fails a job that runs too long; attempts 1.
//
// The front door adds jobs (jobId = `${taskId}-${i}`: Bull ignores an add whose id exists, so a
// retried submit adds nothing) and reads them back. Its `client` connection fails fast while Redis
// is unreachable (enableOfflineQueue false, maxRetriesPerRequest 1, commandTimeout 2 s): the API
// then answers 503.

import type { Redis } from 'ioredis';
import { appRedis, jobIdsOf, logEnd, logStart, readTask, runPayload, saveTask, type FrontDoor, type RoleOptions } from '../common/app.ts';
import { connections, Queue, QUEUE_NAME, viewOf, type BullQueue, type JobData, type JobResult } from './queue.ts';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** A started role: `close` stops it gracefully. */
export interface Role {
  close(): Promise<void>;
}

/** Every connection a role opens is told to `opened` (the simulation cuts them when the process is killed). */
const tracked = (make: (type: string) => Redis, opened: RoleOptions['opened']) => (type: string): Redis => {
  const r = make(type);
  opened?.(r);
  return r;
};

export async function startProducer(o: RoleOptions): Promise<Role & { door: FrontDoor }> {
  const open = tracked(connections(o.dial, o.id, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2000 }), o.opened);
  const queue: BullQueue = new Queue(QUEUE_NAME, { createClient: open as never });
  queue.on('error', (err: Error) => o.log(`queue error: ${err.message}`));
  const redis = open('app');
  const close = async () => {
    await queue.close().catch(() => undefined);
    redis.disconnect();
  };
  await queue.isReady();
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  const door: FrontDoor = {
    async submit(key, task) {
      const taskId = key;
      const jobIds = jobIdsOf(taskId, task.subtasks.length);
      await Promise.all(task.subtasks.map((s, index) =>
        queue.add({ taskId, index, payload: s.payload, timeoutMs: s.timeoutMs }, { jobId: jobIds[index], attempts: 1, timeout: s.timeoutMs, removeOnComplete: false, removeOnFail: false })));
      const created = await saveTask(redis, taskId, task.description, jobIds);
      return { taskId, jobIds, created };
    },
    read: (taskId) => readTask(redis, taskId, async (jobId, attempt) => {
      const job = await queue.getJob(jobId);
      return job ? viewOf(jobId, job, await job.getState(), attempt) : undefined;
    }),
  };
  return { door, close };
}

export async function startWorker(o: RoleOptions & { leaseMs: number; concurrency: number }): Promise<Role> {
  const open = tracked(connections(o.dial, o.id, { maxRetriesPerRequest: null }), o.opened);
  const queue: BullQueue = new Queue(QUEUE_NAME, {
    createClient: open as never,
    settings: { lockDuration: o.leaseMs, stalledInterval: o.leaseMs, lockRenewTime: Math.floor(o.leaseMs / 2), maxStalledCount: 1 },
  });
  queue.on('error', (err: Error) => o.log(`queue error: ${err.message}`));
  queue.on('stalled', (job: { id: string }) => o.log(`stall check moved job ${job.id} back to wait`));
  const redis = appRedis(o.dial, `${o.id}-app`);
  o.opened?.(redis);
  redis.on('error', () => undefined);

  /** Logs the start, runs the payload, logs its end; Bull's own timeout (job option) fails a job that runs past it. */
  async function handle(job: { id: string | number; data: JobData }): Promise<JobResult> {
    const jobId = String(job.id);
    const { payload, timeoutMs } = job.data;
    const attempt = await logStart(redis, jobId, o.id);
    // the job's own timeout ends the job first; this one only keeps a hung payload from living forever
    const timer = setTimeout(() => void logEnd(redis, jobId, attempt, o.id, 'timeout').catch(() => undefined), timeoutMs);
    let result: JobResult;
    try {
      result = await runPayload(payload, Math.min(timeoutMs * 2 + 10_000, MAX_TIMER_MS));
    } catch {
      return new Promise<never>(() => undefined);
    } finally {
      clearTimeout(timer);
    }
    await logEnd(redis, jobId, attempt, o.id, result.exitCode === 0 ? 'completed' : 'failed');
    if (result.exitCode !== 0) throw new Error(`exit ${result.exitCode}`);
    return result;
  }

  await queue.isReady();
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  void queue.process(o.concurrency, (job) => handle(job as never)).catch((err: Error) => o.log(`process: ${err.message}`));
  return {
    close: async () => {
      await queue.close(true).catch(() => undefined);
      redis.disconnect();
    },
  };
}
