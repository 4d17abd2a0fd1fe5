// The front door of the bee-queue application: the client API over HTTP (common/app.ts
// serveFrontDoor) on top of a producer Queue (isWorker: false, getEvents: false: it only adds
// jobs and reads them back, as bee-queue's README recommends for producers).
//
// Its Redis connections (bee-queue's command client, the app's ioredis connection for the task
// records) go through its own link and fail fast while Redis is unreachable: node-redis with
// enable_offline_queue: false, ioredis with enableOfflineQueue: false and a commandTimeout, and a
// deadline around every request for a link that silently drops traffic. The API then answers 503.

import { Redis } from 'ioredis';
import { jobIdsOf, lifecycle, log, parseArgs, readTask, ready, redisOptions, saveTask, serveFrontDoor } from '../common/app.ts';
import { Queue, QUEUE_NAME, redisSettings, viewOf, type BeeQueue, type JobData } from './queue.ts';

const args = parseArgs();
const DEADLINE_MS = 2000;

const queue: BeeQueue = new Queue<JobData>(QUEUE_NAME, {
  redis: redisSettings(args.redisPort, { offlineQueue: false }) as never,
  isWorker: false,
  getEvents: false,
  sendEvents: false,
  // a producer's getJob would otherwise answer from its in-memory job table, which nothing
  // updates without events: it would show a job 'created' forever
  storeJobs: false,
  activateDelayedJobs: false,
});
queue.on('error', (err: Error) => log(args.id, `queue error: ${err.message}`));

const redis = new Redis(redisOptions(args.redisPort, {
  connectionName: `${args.id}-app`,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 1500,
  retryStrategy: (n) => Math.min(50 * n, 500),
}));
redis.on('error', () => undefined); // reconnects by itself; a failed command answers 503

/** The request fails after DEADLINE_MS (a link that drops traffic leaves node-redis waiting forever). */
function deadline<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer from Redis within ${DEADLINE_MS} ms`)), DEADLINE_MS))),
  ]).finally(() => clearTimeout(timer));
}

/** The ids in bee-queue's active list (Queue#getJobs('active')): a job there is running; bee-queue's job status has no 'active'. */
async function activeIds(): Promise<Set<string>> {
  return new Set((await queue.getJobs('active', { start: 0, end: -1 })).map((j) => j.id));
}

let server: { close(): Promise<void> } | undefined;
lifecycle(args.id, async () => {
  await server?.close();
  await queue.close(500).catch(() => undefined);
  redis.disconnect();
});

async function main(): Promise<void> {
  await queue.ready();
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  const door = await serveFrontDoor(args.httpPort, {
    async submit(key, task) {
      const taskId = key;
      const jobIds = jobIdsOf(taskId, task.subtasks.length);
      // a job id that exists already is not saved again: save() resolves with job.id null
      await deadline('submit', Promise.all(task.subtasks.map((s, index) =>
        queue.createJob({ taskId, index, payload: s.payload, timeoutMs: s.timeoutMs }).setId(jobIds[index]!).timeout(s.timeoutMs).retries(0).save())));
      const created = await deadline('submit', saveTask(redis, taskId, task.description, jobIds));
      return { taskId, jobIds, created };
    },
    read(taskId) {
      return deadline('read', (async () => {
        const active = await activeIds();
        // a job not (yet) in bee-queue is left out: the task is recorded after its jobs, so it should not happen
        return readTask(redis, taskId, async (jobId, attempt) => {
          const job = await queue.getJob(jobId);
          return job ? viewOf(jobId, job, active.has(jobId), attempt) : undefined;
        });
      })());
    },
  });
  server = door;
  ready('producer', args.id, { port: door.port });
}

main().catch((err: unknown) => {
  log(args.id, `failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
