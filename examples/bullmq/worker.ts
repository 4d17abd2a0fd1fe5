// One BullMQ worker (concurrency 1) of the application: it runs each job's payload and reports
// the outcome to BullMQ (a return value completes the job, a thrown error fails it).
//
// Settings (BullMQ's "Going to production" and "Stalled jobs"): the connection has
// maxRetriesPerRequest null (BullMQ requires it of workers: commands wait through reconnects);
// lockDuration = stalledInterval = --lease-ms (BullMQ's defaults are 30 s each: scaled down
// with their ratio kept, so that a stalled job is noticed within a run); maxStalledCount at its
// default, 1 (a job that stalls a second time is failed: "job stalled more than allowable
// limit"). BullMQ has no job timeout of its own: the processor abandons a payload past its
// timeoutMs and fails the job with "timeout after N ms". The worker's name (BullMQ's processedBy)
// is its id.

import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import { appRedis, dialPort, lifecycle, log, logEnd, logStart, parseArgs, PayloadTimeout, ready, redisOptions, runPayload } from '../common/app.ts';
import { QUEUE_NAME, type JobData, type JobResult } from './queue.ts';

const args = parseArgs();
const redis = appRedis(dialPort(args.redisPort), `${args.id}-app`);
redis.on('error', () => undefined);

async function processor(job: Job<JobData, JobResult>): Promise<JobResult> {
  const jobId = job.id!;
  const { payload, timeoutMs } = job.data;
  const attempt = await logStart(redis, jobId, args.id);
  let result: JobResult;
  try {
    result = await runPayload(payload, timeoutMs);
  } catch (err) {
    await logEnd(redis, jobId, attempt, args.id, 'timeout');
    if (err instanceof PayloadTimeout) throw new Error(`timeout after ${timeoutMs} ms`);
    throw err;
  }
  await logEnd(redis, jobId, attempt, args.id, result.exitCode === 0 ? 'completed' : 'failed');
  if (result.exitCode !== 0) throw new Error(`exit ${result.exitCode}`);
  return result;
}

const worker = new Worker<JobData, JobResult>(QUEUE_NAME, processor, {
  name: args.id,
  // ioredis's options (common/app.ts): BullMQ's own RedisOptions type declares some fields differently
  connection: redisOptions(args.redisPort, { connectionName: args.id, maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(50 * n, 500) }) as unknown as ConnectionOptions,
  concurrency: args.concurrency,
  lockDuration: args.leaseMs,
  stalledInterval: args.leaseMs,
  autorun: false,
});
// connection errors, a lost lock ("Missing lock for job"), failed stall checks: logged, never a crash
worker.on('error', (err: Error) => log(args.id, `worker error: ${err.message}`));
worker.on('stalled', (jobId: string) => log(args.id, `stall check moved job ${jobId} back to wait`));

lifecycle(args.id, async () => {
  await worker.close(true).catch(() => undefined);
  redis.disconnect();
});

async function main(): Promise<void> {
  await worker.waitUntilReady();
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  void worker.run().catch((err: unknown) => log(args.id, `worker stopped: ${err instanceof Error ? err.message : String(err)}`));
  ready('worker', args.id);
}

main().catch((err: unknown) => {
  log(args.id, `failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
