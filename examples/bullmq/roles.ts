// The BullMQ application's two roles as functions, started by a process of its own (producer.ts,
// worker.ts) or by the simulation (common/sim.ts) on its edges: where their connections go
// (`dial`) and where they log are all that differs.
//
// Worker settings (BullMQ's "Going to production" and "Stalled jobs"): the connection has
// maxRetriesPerRequest null (BullMQ requires it of workers: commands wait through reconnects);
// lockDuration = stalledInterval = leaseMs (BullMQ's defaults are 30 s each: scaled down with
// their ratio kept, so that a stalled job is noticed within a run); maxStalledCount at its
// default, 1 (a job that stalls a second time is failed: "job stalled more than allowable
// limit"). BullMQ has no job timeout of its own: the processor abandons a payload past its
// timeoutMs and fails the job with "timeout after N ms". The worker's name (BullMQ's processedBy)
// is its id.
//
// The front door adds jobs (custom job id = `${taskId}-${i}`: BullMQ ignores an add whose id
// exists, so a retried submit adds nothing) and reads them back. Its connection fails fast while
// Redis is unreachable, as BullMQ's "Going to production" advises for producers:
// enableOfflineQueue false, a small maxRetriesPerRequest and a commandTimeout for a link that
// silently drops traffic. The API then answers 503.

import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { appRedis, jobIdsOf, logEnd, logStart, PayloadTimeout, readTask, runPayload, saveTask, type FrontDoor, type RoleOptions } from '../common/app.ts';
import { EVENTS_MAX_LEN, JOB_OPTIONS, QUEUE_NAME, viewOf, type JobData, type JobResult } from './queue.ts';

/** A started role: `close` stops it gracefully, `crash` ends its loops and timers at once without a word to Redis. */
export interface Role {
  close(): Promise<void>;
  crash(): void;
}

export async function startProducer(o: RoleOptions): Promise<Role & { door: FrontDoor }> {
  const connection = new Redis(o.dial({ connectionName: o.id, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2000, retryStrategy: (n) => Math.min(50 * n, 500) }));
  o.opened?.(connection);
  connection.on('error', () => undefined); // reconnects by itself; a failed command answers 503
  const queue = new Queue<JobData, JobResult>(QUEUE_NAME, { connection, defaultJobOptions: JOB_OPTIONS, streams: { events: { maxLen: EVENTS_MAX_LEN } } });
  queue.on('error', (err: Error) => o.log(`queue error: ${err.message}`));
  await queue.waitUntilReady();
  const door: FrontDoor = {
    async submit(key, task) {
      const taskId = key;
      const jobIds = jobIdsOf(taskId, task.subtasks.length);
      await queue.addBulk(task.subtasks.map((s, index) => ({
        name: 'payload', data: { taskId, index, payload: s.payload, timeoutMs: s.timeoutMs }, opts: { jobId: jobIds[index] },
      })));
      const created = await saveTask(connection, taskId, task.description, jobIds);
      return { taskId, jobIds, created };
    },
    // a job not in BullMQ is left out (the task is recorded after its jobs, so it should not happen)
    read: (taskId) => readTask(connection, taskId, async (jobId, attempt) => {
      const job = await queue.getJob(jobId);
      return job ? viewOf(jobId, job, await job.getState(), attempt) : undefined;
    }),
  };
  return {
    door,
    close: async () => {
      await queue.close().catch(() => undefined);
      connection.disconnect();
    },
    crash: () => void queue.close().catch(() => undefined),
  };
}

export async function startWorker(o: RoleOptions & { leaseMs: number; concurrency: number }): Promise<Role> {
  const redis = appRedis(o.dial, `${o.id}-app`);
  o.opened?.(redis);
  redis.on('error', () => undefined);

  async function processor(job: Job<JobData, JobResult>): Promise<JobResult> {
    const jobId = job.id!;
    const { payload, timeoutMs } = job.data;
    const attempt = await logStart(redis, jobId, o.id);
    let result: JobResult;
    try {
      result = await runPayload(payload, timeoutMs);
    } catch (err) {
      await logEnd(redis, jobId, attempt, o.id, 'timeout');
      if (err instanceof PayloadTimeout) throw new Error(`timeout after ${timeoutMs} ms`);
      throw err;
    }
    await logEnd(redis, jobId, attempt, o.id, result.exitCode === 0 ? 'completed' : 'failed');
    if (result.exitCode !== 0) throw new Error(`exit ${result.exitCode}`);
    return result;
  }

  const worker = new Worker<JobData, JobResult>(QUEUE_NAME, processor, {
    name: o.id,
    // ioredis's options (common/app.ts): BullMQ's own RedisOptions type declares some fields differently
    connection: o.dial({ connectionName: o.id, maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(50 * n, 500) }) as unknown as ConnectionOptions,
    concurrency: o.concurrency,
    lockDuration: o.leaseMs,
    stalledInterval: o.leaseMs,
    autorun: false,
  });
  // connection errors, a lost lock ("Missing lock for job"), failed stall checks: logged, never a crash
  worker.on('error', (err: Error) => o.log(`worker error: ${err.message}`));
  worker.on('stalled', (jobId: string) => o.log(`stall check moved job ${jobId} back to wait`));
  await worker.waitUntilReady();
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  void worker.run().catch((err: unknown) => o.log(`worker stopped: ${err instanceof Error ? err.message : String(err)}`));
  return {
    close: async () => {
      await worker.close(true).catch(() => undefined);
      redis.disconnect();
    },
    // its connections are BullMQ's own: a forced close ends its loops and timers (what it sends then reaches nothing)
    crash: () => void worker.close(true).catch(() => undefined),
  };
}
