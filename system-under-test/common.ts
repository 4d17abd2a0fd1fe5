// What every role shares: Redis links, key names, event shape, bug flags, CLI value
// parsers, and a role's stop switch (Lifecycle). Nothing here is process-wide: the process
// lifecycle (signals, parent watchdog, ready line, exit) is in live.ts.

import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------
// Keys (PROTOCOL.md, "Redis keys")

export const keys = {
  task: (taskId: string) => `sut:task:${taskId}`,
  job: (jobId: string) => `sut:job:${jobId}`,
  idem: (key: string) => `sut:idem:${key}`,
  jobs: 'sut:jobs',
  /** only with the `brpop-queue` bug */
  queue: 'sut:queue',
  attempts: (jobId: string) => `sut:attempts:${jobId}`,
  cancel: (jobId: string) => `sut:cancel:${jobId}`,
  events: 'sut:events',
  running: 'sut:running',
  runningInfo: (jobId: string) => `sut:running:${jobId}`,
  translog: 'sut:translog',
  executions: 'sut:executions',
} as const;

/** Pub/sub channel used instead of the events stream by the `pubsub-events` bug. */
export const EVENTS_CHANNEL = 'sut:events';

export const groups = { workers: 'workers', keepers: 'keepers' } as const;

export const TERMINAL_STATES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

// ---------------------------------------------------------------------------------------
// Payloads and events

export const PayloadSchema = z.object({
  durationMs: z.number().int().min(0).max(600_000),
  exitCode: z.number().int().min(0).max(255),
  output: z.array(z.string().max(1000)).max(100),
  hang: z.boolean().optional(),
});
export type Payload = z.infer<typeof PayloadSchema>;

export type EventType = 'running' | 'completed' | 'failed' | 'cancelled';
export type EventSource = 'worker' | 'executor' | 'orchestrator';

export interface JobEvent {
  jobId: string;
  type: EventType;
  source: EventSource;
  sourceId: string;
  attempt: number;
  /** 1 for running, 2 for an outcome */
  seq: 1 | 2;
  exitCode?: number | null;
  output?: string;
  reason?: string;
  durationMs?: number;
}

const EVENT_FIELD_NAMES = ['jobId', 'type', 'source', 'sourceId', 'attempt', 'seq', 'exitCode', 'output', 'reason', 'durationMs'] as const;
export type EventFields = Record<(typeof EVENT_FIELD_NAMES)[number], string>;

/** Every field is always present, as a string; '' where it does not apply. */
export function eventFields(ev: JobEvent): EventFields {
  const s = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  return {
    jobId: ev.jobId,
    type: ev.type,
    source: ev.source,
    sourceId: ev.sourceId,
    attempt: s(ev.attempt),
    seq: s(ev.seq),
    exitCode: s(ev.exitCode),
    output: s(ev.output),
    reason: s(ev.reason),
    durationMs: s(ev.durationMs),
  };
}

/** Reads event fields from a stream entry or pub/sub message; a missing field is ''. */
export function toEventFields(raw: Record<string, string>): EventFields {
  const out = {} as EventFields;
  for (const name of EVENT_FIELD_NAMES) out[name] = raw[name] ?? '';
  return out;
}

/** Event fields in the order the apply-event scripts take them as ARGV. */
export function eventArgs(fields: EventFields): string[] {
  return EVENT_FIELD_NAMES.map((name) => fields[name]);
}

export function flatten(fields: Record<string, string>): string[] {
  return Object.entries(fields).flat();
}

// ---------------------------------------------------------------------------------------
// Stream replies (parsed at runtime: ioredis types raw replies as unknown)

export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

/** [[id, [k, v, ...]], ...]; an entry deleted from the stream comes back with nil fields. */
export function parseEntries(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw)) return [];
  const out: StreamEntry[] = [];
  for (const item of raw) {
    if (!Array.isArray(item) || typeof item[0] !== 'string') continue;
    const fields: Record<string, string> = {};
    const flat: unknown = item[1];
    if (Array.isArray(flat)) {
      for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
    }
    out.push({ id: item[0], fields });
  }
  return out;
}

/** XREADGROUP reply for a single stream: null or [[stream, entries]]. */
export function parseReadReply(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw) || !Array.isArray(raw[0])) return [];
  return parseEntries(raw[0][1]);
}

/** XAUTOCLAIM reply: [nextCursor, entries, deletedIds]. */
export function parseAutoclaimReply(raw: unknown): { cursor: string; entries: StreamEntry[] } {
  if (!Array.isArray(raw) || typeof raw[0] !== 'string') return { cursor: '0-0', entries: [] };
  return { cursor: raw[0], entries: parseEntries(raw[1]) };
}

// ---------------------------------------------------------------------------------------
// Planted bugs

