// The worker: takes one job at a time from the queue, announces it `running`, has its
// executor run it, keeps the job's lease alive meanwhile, and acknowledges the job only
// once the executor reports that the outcome event is in Redis.

import type { Redis } from 'ioredis';
import { AckBeforeRunQueue } from './bugs/ack-before-run-queue.ts';
import { HeartbeatStatusQueue } from './bugs/heartbeat-status-queue.ts';
import { LeaseNotExtendedQueue } from './bugs/lease-not-extended-queue.ts';
import { ListJobQueue } from './bugs/list-queue.ts';
import { NoReclaimJobQueue } from './bugs/no-reclaim-queue.ts';
import {
  type Bugs,
  type LinkOptions,
  type Logger,
  Lifecycle,
  PayloadSchema,
  TERMINAL_STATES,
  closeRedis,
  cutRedis,
  errorText,
  keys,
  whenReady,
} from './common.ts';
import type { Edges, ExecutorHandle, RoleHandle } from './embed.ts';
import { createEventPublisher, type EventPublisher } from './event-transport.ts';
import type { RunMessage } from './executor.ts';
import { StreamJobQueue, type JobDelivery, type JobQueue, type QueueOptions } from './job-queue.ts';

export interface WorkerOptions extends LinkOptions {
  leaseMs: number;
  executorRedisPort: number;
  /** BENCH-ONLY (PROTOCOL.md, "Bench-only"): no executor; each job is a no-op run in-process */
  benchNoopPayload?: boolean;
}

export interface WorkerHandle extends RoleHandle {
  /** the executor it runs now (live: its pid; undefined in process, or with --bench-noop-payload) */
  readonly executorPid: number | undefined;
}

type RunResult = 'done' | 'lost';

/** The worker's executor: started at start, started again whenever it dies (through edges.startExecutor). */
class ExecutorSupervisor {
  private executor: ExecutorHandle | undefined;
  private starting: Promise<void> | undefined;
  private current: { jobId: string; attempt: number; resolve: (r: RunResult) => void } | undefined;
  /** settles once the executor started last has exited */
  private gone: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: WorkerOptions,
    private readonly edges: Pick<Edges, 'startExecutor'>,
    private readonly lifecycle: Lifecycle,
    private readonly log: Logger,
  ) {}

  get pid(): number | undefined {
    return this.executor?.pid;
  }

  /** Resolves once an executor is up and its Redis link is ready. */
  ensure(): Promise<void> {
    this.starting ??= this.startLoop();
    return this.starting;
  }

  private async startLoop(): Promise<void> {
    while (!this.lifecycle.stopping) {
      if (await this.startOnce()) return;
      await this.lifecycle.sleep(200);
    }
  }

  /** true once the new executor says it is ready; false if it died first */
  private startOnce(): Promise<boolean> {
    const { options } = this;
    const link: LinkOptions = { redisHost: options.redisHost, redisPort: options.executorRedisPort, id: `${options.id}-executor`, bugs: options.bugs };
    let exited!: () => void;
    this.gone = new Promise<void>((resolve) => (exited = resolve));
    return new Promise<boolean>((resolve) => {
      let ready = false;
      const executor: ExecutorHandle = this.edges.startExecutor(link, this.log, {
        message: (msg) => {
          if (msg.type === 'ready') {
            ready = true;
            resolve(true);
          } else if (msg.type === 'outcome' && this.current && this.current.jobId === msg.jobId && this.current.attempt === msg.attempt) {
            this.current.resolve('done');
            this.current = undefined;
          }
        },
        // the payload it left is killed already (the edge's contract)
        exit: (how) => {
          this.log(`executor ${executor.pid} exited (${how})`);
          exited();
          if (this.executor === executor) this.executor = undefined;
          // a start in progress keeps its promise: startLoop starts again by itself
          if (ready) this.starting = undefined;
          this.current?.resolve('lost');
          this.current = undefined;
          if (!ready) resolve(false);
          // start the next one now, so that an executor is up (and killable) between jobs
          else if (!this.lifecycle.stopping) void this.ensure();
        },
      });
      this.executor = executor;
      this.log(`executor started, pid ${executor.pid}`);
    });
  }

  /** 'done' once the outcome event is in Redis; 'lost' if the executor died first. */
  async run(job: RunMessage): Promise<RunResult> {
    await this.ensure();
    const executor = this.executor;
    if (!executor) return 'lost';
    return new Promise<RunResult>((resolve) => {
      this.current = { jobId: job.jobId, attempt: job.attempt, resolve };
      if (!executor.send(job)) {
        this.current = undefined;
        resolve('lost');
      }
    });
  }

  stop(): void {
    this.executor?.kill();
  }

  crash(): void {
    this.executor?.crash();
  }

  /** Settles once no executor of this worker runs any more (after stop). */
  stopped(): Promise<void> {
    return this.gone;
  }
}

