// The orchestrator: the HTTP API. Splits a task into jobs and writes the task, its jobs
// and their queue entries with one Lua script; answers reads; turns a cancel request into
// a cancel flag and a `cancelled` event that a keeper applies if the job is not finished.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import {
  type LinkOptions,
  type Script,
  Lifecycle,
  PayloadSchema,
  TERMINAL_STATES,
  closeRedis,
  connectRedis,
  ensureGroup,
  errorText,
  groups,
  keys,
  loadScript,
  makeLogger,
  printReady,
  whenReady,
} from './common.ts';
import { idempotencyCheckThenInsert } from './bugs/idempotency-check-then-insert.ts';
import { writeBehindSubmit } from './bugs/write-behind-submit.ts';
import { createEventPublisher, type EventPublisher } from './event-transport.ts';

export interface OrchestratorOptions extends LinkOptions {
  httpPort: number;
}

const MAX_BODY_BYTES = 64 * 1024;

const SubtaskSchema = z.object({
  description: z.string().min(1).max(10_000),
  payload: PayloadSchema.optional(),
  timeoutMs: z.number().int().min(1).max(600_000).optional(),
});

const TaskSchema = z.object({
  description: z.string().min(1).max(10_000),
  priority: z.number().int().min(0).max(9),
  subtasks: z.array(SubtaskSchema).min(1).max(100).optional(),
});

