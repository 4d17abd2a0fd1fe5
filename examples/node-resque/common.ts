// What the front door and the workers of this job system share: where things live in Redis,
// the job's arguments, the connection settings, the one script that moves a job's state, and the
// process lifecycle (ready line, signals, exit when the parent is gone).
//
// node-resque keeps queues, workers and failures under its namespace (`resque:`); it keeps no
// state per job (a Resque job is an anonymous `{class, queue, args}` entry in a list). The task
// and job state the API serves is ours, written with the harness's instrumentation kit under
// `tasks:` (the judge reads the same keys).
import { readFileSync } from 'node:fs';
import type { RedisOptions } from 'ioredis';
import type { Redis } from 'ioredis';
import { instrument, STATE_CHANGE_LUA, type JobState, type Payload } from '../../harness/instrument/index.ts';

/** node-resque's key namespace (its default) */
export const NAMESPACE = 'resque';
/** the one queue every job goes to, and the job class that runs it */
export const QUEUE = 'tasks';
export const JOB_CLASS = 'runTask';

/** our task and job records, written through the instrumentation kit */
export const kit = instrument({ prefix: 'tasks:' });
/** `tasks:enqueued:<jobId>`: set in the same step as the job is pushed onto node-resque's queue (a retried submit pushes nothing twice) */
export const enqueuedKey = (jobId: string): string => `${kit.prefix}enqueued:${jobId}`;

/** The one argument of a `runTask` job. */
export interface TaskJobArgs {
  jobId: string;
  taskId: string;
  index: number;
  payload: Payload;
  timeoutMs: number;
}

export const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** Job `i` of a task is `<taskId>-<i>`; the task id is its Idempotency-Key. */
export const jobIdsOf = (taskId: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${taskId}-${i}`);

// ---------------------------------------------------------------------------------------
// a job's state: moved forward only, recorded in the same step

/**
 * KEYS[1] the job's state hash; ARGV the change. A finished job stays finished: a worker that
 * ran it again (node-resque puts a stuck worker's job back, and the first run may still end
 * later) changes nothing and learns the state it found. Otherwise the change and its record are
 * one atomic step (the kit's chaos_state_change).
 */
const MOVE_JOB = `${STATE_CHANGE_LUA}
local current = redis.call('HGET', KEYS[1], 'state')
if current == 'completed' or current == 'failed' or current == 'cancelled' then return 'finished:' .. current end
local function given(v) if v == '' then return nil end return string.sub(v, 2) end
return chaos_state_change(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], given(ARGV[8]), given(ARGV[9]), given(ARGV[10]))`;

export interface Move {
  jobId: string;
  to: JobState;
  attempt: number;
  sourceId: string;
  exitCode?: number | null;
  output?: string | null;
  reason?: string | null;
}

/** Moves a job's state; returns the state it moved from, or `finished:<state>` when it was already finished (nothing changed). */
export async function moveJob(redis: Redis, m: Move): Promise<string> {
  const text = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : `=${v}`);
  return String(await redis.eval(MOVE_JOB, 1, kit.keys.statePrefix + m.jobId,
    kit.prefix, m.jobId, m.to, String(m.attempt), 'worker', m.sourceId, m.to, text(m.exitCode), text(m.output), text(m.reason)));
}

// ---------------------------------------------------------------------------------------
// connections

/** The Redis password comes from the environment, never the command line. */
export function redisOptions(port: number, extra: RedisOptions = {}): RedisOptions {
  return { host: '127.0.0.1', port, password: process.env.SUT_REDIS_PASSWORD || undefined, ...extra };
}

/** A long-lived worker's connection: commands wait through reconnects (retried every 50..500 ms) instead of failing a job halfway. */
export const workerConnection = (port: number, name: string): RedisOptions =>
  redisOptions(port, { connectionName: name, maxRetriesPerRequest: null, retryStrategy: (n: number) => Math.min(50 * n, 500) });

// ---------------------------------------------------------------------------------------
// process lifecycle

export const log = (id: string, line: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${id} ${line}\n`);
};

/** The parent pid as the kernel has it now (process.ppid is read once, at startup). */
function parentPid(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * SIGTERM / SIGINT run `close` (a graceful stop: node-resque's end() lets a job in hand finish)
 * and exit, at the latest after `hardStopMs`; so does the parent going away, so that a process
 * manager that dies leaves nothing running.
 */
export function lifecycle(id: string, close: () => Promise<void>, hardStopMs = 1500): void {
  let exiting = false;
  const exit = (why: string) => {
    if (exiting) return;
    exiting = true;
    log(id, `exiting: ${why}`);
    setTimeout(() => {
      log(id, `did not stop within ${hardStopMs} ms: exiting now`);
      process.exit(1);
    }, hardStopMs).unref();
    void close().catch((err: unknown) => log(id, `while stopping: ${message(err)}`)).finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => exit('SIGTERM'));
  process.on('SIGINT', () => exit('SIGINT'));
  const parent = parentPid() ?? process.ppid;
  setInterval(() => {
    if (parentPid() !== parent) exit('parent process is gone');
  }, 500).unref();
  process.on('uncaughtException', (err) => log(id, `uncaught: ${err instanceof Error ? err.stack : String(err)}`));
  process.on('unhandledRejection', (err) => log(id, `unhandled rejection: ${message(err)}`));
}

/** The one JSON line that says the process serves. */
export function ready(role: string, id: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ ready: true, role, id, pid: process.pid, ...extra }) + '\n');
}

export const message = (err: unknown): string => (err instanceof Error ? err.message.split('\n')[0]! : String(err));