// ---------------------------------------------------------------------------------------
// BENCH-ONLY: `--bench-noop-payload` (PROTOCOL.md, "Bench-only"). Used by `npm run bench`
// (vs-bullmq) to measure the queue/event path without process forks: no executor is forked
// and no payload is spawned; for each job the worker itself writes what an executor would
// (the executions entry and `running`, then `completed` with output ''), over its own
// connection. Never used by the chaos harness; the default path above is unchanged.
class BenchNoopExecutor {
  constructor(
    private readonly redis: Redis,
    private readonly events: EventPublisher,
    private readonly executorId: string,
  ) {}

  async run(job: RunMessage): Promise<RunResult> {
    const { jobId, attempt } = job;
    await Promise.all([
      this.redis.xadd(keys.executions, '*', 'jobId', jobId, 'attempt', String(attempt), 'executorId', this.executorId),
      this.events.publish({ jobId, type: 'running', source: 'executor', sourceId: this.executorId, attempt, seq: 1 }),
    ]);
    await this.events.publish({
      jobId, type: 'completed', source: 'executor', sourceId: this.executorId, attempt, seq: 2, exitCode: 0, output: '', reason: '', durationMs: 0,
    });
    return 'done';
  }
}
// ---------------------------------------------------------------------------------------

class Worker {
  constructor(
    private readonly redis: Redis,
    private readonly queue: JobQueue,
    private readonly events: EventPublisher,
    private readonly executor: Pick<ExecutorSupervisor, 'run'>,
    private readonly options: WorkerOptions,
    private readonly lifecycle: Lifecycle,
    private readonly log: Logger,
  ) {}

  async loop(): Promise<void> {
    while (!this.lifecycle.stopping) {
      let delivery: JobDelivery | null;
      try {
        delivery = await this.queue.next();
      } catch (err) {
        if (this.lifecycle.stopping) return;
        this.log(`queue: ${errorText(err)}`);
        await this.lifecycle.sleep(200);
        continue;
      }
      if (!delivery) continue;
      try {
        await this.handle(delivery);
      } catch (err) {
        // the job stays pending: the lease runs out and some worker reclaims it
        if (!this.lifecycle.stopping) this.log(`job ${delivery.jobId}: ${errorText(err)}`);
        await this.lifecycle.sleep(200);
      }
    }
  }