const IdempotencyKeySchema = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** One readable line out of a zod error. */
function issuesLine(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`)
    .join('; ');
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface JobView {
  jobId: string;
  state: string;
  attempt: number;
  exitCode: number | null;
  output: string | null;
  reason: string | null;
  durationMs: number | null;
}

function taskStatus(states: string[]): string {
  if (states.every((s) => s === 'queued')) return 'queued';
  if (states.every((s) => s === 'completed')) return 'completed';
  if (states.every((s) => TERMINAL_STATES.has(s))) return states.includes('failed') ? 'failed' : 'cancelled';
  return 'running';
}

const numberOrNull = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));
const stringOrNull = (v: string | undefined) => (v === undefined || v === '' ? null : v);

class Orchestrator {
  constructor(
    private readonly redis: Redis,
    private readonly submitScript: Script,
    /** where the submit script enqueues jobs: the stream, or the list of the brpop-queue bug */
    private readonly queueKey: string,
    private readonly events: EventPublisher,
    private readonly id: string,
  ) {}

  async submit(body: unknown, idempotencyKey: string | undefined): Promise<{ status: number; body: unknown }> {
    const parsed = TaskSchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, issuesLine(parsed.error));
    const task = parsed.data;
    const subtasks = task.subtasks ?? [{ description: task.description }];
    const taskId = randomUUID();
    const jobIds = subtasks.map((_, i) => `${taskId}-${i}`);
    const jobArgs = subtasks.flatMap((s, i) => [
      jobIds[i]!,
      JSON.stringify(s.payload ?? { durationMs: 20, exitCode: 0, output: [s.description] }),
      String(s.timeoutMs ?? 30_000),
    ]);
    const scriptKeys = [keys.task(taskId), this.queueKey, ...jobIds.map(keys.job)];
    if (idempotencyKey !== undefined) scriptKeys.push(keys.idem(idempotencyKey));
    const reply = await this.submitScript(scriptKeys, [taskId, task.description, task.priority, idempotencyKey ?? '', JSON.stringify(jobIds), ...jobArgs]);
    if (!Array.isArray(reply) || reply.length !== 3) throw new Error('unexpected reply from submit-task');
    const created = Number(reply[0]) === 1;
    return {
      status: created ? 201 : 200,
      body: { taskId: String(reply[1]), jobIds: JSON.parse(String(reply[2])) as string[], created },
    };
  }

  async read(taskId: string): Promise<unknown> {
    const task = await this.redis.hgetall(keys.task(taskId));
    if (!task.id) throw new HttpError(404, `unknown task ${taskId}`);
    const jobIds = JSON.parse(task.jobIds ?? '[]') as string[];
    // one transaction, so the aggregate status comes from one consistent snapshot
    const multi = this.redis.multi();
    for (const jobId of jobIds) multi.hgetall(keys.job(jobId));
    const replies = (await multi.exec()) ?? [];
    const jobs: JobView[] = jobIds.map((jobId, i) => {
      const [err, value] = replies[i] ?? [null, {}];
      if (err) throw err;
      const job = (value ?? {}) as Record<string, string>;
      const state = job.state ?? 'unknown';
      return {
        jobId,
        state,
        attempt: Number(job.attempt ?? 0),
        exitCode: numberOrNull(job.exitCode),
        // a finished job's output is a string, even an empty one; null while it has none yet
        output: TERMINAL_STATES.has(state) ? (job.output ?? '') : null,
        reason: stringOrNull(job.reason),
        durationMs: numberOrNull(job.durationMs),
      };
    });
    return {
      taskId,
      description: task.description ?? '',
      priority: Number(task.priority ?? 0),
      idempotencyKey: stringOrNull(task.idempotencyKey),
      status: taskStatus(jobs.map((j) => j.state)),
      jobs,
    };
  }

  async cancel(jobId: string): Promise<unknown> {
    const attempt = await this.redis.hget(keys.job(jobId), 'attempt');
    if (attempt === null) throw new HttpError(404, `unknown job ${jobId}`);
    // the flag stops an executor that runs or is about to run the job; the event settles
    // a job that no executor holds (still queued)
    await this.redis.set(keys.cancel(jobId), '1');
    await this.events.publish({
      jobId,
      type: 'cancelled',
      source: 'orchestrator',
      sourceId: this.id,
      attempt: Number(attempt),
      seq: 2,
      reason: 'cancelled',
    });
    return { jobId, cancelRequested: true };
  }
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

/**
 * The body, or null when it is larger than the limit. An oversized body is still read to its
 * end (and thrown away, up to a hard cap) so the client gets its 413 instead of a reset
 * connection in the middle of its upload.
 */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_LIMIT_BYTES) req.destroy();
      else if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Past this an oversized upload is cut off rather than drained. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

function pathId(raw: string): string {
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'malformed id in path');
  }
  if (id.length === 0 || id.length > 200) throw new HttpError(404, 'unknown id');
  return id;
}

async function route(orch: Orchestrator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const method = req.method ?? 'GET';

  if (path === '/health' && method === 'GET') return send(res, 200, { ok: true });

  if (path === '/tasks' && method === 'POST') {
    const body = await readBody(req);
    if (body === null) {
      send(res, 413, { error: `body larger than ${MAX_BODY_BYTES} bytes` }, true);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new HttpError(400, `bad JSON: ${errorText(err)}`);
    }
    const header = req.headers['idempotency-key'];
    let idempotencyKey: string | undefined;
    if (header !== undefined) {
      const parsed = IdempotencyKeySchema.safeParse(Array.isArray(header) ? header[0] : header);
      if (!parsed.success) throw new HttpError(400, `Idempotency-Key: ${parsed.error.issues[0]?.message}`);
      idempotencyKey = parsed.data;
    }
    const result = await orch.submit(json, idempotencyKey);
    return send(res, result.status, result.body);
  }

  let m = /^\/tasks\/([^/]+)$/.exec(path);
  if (m && method === 'GET') return send(res, 200, await orch.read(pathId(m[1]!)));

  m = /^\/jobs\/([^/]+)\/cancel$/.exec(path);
  if (m && method === 'POST') return send(res, 202, await orch.cancel(pathId(m[1]!)));

  throw new HttpError(404, `no route ${method} ${path}`);
}

export async function runOrchestrator(options: OrchestratorOptions): Promise<void> {
  const log = makeLogger(options.id);
  const lifecycle = new Lifecycle(log);
  lifecycle.install();
  const redis = connectRedis(options, log, 'commands');
  lifecycle.onStop(() => closeRedis(redis));

  const brpop = options.bugs.has('brpop-queue');
  const submitScript = loadScript(redis, brpop ? 'submit-task-list.lua' : 'submit-task.lua');
  const orch = new Orchestrator(
    redis,
    // the submit seam: the script itself, or a planted bug in front of it
    options.bugs.has('write-behind-submit') ? writeBehindSubmit(submitScript, log)
      : options.bugs.has('idempotency-check-then-insert') ? idempotencyCheckThenInsert(submitScript, redis)
      : submitScript,
    brpop ? keys.queue : keys.jobs,
    createEventPublisher(options.bugs, redis),
    options.id,
  );

  await whenReady(redis);
  await ensureGroup(redis, keys.jobs, groups.workers);
  await ensureGroup(redis, keys.events, groups.keepers);

  const server = createServer((req, res) => {
    route(orch, req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return send(res, err.status, { error: err.message });
      // a Redis failure: the write may still have happened (the client must treat it as unknown)
      log(`${req.method} ${req.url}: ${errorText(err)}`);
      send(res, 503, { error: `redis: ${errorText(err).split('\n')[0]}` });
    });
  });
  lifecycle.onStop(() => {
    server.closeAllConnections();
    server.close();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.httpPort, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log(`listening on 127.0.0.1:${port}${options.bugs.size > 0 ? ` with bugs ${[...options.bugs].join(',')}` : ''}`);
  printReady('orchestrator', options.id, { httpPort: port });
}
