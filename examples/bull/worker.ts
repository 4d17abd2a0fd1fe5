// One Bull worker (concurrency 1) of the application. Settings (Bull's README, "Stalled jobs"
// and the Queue options): lockDuration = stalledInterval = --lease-ms (defaults 30 s each:
// scaled down so a stalled job is noticed within a run), lockRenewTime half of it (its
// default), maxStalledCount 1 (default: a job that stalls a second time is failed); every
// connection waits through a reconnect. The job's own `timeout` option (set by the producer)
// fails a job that runs too long; attempts 1.

import { appRedis, lifecycle, log, logEnd, logStart, parseArgs, ready, runPayload } from '../common/app.ts';
import { connections, Queue, QUEUE_NAME, type BullQueue, type JobData, type JobResult } from './queue.ts';

const args = parseArgs();
const MAX_TIMER_MS = 2 ** 31 - 1;
const queue: BullQueue = new Queue(QUEUE_NAME, {
  createClient: connections(args.redisPort, args.id, { maxRetriesPerRequest: null }) as never,
  settings: { lockDuration: args.leaseMs, stalledInterval: args.leaseMs, lockRenewTime: Math.floor(args.leaseMs / 2), maxStalledCount: 1 },
});
queue.on('error', (err: Error) => log(args.id, `queue error: ${err.message}`));
queue.on('stalled', (job: { id: string }) => log(args.id, `stall check moved job ${job.id} back to wait`));
const redis = appRedis(args.redisPort, `${args.id}-app`);
redis.on('error', () => undefined);

/** Logs the start, runs the payload, logs its end; Bull's own timeout (job option) fails a job that runs past it. */
async function handle(job: { id: string | number; data: JobData }): Promise<JobResult> {
  const jobId = String(job.id);
  const { payload, timeoutMs } = job.data;
  const attempt = await logStart(redis, jobId, args.id);
  // the job's own timeout ends the job first; this one only keeps a hung payload from living forever
  const timer = setTimeout(() => void logEnd(redis, jobId, attempt, args.id, 'timeout').catch(() => undefined), timeoutMs);
  let result: JobResult;
  try {
    result = await runPayload(payload, Math.min(timeoutMs * 2 + 10_000, MAX_TIMER_MS));
  } catch {
    return new Promise<never>(() => undefined);
  } finally {
    clearTimeout(timer);
  }
  await logEnd(redis, jobId, attempt, args.id, result.exitCode === 0 ? 'completed' : 'failed');
  if (result.exitCode !== 0) throw new Error(`exit ${result.exitCode}`);
  return result;
}

lifecycle(args.id, async () => {
  await queue.close(true).catch(() => undefined);
  redis.disconnect();
});

async function main(): Promise<void> {
  await queue.isReady();
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  void queue.process(args.concurrency, (job) => handle(job as never)).catch((err: Error) => log(args.id, `process: ${err.message}`));
  ready('worker', args.id);
}

main().catch((err: unknown) => {
  log(args.id, `failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
