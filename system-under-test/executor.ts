// The executor: one job at a time, for its worker. Checks the cancel flag, records the start,
// runs the job's payload through its payload edge (live: a real child process with only PATH
// in its environment, so the payload never sees the Redis password), enforces the timeout,
// honours cancellation, and publishes its own `running` and outcome events over its own Redis
// link before telling the worker. The logic is the same wherever it runs: the live executor
// process (live.ts: this + IPC + process lifecycle) or in the worker's process (embed.ts,
// inProcessExecutor).

import type { Redis } from 'ioredis';
import { constants } from 'node:os';
import { z } from 'zod';
import {
  type LinkOptions,
  Lifecycle,
  PayloadSchema,
  closeRedis,
  cutRedis,
  errorText,
  keys,
  whenReady,
} from './common.ts';
import { nullExitAsSuccess } from './bugs/null-exit-as-success.ts';
import type { Edges, PayloadHandle } from './embed.ts';
import { createEventPublisher, type EventPublisher } from './event-transport.ts';

// ---------------------------------------------------------------------------------------
// Messages between worker and executor (IPC live, a direct channel in one process)

export const RunMessageSchema = z.object({
  type: z.literal('run'),
  jobId: z.string(),
  attempt: z.number().int(),
  payload: PayloadSchema,
  timeoutMs: z.number().int().min(1),
});
export type RunMessage = z.infer<typeof RunMessageSchema>;

export const ExecutorMessageSchema = z.discriminatedUnion('type', [
  /** the executor's Redis link is up */
  z.object({ type: z.literal('ready') }),
  /** the payload process started (the worker kills it if the executor dies) */
  z.object({ type: z.literal('started'), jobId: z.string(), attempt: z.number(), payloadPid: z.number() }),
  /** the outcome event is in Redis */
  z.object({ type: z.literal('outcome'), jobId: z.string(), attempt: z.number(), state: z.string() }),
]);
export type ExecutorMessage = z.infer<typeof ExecutorMessageSchema>;

// ---------------------------------------------------------------------------------------

/** A payload edge keeps the payload's stdout up to this many bytes (PROTOCOL.md: a completed job's output). */
export const OUTPUT_CAP_BYTES = 64 * 1024;
/** PROTOCOL.md: a running payload of a cancelled job is killed within this (the flag is polled this often) */
export const CANCEL_POLL_MS = 100;
/** how long a payload killed by someone else's signal waits for this executor's own stop, before it counts as the payload's outcome */
const SIGNAL_GRACE_MS = 250;

export type Outcome =
  | { state: 'completed'; exitCode: 0; output: string; durationMs: number }
  | { state: 'failed'; reason: 'exit' | 'timeout' | 'spawn-error'; exitCode: number | null; output: string; durationMs: number }
  | { state: 'cancelled'; reason: 'cancelled'; exitCode: null; output: string; durationMs: number };

/** Where the executor's messages go: its worker over IPC (live), or a direct channel. */
export interface ExecutorHost {
  send(message: ExecutorMessage): void;
  /** Something unexpected happened: the executor must die (live: exit 1) so that its worker starts a fresh one. */
  fatal(why: string): void;
}

/** An executor's logic, running: hand it run messages; stop it. */
export interface ExecutorCore {
  /** A message from the worker (validated here): jobs run one at a time, in the order they come. */
  receive(raw: unknown): void;
  /** Kills the payload in progress and closes the Redis link. */
  stop(why: string): Promise<void>;
  /** Dies at once, as under SIGKILL: the link is cut without QUIT, the payload killed. */
  crash(): void;
}

