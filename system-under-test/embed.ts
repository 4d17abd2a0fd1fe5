// The embedding seam of the reference system (PROTOCOL.md, "Embedding"): the one module through
// which the roles' real code can run somewhere other than in its own OS processes. A role needs
// five things from the operating system (its Redis connections, fresh ids, its executor, its
// payload process, a log); `Edges` names them, `liveEdges` is what the live processes use, and a
// simulator supplies its own. Everything else (the orchestrator's submit/read/cancel logic, the
// worker loop, the job queue, the event feed and publisher, the keeper's applier, the Lua
// scripts, the planted bugs chosen by `bugs`) is the roles' own code, the same in every
// embedding. Timers and the clock are the global setTimeout / setInterval / Date.now: a
// simulator fakes those globally (e.g. @sinonjs/fake-timers), not through this seam. A role
// sets its timers only from its own code: its start, the calls made into it (a handle's
// request, stop, crash), its executor's and its connections' events, and what those lead to
// (promise continuations, microtasks, the timers' callbacks). So a simulator that needs to tell
// one role's timers from another's (to freeze a paused role's, as SIGSTOP does) can make those
// calls in an async context of the role's (AsyncLocalStorage) and read it where the timer is set.

import type { Redis } from 'ioredis';
import type { LinkOptions, Logger, RedisLink } from './common.ts';
import { type ExecutorMessage, type RunMessage, startExecutorCore } from './executor.ts';

/** What an executor tells its worker, and when it is gone. */
export interface ExecutorEvents {
  /** `ready` (its Redis link is up), `started` (its payload runs), `outcome` (the outcome event is in Redis) */
  message(message: ExecutorMessage): void;
  /**
   * It is gone (`how`: a signal name or `code N`), and nothing it started still runs: the payload
   * it left is killed before this is called. Called once.
   */
  exit(how: string): void;
}

/** A running executor, as its worker sees it. */
export interface ExecutorHandle {
  /** its process id (live; in the ready line and the log), undefined when it has none */
  readonly pid: number | undefined;
  /** Hands it a job; false when it can take no more messages (its `exit` follows, if it has not come already). */
  send(job: RunMessage): boolean;
  /** Stops it and its payload (live: SIGKILL to the payload's tree, SIGTERM to the executor); `exit` follows. */
  kill(): void;
  /** Kills it and its payload at once (live: SIGKILL to both); `exit` follows. */
  crash(): void;
}

/** How a payload ended, as the operating system tells it. */
export type PayloadExit =
  /** `code` null when it was killed by `signal`; `output` its stdout, at most OUTPUT_CAP_BYTES bytes */
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; output: string }
  /** it could not be started */
  | { kind: 'spawn-error'; message: string };

/** A payload that runs. The executor owns the timeout, the cancel check and the classification. */
export interface PayloadHandle {
  /** its process id (live: reported to the worker, which kills it if the executor dies under it) */
  readonly pid?: number;
  /** settles (never rejects) once it has ended */
  readonly ended: Promise<PayloadExit>;
  /** Kills it and whatever it started, now; its end comes through `ended` (exited, signal e.g. SIGKILL). */
  kill(): void;
}

