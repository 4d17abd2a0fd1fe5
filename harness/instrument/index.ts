// The instrumentation kit: what a job system calls to write the evidence the harness's judge
// reads, under a key prefix of its own. It imports nothing at run time: hand it any client with
// ioredis's command methods (the connection your system already has). The harness reads the same
// keys (harness/systems/evidence.ts through `evidenceKeys`), so a system that writes them needs no
// reading code of its own.
//
//   const kit = instrument({ prefix: 'shop:' });
//   await kit.recordTask(redis, taskId, jobIds);              // the front door, once a task's jobs exist
//   const attempt = await kit.payloadStarted(redis, jobId, 'worker-1');
//   await kit.payloadEnded(redis, jobId, attempt, 'worker-1', 'completed');
//   await kit.recordStateChange(redis, { jobId, to: 'running', attempt, source: 'worker', sourceId: 'worker-1' });
//   const { exitCode, output } = await runPayload(job.data.payload, timeoutMs);   // your handler runs the test job
import type { Redis } from 'ioredis';

/** The keys the evidence lives under, for one prefix (default `app:`, the library applications'). */
export interface EvidenceKeys {
  /** stream: one entry per payload start and one per end (jobId, attempt, workerId, phase, outcome) */
  executions: string;
  /** `<prefix>attempts:<jobId>`: INCR on every start, the attempt number of that start */
  attemptsPrefix: string;
  /** `<prefix>task:<taskId>`: hash idempotencyKey, description, jobIds (a JSON array) */
  taskPrefix: string;
  /** stream: one entry per state change of a job (jobId, from, to, attempt, source, sourceId, type, decision) */
  transitions: string;
  /** `<prefix>state:<jobId>`: hash with the job's state as recordStateChange last wrote it */
  statePrefix: string;
}

export const DEFAULT_PREFIX = 'app:';

const PREFIX = /^[A-Za-z0-9_.:{}-]*$/;

export function evidenceKeys(prefix: string = DEFAULT_PREFIX): EvidenceKeys {
  if (!PREFIX.test(prefix)) throw new Error(`instrument: key prefix "${prefix}" may hold only letters, digits and _ . : { } -`);
  return {
    executions: `${prefix}executions`,
    attemptsPrefix: `${prefix}attempts:`,
    taskPrefix: `${prefix}task:`,
    transitions: `${prefix}transitions`,
    statePrefix: `${prefix}state:`,
  };
}

/** The states a job may be in, as the judge reads them (system-under-test/PROTOCOL.md). */
export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface StateChange {
  jobId: string;
  to: JobState;
  /** the attempt (the payload start) the change belongs to: payloadStarted's number; 0 before any */
  attempt: number;
  /** what caused it: `submit`, `worker`, `executor`, `cancel`, or a name of your own */
  source: string;
  /** which process: `worker-1`, `orchestrator` */
  sourceId: string;
  /** the event's type in your system (default: the state it moves to) */
  type?: string;
  /** a finished job's exit code and output (its payload's: runPayload), and why it failed or was cancelled (`exit`, `timeout`, `cancelled`) */
  exitCode?: number | null;
  output?: string | null;
  reason?: string | null;
}

/**
 * A Lua function to paste in front of a script of your own, so a state change your script makes
 * is recorded in the same atomic step: `chaos_state_change(prefix, jobId, to, attempt, source,
 * sourceId, type, exitCode, output, reason)` (the last three may be nil) sets `<prefix>state:<jobId>` and appends the change (with the state it moved
 * from) to `<prefix>transitions`, and returns the state it moved from; a change to the state the
 * job is already in changes nothing and is logged as ignored. A job is `queued` from its
 * submission (recordTask): record its changes from there. Its keys are computed from the prefix,
 * so it runs on a single Redis (not a cluster).
 */
export const STATE_CHANGE_LUA = `
local function chaos_state_change(prefix, jobId, to, attempt, source, sourceId, type, exitCode, output, reason)
  local key = prefix .. 'state:' .. jobId
  local from = redis.call('HGET', key, 'state') or 'queued'
  if from == to then
    -- already in that state (a redelivered job started again): recorded as ignored, nothing changes
    redis.call('XADD', prefix .. 'transitions', '*', 'jobId', jobId, 'from', from, 'to', to, 'attempt', attempt,
      'source', source, 'sourceId', sourceId, 'type', type, 'decision', 'ignored', 'reason', 'already ' .. to)
    return from
  end
  redis.call('DEL', key)
  local state = {'state', to, 'attempt', attempt}
  local change = {'jobId', jobId, 'from', from, 'to', to, 'attempt', attempt, 'source', source, 'sourceId', sourceId, 'type', type, 'decision', 'applied'}
  if exitCode ~= nil then
    table.insert(state, 'exitCode'); table.insert(state, exitCode)
    table.insert(change, 'exitCode'); table.insert(change, exitCode)
  end
  if output ~= nil then
    table.insert(state, 'output'); table.insert(state, output)
    table.insert(change, 'output'); table.insert(change, output)
  end
  if reason ~= nil then table.insert(state, 'reason'); table.insert(state, reason) end
  redis.call('HSET', key, unpack(state))
  redis.call('XADD', prefix .. 'transitions', '*', unpack(change))
  return from
end
`;