class Executor {
  /** the payload in progress, killed on stop */
  private payload: PayloadHandle | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly events: EventPublisher,
    private readonly executorId: string,
    private readonly lifecycle: Lifecycle,
    private readonly classify: ClassifyExit,
    private readonly edges: Pick<Edges, 'runPayload'>,
    private readonly host: ExecutorHost,
  ) {}

  killPayload(): void {
    this.payload?.kill();
  }

  async run(job: RunMessage): Promise<void> {
    const { jobId, attempt } = job;
    let outcome: Outcome;
    if (await this.cancelRequested(jobId)) {
      outcome = { state: 'cancelled', reason: 'cancelled', exitCode: null, output: '', durationMs: 0 };
    } else {
      // sent together (one round trip on a slow link); one connection keeps their order
      await Promise.all([
        this.redis.xadd(keys.executions, '*', 'jobId', jobId, 'attempt', String(attempt), 'executorId', this.executorId),
        this.events.publish({ jobId, type: 'running', source: 'executor', sourceId: this.executorId, attempt, seq: 1 }),
      ]);
      const ended = await this.runPayload(job);
      // the executor is stopping under the payload: no outcome; the job is left to its lease
      if (ended === 'interrupted') return;
      outcome = ended;
    }
    await this.events.publish({
      jobId,
      type: outcome.state,
      source: 'executor',
      sourceId: this.executorId,
      attempt,
      seq: 2,
      exitCode: outcome.exitCode,
      output: outcome.output,
      reason: outcome.state === 'completed' ? '' : outcome.reason,
      durationMs: outcome.durationMs,
    });
    this.host.send({ type: 'outcome', jobId, attempt, state: outcome.state });
  }

  private async cancelRequested(jobId: string): Promise<boolean> {
    return (await this.redis.exists(keys.cancel(jobId))) === 1;
  }

  private runPayload(job: RunMessage): Promise<Outcome | 'interrupted'> {
    const { timeoutMs, jobId } = job;
    const started = Date.now();
    let handle: PayloadHandle;
    try {
      handle = this.edges.runPayload(job);
    } catch (err) {
      this.lifecycle.log(`payload of ${jobId} did not start: ${errorText(err)}`);
      return Promise.resolve({ state: 'failed', reason: 'spawn-error', exitCode: null, output: '', durationMs: Date.now() - started });
    }
    return new Promise<Outcome | 'interrupted'>((resolve) => {
      let settled = false;
      let killedFor: 'timeout' | 'cancelled' | undefined;
      let timer: NodeJS.Timeout | undefined;
      let pollTimer: NodeJS.Timeout | undefined;
      const finish = (outcome: Outcome | 'interrupted') => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(pollTimer);
        if (this.payload === handle) this.payload = undefined;
        resolve(outcome);
      };
      const kill = (why: 'timeout' | 'cancelled') => {
        if (settled || killedFor) return;
        killedFor = why;
        handle.kill();
      };

      this.payload = handle;
      if (handle.pid !== undefined) this.host.send({ type: 'started', jobId, attempt: job.attempt, payloadPid: handle.pid });
      timer = setTimeout(() => kill('timeout'), timeoutMs);
      void handle.ended.then(async (end) => {
        if (end.kind === 'spawn-error') {
          this.lifecycle.log(`payload of ${jobId} did not start: ${end.message}`);
          finish({ state: 'failed', reason: 'spawn-error', exitCode: null, output: '', durationMs: Date.now() - started });
          return;
        }
        const durationMs = Date.now() - started;
        // Killed by a signal this executor did not send. A stop signals the payload too (a
        // graceful restart signals the whole process group; a worker stopping its executor kills
        // the payload first), and the payload may die of it before this executor hears of its
        // own stop: that death is the stop, not the payload's outcome (a job that exits 0 once
        // ended `failed`, exit 143, in a restart: found by the live soak).
        if (killedFor === undefined && end.signal !== null) {
          if (!this.lifecycle.stopping) await this.lifecycle.sleep(SIGNAL_GRACE_MS);
          if (this.lifecycle.stopping) {
            finish('interrupted');
            return;
          }
        }
        finish(this.classify({ killedFor, code: end.code, signal: end.signal, output: end.output, durationMs }));
      });

      // Poll the cancel flag while the payload runs; sequential, so a slow link does not
      // pile up requests.
      const poll = async () => {
        if (settled || killedFor || this.lifecycle.stopping) return;
        try {
          if (await this.cancelRequested(jobId)) kill('cancelled');
        } catch (err) {
          if (!this.lifecycle.stopping) this.lifecycle.log(`cancel poll: ${errorText(err)}`);
        }
        if (!settled && !killedFor && !this.lifecycle.stopping) pollTimer = setTimeout(() => void poll(), CANCEL_POLL_MS);
      };
      void poll();
    });
  }
}

/** How a payload that ended is reported: the outcome seam (the null-exit-as-success bug replaces it). */
export type ClassifyExit = (ended: PayloadEnd) => Outcome;

export interface PayloadEnd {
  /** the executor killed it, and why */
  killedFor: 'timeout' | 'cancelled' | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  durationMs: number;
}

export const classifyExit: ClassifyExit = ({ killedFor, code, signal, output, durationMs }) => {
  if (killedFor === 'timeout') return { state: 'failed', reason: 'timeout', exitCode: null, output, durationMs };
  if (killedFor === 'cancelled') return { state: 'cancelled', reason: 'cancelled', exitCode: null, output, durationMs };
  // killed by someone else: report it the way a shell does, 128 + signal number
  const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
  if (exitCode === 0) return { state: 'completed', exitCode: 0, output, durationMs };
  return { state: 'failed', reason: 'exit', exitCode, output, durationMs };
};

/**
 * Starts an executor's logic on its own Redis link (`link.id` is the executor's name). It says
 * `ready` through `host` once the link is up, then runs what `receive` hands it. `lifecycle`
 * (default: a new one) is its stop switch; the live process stops it on a signal.
 */
export function startExecutorCore(
  link: LinkOptions,
  edges: Pick<Edges, 'redis' | 'runPayload' | 'log'>,
  host: ExecutorHost,
  lifecycle = new Lifecycle(edges.log(link.id)),
): ExecutorCore {
  const log = lifecycle.log;
  const redis = edges.redis(link, log, 'commands');
  // the outcome seam, chosen once: the correct classification or a planted bug's
  const classify = link.bugs.has('null-exit-as-success') ? nullExitAsSuccess : classifyExit;
  const executor = new Executor(redis, createEventPublisher(link.bugs, redis), link.id, lifecycle, classify, edges, host);
  lifecycle.onStop(() => closeRedis(redis));
  lifecycle.onStop(() => executor.killPayload());
  lifecycle.onCrash(() => executor.killPayload());
  lifecycle.onCrash(() => cutRedis(redis));

  // one job at a time, in the order the worker sends them
  let chain = Promise.resolve();
  const receive = (raw: unknown) => {
    const parsed = RunMessageSchema.safeParse(raw);
    if (!parsed.success) {
      log(`ignored a malformed message from the worker`);
      return;
    }
    chain = chain.then(() =>
      executor.run(parsed.data).catch((err: unknown) => {
        if (lifecycle.stopping) return;
        // Not a connection error (commands wait for the link): something unexpected. Die,
        // so that the worker starts a fresh executor and runs the job again.
        log(`job ${parsed.data.jobId}: ${errorText(err)}`);
        host.fatal('unexpected error');
      }),
    );
  };

  whenReady(redis).then(
    () => host.send({ type: 'ready' }),
    () => undefined, // closed before it was up: stopped
  );

  return {
    receive,
    stop: (why) => lifecycle.stop(why),
    crash: () => lifecycle.crash(),
  };
}
