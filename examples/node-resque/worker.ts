// One worker process: a node-resque Worker on the `tasks` queue (a Resque worker works one job at a
// time) and, as node-resque's docker example recommends ("every worker node will also be a
// scheduler: we handle leader election"), a Scheduler. The scheduler's leader finds workers that
// stopped pinging (a crashed or frozen process) and fails the job they held with "Worker Timeout
// (killed manually)"; with retryStuckJobs it puts such jobs back on their queue, so a job whose
// worker crashed runs again instead of waiting in the failed queue for a person.
//
// Usage: worker.ts <id> <redis port> <lease ms>. The harness names the process <id>; node-resque
// names its worker host:pid (its default), so a restarted process is a new worker and the one
// that died is found by its stale ping.
//
// node-resque's timers are scaled from the lease the way their defaults relate (a worker pings and
// polls every 5 s, the scheduler polls every 5 s, a worker is stuck after an hour without a ping,
// the leader lock lasts 3 min): the worker pings and polls every lease/4, the scheduler polls every
// lease/2, a worker is stuck after a lease without a ping, the leader lock lasts 1.5 leases. A
// crashed worker's job runs again within about two leases.
//
// Each job: if our record says it already finished (a stuck worker's job put back after the first
// run ended), it is not run again. Otherwise the start is logged with the kit, the job moves to
// running, the payload runs (the kit's runPayload: the harness's abstract payload), the job moves
// to completed or failed, and the end is logged. A non-zero exit or a timeout is thrown, so
// node-resque records the failure in its failed queue as it does for any failing job.
import { Redis } from 'ioredis';
import { Scheduler, Worker } from 'node-resque';
import { PayloadTimeout, runPayload } from '../../harness/instrument/index.ts';
import { JOB_CLASS, kit, lifecycle, log, message, moveJob, NAMESPACE, QUEUE, ready, TERMINAL, workerConnection, type TaskJobArgs } from './common.ts';

const [ID, portArg, leaseArg] = process.argv.slice(2);
const redisPort = Number(portArg);
const leaseMs = Number(leaseArg ?? 2000);
if (!ID || !Number.isInteger(redisPort) || !Number.isInteger(leaseMs) || leaseMs < 1000) {
  process.stderr.write('usage: worker.ts <id> <redis port> <lease ms (at least 1000)>\n');
  process.exit(2);
}

const redis = new Redis(workerConnection(redisPort, ID));
redis.on('error', () => undefined);
const schedulerRedis = new Redis(workerConnection(redisPort, `${ID}-scheduler`));
schedulerRedis.on('error', () => undefined);

async function runTask(args: TaskJobArgs): Promise<string> {
  const { jobId, payload, timeoutMs } = args;
  const state = await redis.hget(kit.keys.statePrefix + jobId, 'state');
  if (state && TERMINAL.has(state)) {
    log(ID, `job ${jobId} is already ${state}: not run again`);
    return `already ${state}`;
  }
  const attempt = await kit.payloadStarted(redis, jobId, ID);
  const from = await moveJob(redis, { jobId, to: 'running', attempt, sourceId: ID });
  if (from.startsWith('finished:')) {
    log(ID, `job ${jobId} finished elsewhere while it started here (${from}): not run`);
    await kit.payloadEnded(redis, jobId, attempt, ID, 'skipped');
    return `already ${from.slice('finished:'.length)}`;
  }
  let result;
  try {
    result = await runPayload(payload, timeoutMs);
  } catch (err) {
    if (!(err instanceof PayloadTimeout)) throw err;
    await moveJob(redis, { jobId, to: 'failed', attempt, sourceId: ID, exitCode: null, reason: 'timeout' });
    await kit.payloadEnded(redis, jobId, attempt, ID, 'timeout');
    throw err;
  }
  const outcome = result.exitCode === 0 ? 'completed' : 'failed';
  await moveJob(redis, { jobId, to: outcome, attempt, sourceId: ID, exitCode: result.exitCode, output: result.output, reason: outcome === 'failed' ? 'exit' : null });
  await kit.payloadEnded(redis, jobId, attempt, ID, outcome);
  if (result.exitCode !== 0) throw new Error(`exit ${result.exitCode}`);
  return result.output;
}

const jobs = {
  [JOB_CLASS]: { perform: (args: TaskJobArgs) => runTask(args) },
};

const worker = new Worker({ connection: { redis, namespace: NAMESPACE }, queues: [QUEUE], timeout: Math.round(leaseMs / 4) }, jobs);
const scheduler = new Scheduler({
  connection: { redis: schedulerRedis, namespace: NAMESPACE },
  timeout: Math.round(leaseMs / 2),
  stuckWorkerTimeout: leaseMs,
  leaderLockTimeout: Math.max(1, Math.ceil((1.5 * leaseMs) / 1000)),
  retryStuckJobs: true,
});

const jobIdOf = (job: unknown): string => ((job as { args?: TaskJobArgs[] } | null)?.args?.[0]?.jobId ?? '?');
worker.on('job', (_queue, job) => log(ID, `working job ${jobIdOf(job)}`));
worker.on('success', (_queue, job) => log(ID, `job ${jobIdOf(job)} succeeded`));
worker.on('failure', (_queue, job, failure) => log(ID, `job ${jobIdOf(job)} failed: ${message(failure)}`));
worker.on('error', (error, _queue, job) => log(ID, `worker error${job ? ` (job ${jobIdOf(job)})` : ''}: ${message(error)}`));
scheduler.on('leader', () => log(ID, 'scheduler became leader'));
scheduler.on('cleanStuckWorker', (workerName, errorPayload, delta) => log(ID, `scheduler failed stuck worker ${workerName} (no ping for ${delta} s), its job: ${errorPayload ? jobIdOf(errorPayload.payload) : 'none'}`));
scheduler.on('error', (error) => log(ID, `scheduler error: ${message(error)}`));

lifecycle(ID, async () => {
  await scheduler.end();
  await worker.end();
  redis.disconnect();
  schedulerRedis.disconnect();
});

async function main(): Promise<void> {
  await worker.connect();
  await scheduler.connect();
  await worker.start();
  await scheduler.start();
  log(ID, `node-resque worker ${worker.name} started on queue ${QUEUE}`);
  ready('worker', ID, { resqueWorker: worker.name });
}

main().catch((err: unknown) => {
  log(ID, `failed to start: ${message(err)}`);
  process.exit(1);
});
