// The executor: forked by its worker, one job at a time. Runs the job's payload as a real
// child process with only PATH in its environment (the payload never sees the Redis
// password), enforces the timeout, honours cancellation, and publishes its own `running`
// and outcome events over its own Redis link before telling the worker.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import {
  type LinkOptions,
  Lifecycle,
  PayloadSchema,
  closeRedis,
  connectRedis,
  errorText,
  keys,
  killTree,
  makeLogger,
  sleep,
  whenReady,
} from './common.ts';
import { nullExitAsSuccess } from './bugs/null-exit-as-success.ts';
import { createEventPublisher, type EventPublisher } from './event-transport.ts';

// ---------------------------------------------------------------------------------------
// IPC between worker and executor

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

const OUTPUT_CAP_BYTES = 64 * 1024;
const CANCEL_POLL_MS = 100;
/** a hanging payload sleeps this long past its timeout (the timeout kills it first) */
const HANG_EXTRA_S = 30;

// $1 seconds to sleep (fractional), $2 exit code; the output comes on stdin, so that any
// text (even NUL, which argv cannot carry) is printed exactly
const PAYLOAD_SCRIPT = 'sleep "$1"; cat; exit "$2"';

export type Outcome =
  | { state: 'completed'; exitCode: 0; output: string; durationMs: number }
  | { state: 'failed'; reason: 'exit' | 'timeout' | 'spawn-error'; exitCode: number | null; output: string; durationMs: number }
  | { state: 'cancelled'; reason: 'cancelled'; exitCode: null; output: string; durationMs: number };

class Executor {
  /** pid of the payload in progress, killed on shutdown */
  payloadPid: number | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly events: EventPublisher,
    private readonly executorId: string,
    private readonly lifecycle: Lifecycle,
    private readonly classify: ClassifyExit,
  ) {}

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
      outcome = await this.runPayload(job);
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
    send({ type: 'outcome', jobId, attempt, state: outcome.state });
  }

  private async cancelRequested(jobId: string): Promise<boolean> {
    return (await this.redis.exists(keys.cancel(jobId))) === 1;
  }

  private runPayload(job: RunMessage): Promise<Outcome> {
    const { payload, timeoutMs, jobId } = job;
    const seconds = payload.hang ? timeoutMs / 1000 + HANG_EXTRA_S : payload.durationMs / 1000;
    const started = Date.now();
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      let killedFor: 'timeout' | 'cancelled' | undefined;
      const stdout: Buffer[] = [];
      let stdoutBytes = 0;
      const output = () => Buffer.concat(stdout).toString('utf8');

      const child = spawn('/bin/sh', ['-c', PAYLOAD_SCRIPT, 'payload', String(seconds), String(payload.exitCode)], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      // EPIPE when the payload is killed before it read its input: nothing to do
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(payload.output.map((line) => line + '\n').join(''));
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.payloadPid = undefined;
        resolve(outcome);
      };
      const kill = (why: 'timeout' | 'cancelled') => {
        if (settled || killedFor) return;
        killedFor = why;
        if (child.pid !== undefined) killTree(child.pid);
      };

      if (child.pid !== undefined) {
        this.payloadPid = child.pid;
        send({ type: 'started', jobId, attempt: job.attempt, payloadPid: child.pid });
      }
      child.stdout?.on('data', (chunk: Buffer) => {
        if (stdoutBytes >= OUTPUT_CAP_BYTES) return;
        const part = chunk.subarray(0, OUTPUT_CAP_BYTES - stdoutBytes);
        stdout.push(part);
        stdoutBytes += part.length;
      });
      timer = setTimeout(() => kill('timeout'), timeoutMs);
      child.once('error', (err) => {
        this.lifecycle.log(`payload of ${jobId} did not start: ${errorText(err)}`);
        finish({ state: 'failed', reason: 'spawn-error', exitCode: null, output: '', durationMs: Date.now() - started });
      });
      child.once('close', (code, signal) => {
        finish(this.classify({ killedFor, code, signal, output: output(), durationMs: Date.now() - started }));
      });

      // Poll the cancel flag while the payload runs; sequential, so a slow link does not
      // pile up requests.
      void (async () => {
        while (!settled && !killedFor && !this.lifecycle.stopping) {
          try {
            if (await this.cancelRequested(jobId)) kill('cancelled');
          } catch (err) {
            this.lifecycle.log(`cancel poll: ${errorText(err)}`);
          }
          await sleep(CANCEL_POLL_MS);
        }
      })();
    });
  }
}

function send(message: ExecutorMessage): void {
  // the callback takes the error of a channel that closed meanwhile ('disconnect' handles it)
  if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
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

export async function runExecutor(options: LinkOptions): Promise<void> {
  const log = makeLogger(options.id);
  const lifecycle = new Lifecycle(log);
  lifecycle.install();
  const redis = connectRedis(options, log, 'commands');
  const classify = options.bugs.has('null-exit-as-success') ? nullExitAsSuccess : classifyExit;
  const executor = new Executor(redis, createEventPublisher(options.bugs, redis), options.id, lifecycle, classify);
  lifecycle.onStop(() => closeRedis(redis));
  lifecycle.onStop(() => {
    if (executor.payloadPid !== undefined) killTree(executor.payloadPid);
  });
  // the worker is gone (or closed the channel): nothing left to run for
  process.on('disconnect', () => void lifecycle.stop('worker disconnected'));

  // one job at a time, in the order the worker sends them
  let chain = Promise.resolve();
  process.on('message', (raw: unknown) => {
    const parsed = RunMessageSchema.safeParse(raw);
    if (!parsed.success) {
      log(`ignored a malformed message from the worker`);
      return;
    }
    chain = chain.then(() =>
      executor.run(parsed.data).catch((err: unknown) => {
        // Not a connection error (commands wait for the link): something unexpected. Exit,
        // so that the worker forks a fresh executor and runs the job again.
        log(`job ${parsed.data.jobId}: ${errorText(err)}`);
        void lifecycle.stop('unexpected error', 1);
      }),
    );
  });

  await whenReady(redis);
  send({ type: 'ready' });
}
