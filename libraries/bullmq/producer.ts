// The front door of the BullMQ application: the client API over HTTP (libraries/common/app.ts
// serveFrontDoor) on top of a BullMQ Queue that adds jobs (custom job id = `${taskId}-${i}`:
// BullMQ ignores an add whose id exists, so a retried submit adds nothing) and reads them back.
//
// Its connection goes through its own link and fails fast while Redis is unreachable, as
// BullMQ's "Going to production" advises for producers: enableOfflineQueue false (a command
// fails at once instead of waiting for a reconnect), a small maxRetriesPerRequest and a
// commandTimeout for a link that silently drops traffic. The API then answers 503.

import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ATTEMPTS_PREFIX, jobIdsOf, lifecycle, loadTask, log, parseArgs, ready, redisOptions, saveTask, serveFrontDoor, type JobView } from '../common/app.ts';
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
    async read(taskId) {
      const jobIds = await loadTask(connection, taskId);
      if (!jobIds) return undefined;
      const attempts = jobIds.length ? await connection.mget(jobIds.map((id) => ATTEMPTS_PREFIX + id)) : [];
      const jobs: JobView[] = [];
      for (const [i, jobId] of jobIds.entries()) {
        const job = await queue.getJob(jobId);
        if (!job) continue; // not in BullMQ: the task is recorded after its jobs, so this should not happen
        jobs.push(viewOf(jobId, job, await job.getState(), Number(attempts[i] ?? 0)));
      }
      return { taskId, idempotencyKey: taskId, jobs };
    },
  });
  server = door;
  ready('producer', args.id, { port: door.port });
}

main().catch((err: unknown) => {
  log(args.id, `failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