export const BUG_NAMES = ['lww-status', 'check-then-set', 'pubsub-events', 'brpop-queue', 'no-reclaim', 'ack-before-run', 'heartbeat-status', 'write-behind-submit', 'null-exit-as-success', 'lease-not-extended', 'idempotency-check-then-insert'] as const;
export type BugName = (typeof BUG_NAMES)[number];
export type Bugs = ReadonlySet<BugName>;

// Pairs that replace the same seam, so switching both on would silently drop one.
const CONFLICTS: ReadonlyArray<readonly [BugName, BugName]> = [
  ['lww-status', 'check-then-set'],
  ['brpop-queue', 'no-reclaim'],
  ['brpop-queue', 'ack-before-run'],
  ['write-behind-submit', 'idempotency-check-then-insert'],
];

function isBugName(name: string): name is BugName {
  return (BUG_NAMES as readonly string[]).includes(name);
}

/** Parses `a,b`; throws InvalidArgumentError (one line) on an unknown name or a conflict. */
export function parseBugs(value: string): Bugs {
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bugs = new Set<BugName>();
  for (const name of names) {
    if (!isBugName(name)) throw new InvalidArgumentError(`unknown bug '${name}' (known: ${BUG_NAMES.join(', ')})`);
    bugs.add(name);
  }
  for (const [a, b] of CONFLICTS) {
    if (bugs.has(a) && bugs.has(b)) throw new InvalidArgumentError(`bugs '${a}' and '${b}' replace the same part; choose one`);
  }
  return bugs;
}

// ---------------------------------------------------------------------------------------
// CLI value parsers: zod validates, commander prints the one-line error.

function zodArg<T>(schema: z.ZodType<T>): (value: string) => T {
  return (value: string) => {
    const result = schema.safeParse(value);
    if (!result.success) throw new InvalidArgumentError(result.error.issues[0]?.message ?? 'invalid value');
    return result.data;
  };
}

