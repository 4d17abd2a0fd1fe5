// The orchestrator: the HTTP API. Splits a task into jobs and writes the task, its jobs
// and their queue entries with one Lua script; answers reads; turns a cancel request into
// a cancel flag and a `cancelled` event that a keeper applies if the job is not finished.
// The API is a function (`request`: method, path, headers, body → status, JSON body); the
// live process serves it over node:http (live.ts), an embedding calls it directly.

import type { Redis } from 'ioredis';
import { z } from 'zod';
import {
  type LinkOptions,
  type Logger,
  type Script,
  Lifecycle,
  PayloadSchema,
  TERMINAL_STATES,
  closeRedis,
  cutRedis,
  ensureGroup,
  errorText,
  groups,
  keys,
  loadScript,
  whenReady,
} from './common.ts';
import { idempotencyCheckThenInsert } from './bugs/idempotency-check-then-insert.ts';
import { writeBehindSubmit } from './bugs/write-behind-submit.ts';
import type { Edges, RoleHandle } from './embed.ts';
import { createEventPublisher, type EventPublisher } from './event-transport.ts';

/** The orchestrator role needs nothing beyond its link (the HTTP port is the live process's: live.ts). */
export type OrchestratorOptions = LinkOptions;

/** A request body larger than this is answered 413. */
export const MAX_BODY_BYTES = 64 * 1024;

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
    private readonly newId: () => string,
  ) {}

  async submit(body: unknown, idempotencyKey: string | undefined): Promise<{ status: number; body: unknown }> {
    const parsed = TaskSchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, issuesLine(parsed.error));
    const task = parsed.data;
    const subtasks = task.subtasks ?? [{ description: task.description }];
    const taskId = this.newId();
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

/** An answer of the API: the status and the JSON body (as a value). */
export interface ApiResponse {
  status: number;
  body: unknown;
}

/** A request's headers, as node:http has them (names in lower case; an embedding's are lower-cased here). */
export type ApiHeaders = Record<string, string | string[] | undefined>;

/**
 * A request's body: the bytes, or a reader that yields them (the HTTP server reads a body only
 * for the one route that has one; it keeps at most MAX_BODY_BYTES + 1 bytes of it).
 */
export type ApiBody = string | Uint8Array | undefined | (() => Promise<Uint8Array>);

export interface OrchestratorHandle extends RoleHandle {
  /** The HTTP API as a call: the same routing, validation and error answers as the HTTP server. */
  request(method: string, path: string, headers?: ApiHeaders, body?: ApiBody): Promise<ApiResponse>;
}

const reply = (status: number, body: unknown): ApiResponse => ({ status, body });

async function bodyBytes(body: ApiBody): Promise<Uint8Array> {
  if (body === undefined) return new Uint8Array();
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (typeof body === 'function') return body();
  return body;
}
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

async function route(orch: Orchestrator, method: string, url: string, headers: ApiHeaders, body: ApiBody): Promise<ApiResponse> {
  const path = new URL(url, 'http://localhost').pathname;

  if (path === '/health' && method === 'GET') return reply(200, { ok: true });

  if (path === '/tasks' && method === 'POST') {
    const bytes = await bodyBytes(body);
    if (bytes.length > MAX_BODY_BYTES) return reply(413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch (err) {
      throw new HttpError(400, `bad JSON: ${errorText(err)}`);
    }
    const header = headers['idempotency-key'];
    let idempotencyKey: string | undefined;
    if (header !== undefined) {
      const parsed = IdempotencyKeySchema.safeParse(Array.isArray(header) ? header[0] : header);
      if (!parsed.success) throw new HttpError(400, `Idempotency-Key: ${parsed.error.issues[0]?.message}`);
      idempotencyKey = parsed.data;
    }
    const result = await orch.submit(json, idempotencyKey);
    return reply(result.status, result.body);
  }

  let m = /^\/tasks\/([^/]+)$/.exec(path);
  if (m && method === 'GET') return reply(200, await orch.read(pathId(m[1]!)));

  m = /^\/jobs\/([^/]+)\/cancel$/.exec(path);
  if (m && method === 'POST') return reply(202, await orch.cancel(pathId(m[1]!)));

  throw new HttpError(404, `no route ${method} ${path}`);
}

/** Answers one request; a Redis failure is a 503 (the request may or may not have taken effect). */
async function request(orch: Orchestrator, log: Logger, method: string, url: string, headers: ApiHeaders, body: ApiBody): Promise<ApiResponse> {
  try {
    return await route(orch, method, url, headers, body);
  } catch (err) {
    if (err instanceof HttpError) return reply(err.status, { error: err.message });
    // a Redis failure: the write may still have happened (the client must treat it as unknown)
    log(`${method} ${url}: ${errorText(err)}`);
    return reply(503, { error: `redis: ${errorText(err).split('\n')[0]}` });
  }
}

function lowerCaseNames(headers: ApiHeaders): ApiHeaders {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/**
 * Starts the orchestrator in this process: its Redis connection, the consumer groups, the API.
 * `lifecycle` (default: a new one) lets a caller stop it while it is still starting.
 */
export async function startOrchestrator(options: OrchestratorOptions, edges: Edges, lifecycle = new Lifecycle(edges.log(options.id))): Promise<OrchestratorHandle> {
  const log = lifecycle.log;
  const redis = edges.redis(options, log, 'commands');
  lifecycle.onStop(() => closeRedis(redis));
  lifecycle.onCrash(() => cutRedis(redis));

  const brpop = options.bugs.has('brpop-queue');
  const submitScript = loadScript(redis, brpop ? 'submit-task-list.lua' : 'submit-task.lua');
  const orch = new Orchestrator(
    redis,
    // the submit seam: the script itself, or a planted bug in front of it
    options.bugs.has('write-behind-submit') ? writeBehindSubmit(submitScript, log, lifecycle)
      : options.bugs.has('idempotency-check-then-insert') ? idempotencyCheckThenInsert(submitScript, redis)
      : submitScript,
    brpop ? keys.queue : keys.jobs,
    createEventPublisher(options.bugs, redis),
    options.id,
    () => edges.newId(),
  );

  await whenReady(redis);
  await ensureGroup(redis, keys.jobs, groups.workers);
  await ensureGroup(redis, keys.events, groups.keepers);

  return {
    id: options.id,
    request: (method, path, headers = {}, body = undefined) => request(orch, log, method, path, lowerCaseNames(headers), body),
    stop: (why = 'stopped') => lifecycle.stop(why),
    crash: () => lifecycle.crash(),
  };
}