/** The edges a role needs from the operating system. Live processes use liveEdges; a simulator supplies its own. */
export interface Edges {
  /**
   * A new connection to a role's link (`link.id` is its connection name; `blockMs` the longest
   * BLOCK it will be used for). Live: TCP to redisHost:redisPort, password from env
   * SUT_REDIS_PASSWORD. A simulator returns a real ioredis client over its own socket, best made
   * with `connectRedis(link, log, purpose, blockMs, { Connector })` so the roles' client settings
   * (offline queue, retry, socket timeout, error logging) stay the same.
   */
  redis(link: RedisLink, log: Logger, purpose: string, blockMs?: number): Redis;
  /** A new unique id (task ids). Live: crypto.randomUUID. */
  newId(): string;
  /**
   * Starts the worker's executor on `link` (the executor's own link: `--executor-redis-port`,
   * id `<worker id>-executor`, the worker's bugs). Live: forks `main.ts executor` with an IPC
   * channel, its stdout and stderr on the worker's stderr. In one process: `inProcessExecutor`.
   */
  startExecutor(link: LinkOptions, log: Logger, events: ExecutorEvents): ExecutorHandle;
  /**
   * Runs one job's payload (PROTOCOL.md: sleep durationMs, or far past timeoutMs when `hang`, then
   * print each output line followed by a newline, exit with exitCode). Live: /bin/sh with PATH
   * only, in the worker's process group, stdout captured up to OUTPUT_CAP_BYTES.
   */
  runPayload(job: RunMessage): PayloadHandle;
  /** The logger of the role (or executor) named `id`. Live: one line per message on stderr. */
  log(id: string): Logger;
}

/** A role started in this process. */
export interface RoleHandle {
  readonly id: string;
  /**
   * Stops the role: its loops end, its timers are cleared, its connections closed (and a worker's
   * executor and payload killed). Resolves once all of that is done; the same promise every call.
   */
  stop(why?: string): Promise<void>;
  /**
   * Dies at once, as a process does under SIGKILL: its connections are cut without QUIT (what it
   * had sent is sent), its loops end at their next step without another command, a worker's
   * executor and payload die with it. Nothing is cleaned up: its pending jobs and events stay
   * pending for the others to reclaim. `stop()` afterwards resolves once its loops have ended.
   */
  crash(): void;
}

/** An executor run by `inProcessExecutor`: `crash()` cuts its link without QUIT and kills its payload; `exit('SIGKILL')` follows. */
export type InProcessExecutor = ExecutorHandle;

/**
 * An executor in this process: the executor's own logic (executor.ts, the same as in the live
 * executor process) on a connection from `edges.redis`, running payloads with
 * `edges.runPayload`, connected to its worker by a direct channel. Messages in both directions
 * are delivered in a microtask, never synchronously, as IPC would. Use it as a simulator's
 * `startExecutor`: `startExecutor: (link, log, events) => inProcessExecutor(link, events, edges)`.
 */
export function inProcessExecutor(link: LinkOptions, events: ExecutorEvents, edges: Pick<Edges, 'redis' | 'runPayload' | 'log'>): InProcessExecutor {
  let alive = true;
  /** ends it once: `end` stops the logic, then the worker hears `exit(how)` */
  const die = (how: string, end: () => Promise<void> | void) => {
    if (!alive) return;
    alive = false;
    void Promise.resolve(end()).then(() => events.exit(how));
  };
  const core = startExecutorCore(link, edges, {
    send: (message) => queueMicrotask(() => {
      if (alive) events.message(message);
    }),
    fatal: (why) => die('code 1', () => core.stop(why)),
  });
  return {
    pid: undefined,
    send(job) {
      if (!alive) return false;
      queueMicrotask(() => {
        if (alive) core.receive(job);
      });
      return true;
    },
    kill: () => die('SIGTERM', () => core.stop('SIGTERM')),
    crash: () => die('SIGKILL', () => core.crash()),
  };
}

export { liveEdges } from './live-edges.ts';
export { startOrchestrator, type OrchestratorHandle, type OrchestratorOptions, type ApiResponse, type ApiHeaders, type ApiBody, MAX_BODY_BYTES } from './orchestrator.ts';
export { startWorker, type WorkerHandle, type WorkerOptions } from './worker.ts';
export { startKeeper, type KeeperOptions } from './keeper.ts';
export { type ExecutorMessage, type RunMessage, type PayloadEnd, type Outcome, OUTPUT_CAP_BYTES } from './executor.ts';
export { type Bugs, type BugName, type LinkOptions, type Logger, type RedisLink, type Payload, BUG_NAMES, parseBugs, connectRedis, Lifecycle } from './common.ts';