const intIn = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `expected an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `expected an integer from ${min} to ${max}`).max(max, `expected an integer from ${min} to ${max}`));

export const parsePort = zodArg(intIn(1, 65535));
export const parseHttpPort = zodArg(intIn(0, 65535));
export const parseMs = zodArg(intIn(1, 3_600_000));
export const parseId = zodArg(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'expected 1-64 letters, digits, _ . : -'));
export const parseHost = zodArg(z.string().min(1, 'expected a host name'));

export interface LinkOptions {
  redisHost: string;
  redisPort: number;
  id: string;
  bugs: Bugs;
  /**
   * its consumer name in the stream groups (workers, keepers); default its id. A process started
   * under a new name does not see what an earlier one of its id left pending: others take it over.
   */
  consumer?: string;
}

// ---------------------------------------------------------------------------------------
// Logging (a role gets its logger from its edges: live, stderr; see live-edges.ts)

export interface Logger {
  (message: string): void;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------
// Redis links

// A command that gets no reply for this long means the link is stuck (e.g. a toxic that
// swallows data): ioredis then drops the socket, reconnects and resends what was in flight.
const SOCKET_TIMEOUT_MS = 15_000;

/** The link a connection goes through: where it is, and the name it gives itself. */
export type RedisLink = Pick<LinkOptions, 'redisHost' | 'redisPort' | 'id'>;

/**
 * One connection to a role's link, with the client settings every role relies on. Commands
 * never fail for connection reasons: they wait in the offline queue and are resent after a
 * reconnect (so a command may run twice; every writer tolerates that). `blockMs` is the longest
 * BLOCK used on it. `transport` adds what only the caller knows: the password (live, from the
 * environment), or a `Connector` for an in-memory socket (a simulator's redis edge).
 */
export function connectRedis(link: RedisLink, log: Logger, purpose: string, blockMs = 0, transport: RedisOptions = {}): Redis {
  const redis = new Redis({
    host: link.redisHost,
    port: link.redisPort,
    connectionName: link.id,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: (times: number) => Math.min(50 * times, 500),
    connectTimeout: 2000,
    socketTimeout: SOCKET_TIMEOUT_MS + blockMs,
    ...transport,
  });
  // One log line per distinct error message and second: a link that is down for a while
  // would otherwise log every reconnect attempt.
  let last = '';
  let lastAt = 0;
  redis.on('error', (err: unknown) => {
    const text = errorText(err);
    const now = Date.now();
    if (text !== last || now - lastAt > 1000) log(`redis (${purpose}): ${text}`);
    last = text;
    lastAt = now;
  });
  return redis;
}

/** Resolves once the connection is ready (waits through reconnects); rejects only if it is closed first (a stop). */
export function whenReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  if (redis.status === 'end') return Promise.reject(new Error('connection closed before it was ready'));
  return new Promise((resolve, reject) => {
    const onReady = () => {
      redis.off('end', onEnd);
      resolve();
    };
    const onEnd = () => {
      redis.off('ready', onReady);
      reject(new Error('connection closed before it was ready'));
    };
    redis.once('ready', onReady);
    redis.once('end', onEnd);
  });
}

/** Creates a consumer group (and its stream) unless it exists. */
export async function ensureGroup(redis: Redis, stream: string, group: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
  } catch (err) {
    if (!errorText(err).includes('BUSYGROUP')) throw err;
  }
}

/** After a Redis restart streams and groups are gone; reads then fail with NOGROUP. */
/** The stream or its group is gone (Redis flushed or restarted empty): re-create it and carry on. */
export function isGroupGone(err: unknown): boolean {
  const text = errorText(err);
  // NOGROUP: a read on a missing group; UNBLOCKED: a blocked read whose stream was deleted
  return text.includes('NOGROUP') || text.includes('UNBLOCKED the stream key no longer exists');
}

export async function closeRedis(...conns: Redis[]): Promise<void> {
  await Promise.allSettled(
    conns.map(async (redis) => {
      // quit waits for a reply; on a dead link that never comes, so cut it short
      let timer: NodeJS.Timeout | undefined;
      const quit = redis.quit().catch(() => undefined);
      await Promise.race([quit, new Promise<void>((resolve) => (timer = setTimeout(resolve, 200)))]);
      clearTimeout(timer);
      cutRedis(redis);
      // closed means closed: the socket's close (ioredis 'end') can come a moment after the cut
      if (redis.status !== 'end') {
        await Promise.race([new Promise<void>((resolve) => redis.once('end', () => resolve())), new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))]);
        clearTimeout(timer);
      }
    }),
  );
}

/** Closes a connection at once, without QUIT (what a crash does to it), and leaves no timer of it behind. */
export function cutRedis(redis: Redis): void {
  // after a QUIT that was answered the socket is closed already; disconnecting again would
  // arm ioredis's 2 s "still open?" timer on a socket that never closes twice
  if (redis.status !== 'end') redis.disconnect();
  // ioredis 5.11 leaves the socketTimeout timer of a command that got no reply (a blocked
  // XREADGROUP cut short) armed after its socket closed (redis/ioredis#2147, fixed upstream by
  // #2148); clear it, so that a stopped role leaves no timer behind (up to 16 s otherwise)
  clearTimeout((redis as unknown as { socketTimeoutTimer?: NodeJS.Timeout }).socketTimeoutTimer);
}

/** A Lua script from lua/, run with EVALSHA (ioredis falls back to EVAL on NOSCRIPT). */
export type Script = (keys: string[], args: (string | number)[]) => Promise<unknown>;

export function loadScript(redis: Redis, file: string): Script {
  const lua = readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');
  const name = 'sut_' + file.replace(/\W/g, '_');
  redis.defineCommand(name, { lua });
  const commands = redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>;
  const fn = commands[name];
  if (typeof fn !== 'function') throw new Error(`could not define script ${file}`);
  return (scriptKeys, args) => fn.call(redis, scriptKeys.length, ...scriptKeys, ...args);
}

// ---------------------------------------------------------------------------------------
// Lifecycle of one role instance

/**
 * A role's stop switch: its loops watch `stopping`, its resources register cleanups, its waits
 * use `sleep` (which a stop cuts short). Nothing here touches the process: several roles can
 * live in one process, each with its own Lifecycle. The live process wraps it with signals,
 * parent polling and exit (live.ts).
 */
export class Lifecycle {
  stopping = false;
  private readonly cleanups: Array<() => Promise<void> | void> = [];
  private readonly crashes: Array<() => void> = [];
  private readonly sleepers = new Set<() => void>();
  private stopped: Promise<void> | undefined;

  constructor(readonly log: Logger) {}

  /** Runs on stop, in reverse order of registration. */
  onStop(fn: () => Promise<void> | void): void {
    this.cleanups.unshift(fn);
  }

  /** Runs on crash: what a SIGKILL does to a resource (a connection cut without QUIT, a timer gone). */
  onCrash(fn: () => void): void {
    this.crashes.push(fn);
  }

  /** Waits `ms`, or less when the role stops meanwhile (no timer outlives a stop). */
  sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  /** Sets `stopping`, wakes every sleep, runs the cleanups; the same promise on every call. */
  stop(why: string): Promise<void> {
    this.stopped ??= this.runStop(why);
    return this.stopped;
  }

  /**
   * Dies at once, as under SIGKILL: `stopping` is set, every sleep woken (so the loops end at
   * their next check), the crash hooks run; no cleanup, no log line.
   */
  crash(): void {
    this.stopping = true;
    for (const wake of [...this.sleepers]) wake();
    for (const fn of this.crashes.splice(0)) {
      try {
        fn();
      } catch {
        /* a dead process does not report */
      }
    }
  }

  private async runStop(why: string): Promise<void> {
    this.stopping = true;
    this.log(`stopping: ${why}`);
    for (const wake of [...this.sleepers]) wake();
    for (const fn of this.cleanups) {
      try {
        await fn();
      } catch (err) {
        this.log(`cleanup: ${errorText(err)}`);
      }
    }
  }
}
