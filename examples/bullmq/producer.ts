// The front door of the BullMQ application: the client API over HTTP (common/app.ts
// serveFrontDoor) on top of a BullMQ Queue that adds jobs (custom job id = `${taskId}-${i}`:
// BullMQ ignores an add whose id exists, so a retried submit adds nothing) and reads them back.
//
// Its connection goes through its own link and fails fast while Redis is unreachable, as
// BullMQ's "Going to production" advises for producers: enableOfflineQueue false (a command
// fails at once instead of waiting for a reconnect), a small maxRetriesPerRequest and a
// commandTimeout for a link that silently drops traffic. The API then answers 503.

import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { jobIdsOf, lifecycle, log, parseArgs, readTask, ready, redisOptions, saveTask, serveFrontDoor } from '../common/app.ts';
import { EVENTS_MAX_LEN, JOB_OPTIONS, QUEUE_NAME, viewOf, type JobData, type JobResult } from './queue.ts';

const args = parseArgs();

const connection = new Redis(redisOptions(args.redisPort, {
  connectionName: args.id,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 2000,
  retryStrategy: (n) => Math.min(50 * n, 500),
}));
connection.on('error', () => undefined); // reconnects by itself; a failed command answers 503

const queue = new Queue<JobData, JobResult>(QUEUE_NAME, { connection, defaultJobOptions: JOB_OPTIONS, streams: { events: { maxLen: EVENTS_MAX_LEN } } });
queue.on('error', (err: Error) => log(args.id, `queue error: ${err.message}`));

let server: { close(): Promise<void> } | undefined;
lifecycle(args.id, async () => {
  await server?.close();
  await queue.close().catch(() => undefined);
  connection.disconnect();
});

async function main(): Promise<void> {
  await queue.waitUntilReady();
  const door = await serveFrontDoor(args.httpPort, {
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
  });
  server = door;
  ready('producer', args.id, { port: door.port });
}

main().catch((err: unknown) => {
  log(args.id, `failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
