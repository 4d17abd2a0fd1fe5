// One bee-queue worker (concurrency 1) of the application: a worker Queue (isWorker: true) that
// processes the queue, runs each job's payload, and checks for stalled jobs itself
// (queue.checkStalledJobs(interval), as bee-queue's README asks of worker processes).
//
// Settings: stallInterval = --lease-ms (a worker must renew each active job within it, else a
// stall check moves the job back to waiting); the job's own timeout (Job#timeout, set by the
// producer) is what fails a job that runs too long; retries 0 (set by the producer).
// All its Redis connections (bee-queue's command and blocking clients, the app's execution log)
// go through its own link and reconnect forever.

import { appRedis, dialPort, lifecycle, log, logEnd, logStart, parseArgs, ready, runPayload } from '../common/app.ts';
import { Queue, QUEUE_NAME, redisSettings, type BeeQueue, type JobData, type JobResult } from './queue.ts';

const args = parseArgs();
const MAX_TIMER_MS = 2 ** 31 - 1;

const queue: BeeQueue = new Queue<JobData>(QUEUE_NAME, {
  redis: redisSettings(args.redisPort, { offlineQueue: true }) as never,
  isWorker: true,
  getEvents: false, // a worker needs no events (one connection less)
  sendEvents: true, // publishes succeeded / failed / retrying / progress on bq:chaos:events
  storeJobs: false,
  stallInterval: args.leaseMs,
  removeOnSuccess: false, // keep finished jobs: the harness reads their final state
  removeOnFailure: false,
  activateDelayedJobs: false, // no delayed jobs: no delayUntil, retries 0
});
// bee-queue forwards its clients' errors (and failed stall checks, brpoplpush failures, failed
// job status updates) here: log them, never crash
queue.on('error', (err: Error) => log(args.id, `queue error: ${err.message}`));
queue.on('stalled', (jobId: string) => log(args.id, `stall check moved job ${jobId} back to waiting`));

const redis = appRedis(dialPort(args.redisPort), `${args.id}-app`);
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
  const attempt = await logStart(redis, job.id, args.id);
  let ended = false;
  const end = async (outcome: string) => {
    if (ended) return;
    ended = true;
    await logEnd(redis, job.id, attempt, args.id, outcome);
  };
  const never = new Promise<never>(() => undefined);
  const left = limit - (Date.now() - startedAt);
  if (left <= 0) {
    await end('timeout');
    return never;
  }
  const timer = setTimeout(() => void end('timeout').catch((err: Error) => log(args.id, `logEnd: ${err.message}`)), left);
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

let closing = false;
lifecycle(args.id, async () => {
  closing = true;
  await queue.close(500).catch(() => undefined);
  redis.disconnect();
});

async function main(): Promise<void> {
  await queue.ready();
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  if (closing) return;
  // bee-queue leaves stall checks to the application: every half stall interval (its JSDoc's
  // advice; the stallBlock key makes the check run at most once per stallInterval anyway)
  queue.checkStalledJobs(Math.max(100, Math.floor(args.leaseMs / 2))).catch((err: Error) => log(args.id, `stall check: ${err.message}`));
  queue.process(args.concurrency, (job) => handle(job as never));
  ready('worker', args.id);
}

main().catch((err: unknown) => {
  log(args.id, `failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