const RECORD_STATE_CHANGE = `${STATE_CHANGE_LUA}
-- ARGV 8-10: '' when absent, else the value after one leading '='
local function given(v) if v == '' then return nil end return string.sub(v, 2) end
return chaos_state_change(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], given(ARGV[8]), given(ARGV[9]), given(ARGV[10]))`;

export interface Instrument {
  readonly prefix: string;
  readonly keys: EvidenceKeys;
  /** Records a task and its job ids; false when a request with the same task id recorded it first (the first one's jobs stand). */
  recordTask(redis: Redis, taskId: string, jobIds: readonly string[], description?: string): Promise<boolean>;
  /** A recorded task's job ids; undefined when there is no such task. */
  taskJobs(redis: Redis, taskId: string): Promise<string[] | undefined>;
  /** Logs a payload's start before it runs: returns its attempt number (the job's starts so far, this one included). */
  payloadStarted(redis: Redis, jobId: string, workerId: string): Promise<number>;
  /** Logs how that start's payload ended, as the worker saw it (`completed`, `failed`, `timeout`, ...). */
  payloadEnded(redis: Redis, jobId: string, attempt: number, workerId: string, outcome: string): Promise<void>;
  /** How many times each job was started (0: never). */
  starts(redis: Redis, jobIds: readonly string[]): Promise<number[]>;
  /** Records a job's state change atomically (state and log in one script); returns the state it moved from (`queued` for a job's first change). */
  recordStateChange(redis: Redis, change: StateChange): Promise<string>;
}

export function instrument(o: { prefix?: string } = {}): Instrument {
  const prefix = o.prefix ?? DEFAULT_PREFIX;
  const keys = evidenceKeys(prefix);
  return {
    prefix,
    keys,
    async recordTask(redis, taskId, jobIds, description = '') {
      const key = keys.taskPrefix + taskId;
      const replies = await redis.multi().hsetnx(key, 'jobIds', JSON.stringify(jobIds)).hset(key, 'idempotencyKey', taskId, 'description', description).exec();
      const first = replies?.[0];
      if (!first || first[0]) throw first?.[0] ?? new Error(`instrument: recording task ${taskId} was discarded`);
      return Number(first[1]) === 1;
    },
    async taskJobs(redis, taskId) {
      const raw = await redis.hget(keys.taskPrefix + taskId, 'jobIds');
      return raw ? (JSON.parse(raw) as string[]) : undefined;
    },
    async payloadStarted(redis, jobId, workerId) {
      const attempt = await redis.incr(keys.attemptsPrefix + jobId);
      await redis.xadd(keys.executions, '*', 'jobId', jobId, 'attempt', String(attempt), 'workerId', workerId, 'phase', 'start');
      return attempt;
    },
    async payloadEnded(redis, jobId, attempt, workerId, outcome) {
      await redis.xadd(keys.executions, '*', 'jobId', jobId, 'attempt', String(attempt), 'workerId', workerId, 'phase', 'end', 'outcome', outcome);
    },
    async starts(redis, jobIds) {
      if (jobIds.length === 0) return [];
      return (await redis.mget(jobIds.map((id) => keys.attemptsPrefix + id))).map((n) => Number(n ?? 0));
    },
    async recordStateChange(redis, c) {
      const text = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : `=${v}`);
      return String(await redis.eval(RECORD_STATE_CHANGE, 0, prefix, c.jobId, c.to, String(c.attempt), c.source, c.sourceId, c.type ?? c.to, text(c.exitCode), text(c.output), text(c.reason)));
    },
  };
}

// ---------------------------------------------------------------------------------------
// payloads: the workload's abstract job (system-under-test/PROTOCOL.md), run by your handler

/** What the harness's workload asks a job to do: take durationMs (or hang), print its lines, exit with its code. */
export interface Payload {
  durationMs: number;
  exitCode: number;
  output: string[];
  hang?: boolean;
}

/** How a payload ended: its exit code and its stdout (each line followed by "\n"). */
export interface PayloadResult {
  exitCode: number;
  output: string;
}

export class PayloadTimeout extends Error {
  constructor(ms: number) {
    super(`timeout after ${ms} ms`);
    this.name = 'PayloadTimeout';
  }
}

/**
 * The payload mapping: call it from your own job handler with the payload the harness's job
 * carries. It takes durationMs (forever when it hangs), then gives the lines and exit code your
 * handler reports as the job's outcome (a non-zero code: fail the job); past timeoutMs it is
 * abandoned and PayloadTimeout is thrown (report the job failed with reason `timeout`). Timers
 * only: it runs as well on the simulation's virtual clock.
 */
export async function runPayload(p: Payload, timeoutMs: number): Promise<PayloadResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let done: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      new Promise<PayloadResult>((resolve) => {
        if (p.hang) return;
        done = setTimeout(() => resolve({ exitCode: p.exitCode, output: p.output.map((l) => l + '\n').join('') }), p.durationMs);
      }),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new PayloadTimeout(timeoutMs)), timeoutMs))),
    ]);
  } finally {
    clearTimeout(timer);
    clearTimeout(done);
  }
}
