// The bee-queue application's two roles as functions, started by a process of its own
// (producer.ts, worker.ts) or by the simulation (sim.ts) on its edges: where their connections go
// (`dial`, and `socket` for node-redis in simulation) and where they log are all that differs.
//
// Worker (isWorker: true, concurrency --concurrency): stallInterval = leaseMs (a worker must renew
// each active job within it, else a stall check moves the job back to waiting); it checks for
// stalled jobs itself (queue.checkStalledJobs(interval), as bee-queue's README asks of worker
// processes); the job's own timeout (Job#timeout, set by the producer) is what fails a job that
// runs too long; retries 0 (set by the producer). All its connections (bee-queue's command and
// blocking clients, the app's execution log) reconnect forever.
//
// Front door (isWorker: false, getEvents: false: it only adds jobs and reads them back, as
// bee-queue's README recommends for producers). Its connections fail fast while Redis is
// unreachable: node-redis with enable_offline_queue false, ioredis with enableOfflineQueue false
// and a commandTimeout, and a deadline around every request for a link that silently drops
// traffic. The API then answers 503.

import { Redis } from 'ioredis';
import { appRedis, jobIdsOf, logEnd, logStart, readTask, runPayload, saveTask, type FrontDoor, type RoleOptions } from '../common/app.ts';
import { nodeRedisClient, Queue, QUEUE_NAME, redisSettings, viewOf, type BeeQueue, type JobData, type JobResult, type NodeRedisClient } from './queue.ts';

const MAX_TIMER_MS = 2 ** 31 - 1;
const DEADLINE_MS = 2000;

/** A started role: `close` stops it gracefully; `crash` ends its node-redis clients and its timers at once, without a word to Redis. */
export interface Role {
  close(): Promise<void>;
  crash(): void;
}

/**
 * A Queue that is ready, made again until one is. node-redis fails its ready check when its first
 * INFO goes unanswered (a link dropping traffic, Redis restarting), and bee-queue then gives up on
 * that Queue for good; a process of this application waits for Redis instead (as a supervisor would
 * start it again): a new Queue every 500 ms until one is ready, or until `o.signal` says the process
 * was killed. `crash` ends its node-redis clients (bee-queue duplicates the one it is given) and its
 * timers at once, without a word to Redis.
 */
