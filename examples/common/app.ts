// What every library application here shares: its command line, its process lifecycle (ready
// line, SIGTERM, exit when the harness is gone), the front door's HTTP API (the client API of
// system-under-test/PROTOCOL.md, so the harness's client drives every system the same way),
// the payloads jobs run, and the execution log a worker writes.
//
// These are small production-style applications written on top of a queue library; they share
// no code with the reference system.

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Redis, type RedisOptions } from 'ioredis';
import { instrument, type Payload } from '../../harness/instrument/index.ts';

export { PayloadTimeout, runPayload, type Payload, type PayloadResult } from '../../harness/instrument/index.ts';

export interface AppArgs {
  id: string;
  /** this process's link to Redis (a Toxiproxy proxy under the harness) */
  redisPort: number;
  /** the front door's HTTP port */
  httpPort: number;
  /** the lock / stall interval the library is configured with */
  leaseMs: number;
  /** how many jobs a worker runs at once */
  concurrency: number;
}

/** `--id X --redis-port P [--http-port N] [--lease-ms MS] [--concurrency N]`; a bad flag: one line on stderr, exit 2. */
export function parseArgs(argv: string[] = process.argv.slice(2)): AppArgs {
  const out: AppArgs = { id: '', redisPort: 6379, httpPort: 0, leaseMs: 2000, concurrency: 1 };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < 0) usage(`${flag} needs a non-negative integer, got "${v ?? ''}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, v] = [argv[i], argv[i + 1]];
    if (flag === '--id' && v) out.id = v;
    else if (flag === '--redis-port') out.redisPort = num(flag, v);
    else if (flag === '--http-port') out.httpPort = num(flag, v);
    else if (flag === '--lease-ms') out.leaseMs = num(flag, v);
    else if (flag === '--concurrency') out.concurrency = Math.max(1, num(flag, v));
    else usage(`unknown option ${flag}`);
  }
  if (!out.id) usage('--id is required');
  return out;
}

function usage(line: string): never {
  process.stderr.write(`error: ${line}\n`);
  process.exit(2);
}

/** The Redis password comes from the environment (never argv). */
export function redisOptions(port: number, extra: RedisOptions = {}): RedisOptions {
  return { host: '127.0.0.1', port, password: process.env.SUT_REDIS_PASSWORD || undefined, ...extra };
}

/** Where a process's connections go: its options for a connection with these settings of its own. */
export type Dial = (settings: RedisOptions) => RedisOptions;

/** What starts a role of an application, live (its process's main) or in simulation (examples/common/sim.ts). */
export interface RoleOptions {
  id: string;
  /** where its connections go */
  dial: Dial;
  log(line: string): void;
  /** told of every connection it opens */
  opened?(redis: Redis): void;
  /**
   * In simulation: a socket into Redis for a client other than ioredis (node-redis v3's `stream`,
   * one per connection and reconnect). Absent live: such a client connects where `dial({})` points.
   */
  socket?(): Duplex;
  /** In simulation: aborted when the process is killed, so a start that waits (for Redis) gives up. */
  signal?: AbortSignal;
}

/** A live process's dial: its link's port on this machine (`redisOptions`). */
export const dialPort = (port: number): Dial => (settings) => redisOptions(port, settings);

export const log = (id: string, line: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${id} ${line}\n`);
};

