// The front door of the Bull application: the client API over HTTP (common/app.ts
// serveFrontDoor) on top of a Bull Queue that adds jobs (jobId = `${taskId}-${i}`: Bull ignores
// an add whose id exists, so a retried submit adds nothing) and reads them back. Its `client`
// connection fails fast while Redis is unreachable (enableOfflineQueue false,
// maxRetriesPerRequest 1, commandTimeout 2 s): the API then answers 503.

import { jobIdsOf, lifecycle, log, parseArgs, readTask, ready, saveTask, serveFrontDoor } from '../common/app.ts';
import { connections, Queue, QUEUE_NAME, viewOf, type BullQueue } from './queue.ts';

const args = parseArgs();
const connect = connections(args.redisPort, args.id, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2000 });
const queue: BullQueue = new Queue(QUEUE_NAME, { createClient: connect as never });
queue.on('error', (err: Error) => log(args.id, `queue error: ${err.message}`));
const redis = connect('app');

let server: { close(): Promise<void> } | undefined;
lifecycle(args.id, async () => {
  await server?.close();
  await queue.close().catch(() => undefined);
  redis.disconnect();
});

async function main(): Promise<void> {
  await queue.isReady();
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  const door = await serveFrontDoor(args.httpPort, {
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
  });
  server = door;
  ready('producer', args.id, { port: door.port });
}

main().catch((err: unknown) => {
  log(args.id, `failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