async function readyQueue(o: RoleOptions, offlineQueue: boolean, settings: Record<string, unknown>): Promise<{ queue: BeeQueue; crash(): void }> {
  for (;;) {
    const made: NodeRedisClient[] = [];
    const client = nodeRedisClient(o, redisSettings({ offlineQueue }), (c) => made.push(c));
    const queue: BeeQueue = new Queue<JobData>(QUEUE_NAME, { redis: client as never, quitCommandClient: true, ...settings });
    // bee-queue forwards its clients' errors (and failed stall checks, brpoplpush failures, failed
    // job status updates) here: log them, never crash
    queue.on('error', (err: Error) => o.log(`queue error: ${err.message}`));
    const crash = () => {
      // no reconnects, no QUIT: what is pending fails (in simulation the sockets are cut already)
      for (const c of made) c.end(true);
      // no new jobs, no stall checks
      void queue.close(1).catch(() => undefined);
    };
    try {
      await queue.ready();
      return { queue, crash };
    } catch (err) {
      crash();
      if (o.signal?.aborted) throw err;
      o.log(`queue not ready (${err instanceof Error ? err.message : String(err)}): a new one in 500 ms`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (o.signal?.aborted) throw new Error('killed while starting');
    }
  }
}

/** The request fails after DEADLINE_MS (a link that drops traffic leaves node-redis waiting forever). */
function deadline<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer from Redis within ${DEADLINE_MS} ms`)), DEADLINE_MS))),
  ]).finally(() => clearTimeout(timer));
}

export async function startProducer(o: RoleOptions): Promise<Role & { door: FrontDoor }> {
  const { queue, crash } = await readyQueue(o, false, {
    isWorker: false,
    getEvents: false,
    sendEvents: false,
    // a producer's getJob would otherwise answer from its in-memory job table, which nothing
    // updates without events: it would show a job 'created' forever
    storeJobs: false,
    activateDelayedJobs: false,
  });
  const redis = new Redis(o.dial({ connectionName: `${o.id}-app`, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1500, retryStrategy: (n) => Math.min(50 * n, 500) }));
  o.opened?.(redis);
  redis.on('error', () => undefined); // reconnects by itself; a failed command answers 503
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));

  /** The ids in bee-queue's active list (Queue#getJobs('active')): a job there is running; bee-queue's job status has no 'active'. */
  const activeIds = async () => new Set((await queue.getJobs('active', { start: 0, end: -1 })).map((j) => j.id));
  const door: FrontDoor = {
    async submit(key, task) {
      const taskId = key;
      const jobIds = jobIdsOf(taskId, task.subtasks.length);
      // a job id that exists already is not saved again: save() resolves with job.id null
      await deadline('submit', Promise.all(task.subtasks.map((s, index) =>
        queue.createJob({ taskId, index, payload: s.payload, timeoutMs: s.timeoutMs }).setId(jobIds[index]!).timeout(s.timeoutMs).retries(0).save())));
      const created = await deadline('submit', saveTask(redis, taskId, task.description, jobIds));
      return { taskId, jobIds, created };
    },
    read: (taskId) => deadline('read', (async () => {
      const active = await activeIds();
      // a job not (yet) in bee-queue is left out: the task is recorded after its jobs, so it should not happen
      return readTask(redis, taskId, async (jobId, attempt) => {
        const job = await queue.getJob(jobId);
        return job ? viewOf(jobId, job, active.has(jobId), attempt) : undefined;
      });
    })()),
  };
  return {
    door,
    close: async () => {
      await queue.close(500).catch(() => undefined);
      redis.disconnect();
    },
    crash,
  };
}

export async function startWorker(o: RoleOptions & { leaseMs: number; concurrency: number }): Promise<Role> {
  const { queue, crash } = await readyQueue(o, true, {
    isWorker: true,
    getEvents: false, // a worker needs no events (one connection less)
    sendEvents: true, // publishes succeeded / failed / retrying / progress on bq:chaos:events
    storeJobs: false,
    stallInterval: o.leaseMs,
    removeOnSuccess: false, // keep finished jobs: the harness reads their final state
    removeOnFailure: false,
    activateDelayedJobs: false, // no delayed jobs: no delayUntil, retries 0
  });
  queue.on('stalled', (jobId: string) => o.log(`stall check moved job ${jobId} back to waiting`));
  const redis = appRedis(o.dial, `${o.id}-app`);
  o.opened?.(redis);
  redis.on('error', () => undefined);

  /**
   * One job: log the start, run the payload, log how it ended, and return the result or throw so
   * bee-queue records it. When the job's own timeout passes first, the end is logged as 'timeout'
   * and the handler never settles: bee-queue's timeout (Job#timeout) is what fails the job.
   */
  async function handle(job: { id: string; data: JobData; options: { timeout?: number }; reportProgress(p: unknown): unknown }): Promise<JobResult> {
    const startedAt = Date.now();
    const { payload } = job.data;
    const limit = job.options.timeout ?? job.data.timeoutMs;
    const attempt = await logStart(redis, job.id, o.id);
    let ended = false;
    const end = async (outcome: string) => {
      if (ended) return;
      ended = true;
      await logEnd(redis, job.id, attempt, o.id, outcome);
    };
    const never = new Promise<never>(() => undefined);
    const left = limit - (Date.now() - startedAt);
    if (left <= 0) {
      await end('timeout');
      return never;
    }
    const timer = setTimeout(() => void end('timeout').catch((err: Error) => o.log(`logEnd: ${err.message}`)), left);
    let result;
    try {
      // a timeout safely past the job's own: bee-queue fails the job first (and a setTimeout past 2^31-1 ms fires at once)
      result = await runPayload(payload, Math.min(limit * 2 + 10_000, MAX_TIMER_MS));
    } catch {
      clearTimeout(timer);
      await end('timeout');
      return never;
    } finally {
      clearTimeout(timer);
    }
    if (ended) return never; // the job's timeout passed: bee-queue has failed (or is failing) it
    await end(result.exitCode === 0 ? 'completed' : 'failed');
    // the result goes into the job's progress, which bee-queue writes to the job hash with the
    // final status (Queue#_finishJob stores job.toData()): the only place it keeps a result
    Promise.resolve(job.reportProgress(result)).catch(() => undefined);
    if (result.exitCode !== 0) throw new Error(`exit ${result.exitCode}`);
    return result;
  }

  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  // bee-queue leaves stall checks to the application: every half stall interval (its JSDoc's
  // advice; the stallBlock key makes the check run at most once per stallInterval anyway)
  queue.checkStalledJobs(Math.max(100, Math.floor(o.leaseMs / 2))).catch((err: Error) => o.log(`stall check: ${err.message}`));
  queue.process(o.concurrency, (job) => handle(job as never));
  return {
    close: async () => {
      await queue.close(500).catch(() => undefined);
      redis.disconnect();
    },
    crash,
  };
}