/** The parent pid as the kernel has it now (process.ppid is read once, at startup). */
function currentParentPid(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * SIGTERM / SIGINT run `close` and exit (within 1 s whatever close does); so does the harness
 * going away (the parent pid changes), so a killed harness leaves no process behind.
 */
export function lifecycle(id: string, close: () => Promise<void>): void {
  let exiting = false;
  const exit = (why: string) => {
    if (exiting) return;
    exiting = true;
    log(id, `exiting: ${why}`);
    setTimeout(() => process.exit(0), 1000).unref();
    void close().catch(() => undefined).finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => exit('SIGTERM'));
  process.on('SIGINT', () => exit('SIGINT'));
  const parent = currentParentPid() ?? process.ppid;
  setInterval(() => {
    if (currentParentPid() !== parent) exit('parent process is gone');
  }, 500).unref();
  process.on('uncaughtException', (err) => log(id, `uncaught: ${err instanceof Error ? err.stack : String(err)}`));
  process.on('unhandledRejection', (err) => log(id, `unhandled rejection: ${err instanceof Error ? err.message : String(err)}`));
}

/** A role's process: its flags parsed, the role started where its link goes, its ready line printed; SIGTERM closes it. */
function roleMain<R extends { close(): Promise<void> }>(role: string, start: (args: AppArgs, o: RoleOptions) => Promise<R>, serve: (args: AppArgs, r: R) => Promise<{ extra?: Record<string, unknown>; close?(): Promise<void> }> = async () => ({})): void {
  const args = parseArgs();
  let started: R | undefined;
  let served: { extra?: Record<string, unknown>; close?(): Promise<void> } | undefined;
  lifecycle(args.id, async () => {
    await served?.close?.();
    await started?.close();
  });
  void (async () => {
    started = await start(args, { id: args.id, dial: dialPort(args.redisPort), log: (line) => log(args.id, line) });
    served = await serve(args, started);
    ready(role, args.id, served.extra ?? {});
  })().catch((err: unknown) => {
    log(args.id, `failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}

/** A worker process of a library application: `start` is its roles.ts startWorker. */
export function workerMain(start: (o: RoleOptions & { leaseMs: number; concurrency: number }) => Promise<{ close(): Promise<void> }>): void {
  roleMain('worker', (args, o) => start({ ...o, leaseMs: args.leaseMs, concurrency: args.concurrency }));
}

/** The front-door process of a library application: its roles.ts startProducer, behind the client API over HTTP (serveFrontDoor). */
export function producerMain(start: (o: RoleOptions) => Promise<{ door: FrontDoor; close(): Promise<void> }>): void {
  roleMain('producer', (_args, o) => start(o), async (args, producer) => {
    const door = await serveFrontDoor(args.httpPort, producer.door);
    return { extra: { port: door.port }, close: () => door.close() };
  });
}

/** The one line the harness waits for (PROTOCOL.md, "Processes"). */
export function ready(role: string, id: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ ready: true, role, id, pid: process.pid, ...extra }) + '\n');
}

// ---------------------------------------------------------------------------------------
// payloads (PROTOCOL.md: durationMs, exitCode, output lines, hang): run with the kit's runPayload

export interface Subtask {
  description: string;
  payload: Payload;
  timeoutMs: number;
}

/** What every library job carries: job `index` of task `taskId`, its payload and timeout. */
export interface JobData {
  taskId: string;
  index: number;
  payload: Payload;
  timeoutMs: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** A POST /tasks body as PROTOCOL.md has it, or a one-line reason it is not one. */
export function parseTask(body: unknown): { description: string; subtasks: Subtask[] } | string {
  const b = body as { description?: unknown; subtasks?: unknown };
  if (!b || typeof b !== 'object') return 'body must be a JSON object';
  if (typeof b.description !== 'string' || b.description.length < 1 || b.description.length > 10_000) return 'description must be a string of 1..10000 characters';
  const raw = b.subtasks === undefined ? [{ description: b.description }] : b.subtasks;
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > 100) return 'subtasks must be an array of 1..100';
  const subtasks: Subtask[] = [];
  for (const s of raw as { description?: unknown; payload?: Partial<Payload>; timeoutMs?: unknown }[]) {
    if (!s || typeof s.description !== 'string') return 'every subtask needs a description';
    const p = s.payload ?? {};
    const payload: Payload = {
      durationMs: Number(p.durationMs ?? 20),
      exitCode: Number(p.exitCode ?? 0),
      output: Array.isArray(p.output) ? p.output.map(String) : [s.description],
      ...(p.hang ? { hang: true } : {}),
    };
    if (!Number.isInteger(payload.durationMs) || payload.durationMs < 0 || payload.durationMs > 600_000) return 'payload.durationMs must be 0..600000';
    if (!Number.isInteger(payload.exitCode) || payload.exitCode < 0 || payload.exitCode > 255) return 'payload.exitCode must be 0..255';
    const timeoutMs = Number(s.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) return 'timeoutMs must be 1..600000';
    subtasks.push({ description: s.description, payload, timeoutMs });
  }
  return { description: b.description, subtasks };
}

// ---------------------------------------------------------------------------------------
// the front door

/** One job as GET /tasks/:id shows it (PROTOCOL.md's job view). */
export interface JobView {
  jobId: string;
  state: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  attempt: number;
  exitCode: number | null;
  output: string | null;
  reason: string | null;
}

export interface FrontDoor {
  /** creates the task's jobs (idempotent under the key), or answers with the ones it already has */
  submit(key: string, task: { description: string; subtasks: Subtask[] }): Promise<{ taskId: string; jobIds: string[]; created: boolean }>;
  /** the task's jobs as the library has them now; undefined when there is no such task */
  read(taskId: string): Promise<{ taskId: string; idempotencyKey: string; jobs: JobView[] } | undefined>;
  /** asks the library to cancel a job; absent when the library cannot (the API answers 405) */
  cancel?(jobId: string): Promise<boolean>;
}

const KEY = /^[\x21-\x7e]{1,200}$/;
const MAX_BODY_BYTES = 64 * 1024;

/** A request of the client API, and its answer (the JSON body). */
export interface ApiRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** the body's text; undefined when it was larger than MAX_BODY_BYTES */
  body: string | undefined;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

/**
 * The client API: POST /tasks (Idempotency-Key), GET /tasks/:id, POST /jobs/:id/cancel,
 * GET /health. A library error answers 503 (the request may or may not have taken effect).
 * `newId` names a task submitted without a key. The HTTP server (serveFrontDoor) and a simulated
 * front door (examples/<library>/sim.ts) both answer through it.
 */
export async function answer(door: FrontDoor, req: ApiRequest, newId: () => string = () => crypto.randomUUID()): Promise<ApiResponse> {
  const reply = (status: number, body: unknown): ApiResponse => ({ status, body });
  try {
    const url = new URL(req.path || '/', 'http://x');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET' && url.pathname === '/health') return reply(200, { ok: true });
    if (req.method === 'POST' && url.pathname === '/tasks') {
      if (req.body === undefined) return reply(413, { error: 'body larger than 64 KiB' });
      let body: unknown;
      try {
        body = JSON.parse(req.body);
      } catch {
        return reply(400, { error: 'body is not JSON' });
      }
      const task = parseTask(body);
      if (typeof task === 'string') return reply(400, { error: task });
      const header = req.headers['idempotency-key'];
      const key = typeof header === 'string' ? header : newId();
      if (!KEY.test(key)) return reply(400, { error: 'Idempotency-Key must be 1..200 printable characters without spaces' });
      const r = await door.submit(key, task);
      return reply(r.created ? 201 : 200, r);
    }
    if (req.method === 'GET' && parts.length === 2 && parts[0] === 'tasks') {
      const view = await door.read(parts[1]!);
      return view ? reply(200, view) : reply(404, { error: 'no such task' });
    }
    if (req.method === 'POST' && parts.length === 3 && parts[0] === 'jobs' && parts[2] === 'cancel') {
      // 405, not 501: the client takes a 5xx for an outcome it does not know and retries it
      if (!door.cancel) return reply(405, { error: 'this system cannot cancel a job' });
      return (await door.cancel(parts[1]!)) ? reply(202, { jobId: parts[1], cancelRequested: true }) : reply(404, { error: 'no such job' });
    }
    return reply(404, { error: 'not found' });
  } catch (err) {
    return reply(503, { error: err instanceof Error ? err.message.split('\n')[0] : String(err) });
  }
}

/** The client API over HTTP (`answer`), on 127.0.0.1:port (0: any free port). */
export function serveFrontDoor(port: number, door: FrontDoor): Promise<{ port: number; close(): Promise<void> }> {
  const readBody = (req: IncomingMessage) => new Promise<string | undefined>((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString()));
    req.on('error', reject);
  });
  const server = createServer((req, res) => {
    const send = ({ status, body }: ApiResponse) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    // only POST /tasks has a body worth reading
    const body = req.method === 'POST' && (req.url ?? '').split('?')[0] === '/tasks' ? readBody(req) : Promise.resolve('');
    void body.then((text) => answer(door, { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: text }), (err: unknown) => ({ status: 503, body: { error: String(err) } }))
      .then(send);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const actual = (server.address() as { port: number }).port;
      resolve({ port: actual, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

// ---------------------------------------------------------------------------------------
// the evidence the harness reads, written with its instrumentation kit (harness/instrument/, the
// default prefix `app:`): the execution log a worker writes, and the front door's task records

/** The kit, under the key prefix the harness reads for the library applications (harness/systems/evidence.ts). */
export const kit = instrument();

/**
 * Logs a start before the payload runs: the attempt number (the job's starts so far, counted
 * in Redis), then the entry. Both go through the worker's own link, and wait through reconnects.
 */
export const logStart = (redis: Redis, jobId: string, workerId: string): Promise<number> => kit.payloadStarted(redis, jobId, workerId);

/** Logs how the payload of that start ended (completed, failed, timeout), as the worker saw it. */
export const logEnd = (redis: Redis, jobId: string, attempt: number, workerId: string, outcome: string): Promise<void> =>
  kit.payloadEnded(redis, jobId, attempt, workerId, outcome);

/** A connection for the app's own writes (the execution log): commands wait through reconnects. */
export function appRedis(dial: Dial, name: string): Redis {
  return new Redis(dial({ connectionName: name, maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(50 * n, 500) }));
}

// ---------------------------------------------------------------------------------------
// tasks: the front door's own record of which jobs a task has (the library knows only jobs)

/** Job `i` of a task is `${taskId}-${i}` (PROTOCOL.md): a retry of the same key names the same jobs, and the library's own id check makes adding them idempotent. */
export const jobIdsOf = (taskId: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${taskId}-${i}`);

/** Records the task once its jobs exist (the task id is its Idempotency-Key); created is false when a request with the same key got here first. */
export const saveTask = (redis: Redis, taskId: string, description: string, jobIds: string[]): Promise<boolean> => kit.recordTask(redis, taskId, jobIds, description);

/**
 * GET /tasks/:id for a library: the task's job ids, each job's start count, and each job as the
 * library shows it (`view`: undefined when the library has no such job, which leaves it out).
 */
export async function readTask(redis: Redis, taskId: string, view: (jobId: string, attempt: number) => Promise<JobView | undefined>): Promise<{ taskId: string; idempotencyKey: string; jobs: JobView[] } | undefined> {
  const jobIds = await kit.taskJobs(redis, taskId);
  if (!jobIds) return undefined;
  const attempts = await kit.starts(redis, jobIds);
  const jobs: JobView[] = [];
  for (const [i, jobId] of jobIds.entries()) {
    const job = await view(jobId, attempts[i] ?? 0);
    if (job) jobs.push(job);
  }
  return { taskId, idempotencyKey: taskId, jobs };
}