  private async handle(delivery: JobDelivery): Promise<void> {
    const { jobId } = delivery;
    const [state, payloadJson, timeoutMs] = await this.redis.hmget(keys.job(jobId), 'state', 'payload', 'timeoutMs');
    if (delivery.via !== 'new') this.log(`job ${jobId}: ${delivery.via}, state ${state}`);
    if (state === null || TERMINAL_STATES.has(state)) {
      // finished already (a duplicate delivery), or not a job at all
      await this.ackRetrying(delivery);
      return;
    }
    const payload = parsePayload(payloadJson);

    const heartbeat = this.startHeartbeat(delivery);
    try {
      for (;;) {
        if (this.lifecycle.stopping) return;
        const attempt = await this.redis.incr(keys.attempts(jobId));
        // The worker announces `running` without holding the job back for it (the seed's
        // Celery role): its event and the executor's travel different links and may arrive in
        // either order. The keeper's state machine, not this worker, keeps the order.
        const announced = this.events
          .publish({ jobId, type: 'running', source: 'worker', sourceId: this.options.id, attempt, seq: 1 })
          .catch((err: unknown) => this.log(`job ${jobId}: running event: ${errorText(err)}`));
        if (!payload) {
          // the stored payload is unreadable: fail the job instead of leaving it queued
          await this.events.publish({ jobId, type: 'failed', source: 'worker', sourceId: this.options.id, attempt, seq: 2, reason: 'spawn-error', durationMs: 0 });
          break;
        }
        const result = await this.executor.run({ type: 'run', jobId, attempt, payload, timeoutMs: Number(timeoutMs) || 30_000 });
        // every event of this attempt is out before the job is acked
        await announced;
        if (result === 'done') break;
        if (this.lifecycle.stopping) return;
        this.log(`job ${jobId}: executor died during attempt ${attempt}; running it again`);
      }
      await this.ackRetrying(delivery);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** XCLAIM to itself every lease/3: resets the entry's idle time, so it is not reclaimed. */
  private startHeartbeat(delivery: JobDelivery): NodeJS.Timeout {
    let busy = false;
    return setInterval(() => {
      if (busy) return;
      busy = true;
      this.queue
        .heartbeat(delivery)
        .catch((err: unknown) => this.log(`heartbeat ${delivery.jobId}: ${errorText(err)}`))
        .finally(() => {
          busy = false;
        });
    }, Math.max(1, Math.floor(this.options.leaseMs / 3)));
  }

  private async ackRetrying(delivery: JobDelivery): Promise<void> {
    for (;;) {
      try {
        await this.queue.ack(delivery);
        return;
      } catch (err) {
        if (this.lifecycle.stopping) throw err;
        this.log(`ack ${delivery.jobId}: ${errorText(err)}`);
        await this.lifecycle.sleep(200);
      }
    }
  }
}

function parsePayload(json: string | null): RunMessage['payload'] | undefined {
  try {
    const parsed = PayloadSchema.safeParse(JSON.parse(json ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The queue seam, chosen once: the correct stream queue or a planted bug's variant. */
function createJobQueue(bugs: Bugs, redis: Redis, blocking: Redis, options: QueueOptions): JobQueue {
  const base = baseJobQueue(bugs, redis, blocking, options);
  const queue = bugs.has('lease-not-extended') ? new LeaseNotExtendedQueue(base) : base;
  return bugs.has('heartbeat-status') ? new HeartbeatStatusQueue(queue, redis) : queue;
}

function baseJobQueue(bugs: Bugs, redis: Redis, blocking: Redis, options: QueueOptions): JobQueue {
  if (bugs.has('brpop-queue')) return new ListJobQueue(blocking);
  const queue = bugs.has('no-reclaim') ? new NoReclaimJobQueue(redis, blocking, options) : new StreamJobQueue(redis, blocking, options);
  return bugs.has('ack-before-run') ? new AckBeforeRunQueue(queue) : queue;
}

/**
 * Starts a worker in this process: its two connections, its executor (edges.startExecutor),
 * the queue's group; then its loop runs until stop. Resolves once it is ready (PROTOCOL.md).
 * `lifecycle` (default: a new one) lets a caller stop it while it is still starting.
 */
export async function startWorker(options: WorkerOptions, edges: Edges, lifecycle = new Lifecycle(edges.log(options.id))): Promise<WorkerHandle> {
  const log = lifecycle.log;
  const redis = edges.redis(options, log, 'commands');
  const blocking = edges.redis(options, log, 'blocking', 1000);
  const executor = new ExecutorSupervisor(options, edges, lifecycle, log);
  lifecycle.onStop(() => closeRedis(redis, blocking));
  lifecycle.onStop(() => executor.stop());
  lifecycle.onCrash(() => executor.crash());
  lifecycle.onCrash(() => [redis, blocking].forEach(cutRedis));

  const queue = createJobQueue(options.bugs, redis, blocking, { id: options.consumer ?? options.id, leaseMs: options.leaseMs, log });
  const events = createEventPublisher(options.bugs, redis);
  // BENCH-ONLY: --bench-noop-payload replaces the executor (see BenchNoopExecutor)
  const runner = options.benchNoopPayload ? new BenchNoopExecutor(redis, events, `${options.id}-executor`) : executor;
  const worker = new Worker(redis, queue, events, runner, options, lifecycle, log);

  await Promise.all([whenReady(redis), whenReady(blocking), options.benchNoopPayload ? undefined : executor.ensure()]);
  await queue.prepare();
  const loop = worker.loop().catch((err: unknown) => log(`worker loop ended: ${errorText(err)}`));
  return {
    id: options.id,
    get executorPid() {
      return executor.pid;
    },
    stop: async (why = 'stopped') => {
      await lifecycle.stop(why);
      await Promise.all([loop, executor.stopped()]);
    },
    crash: () => lifecycle.crash(),
  };
}
