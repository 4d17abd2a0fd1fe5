// The front door: the HTTP API clients call (POST /tasks with an Idempotency-Key, GET /tasks/:id,
// GET /health). A task's jobs go onto node-resque's `tasks` queue as `runTask` jobs, in node-resque's
// own encoding (Queue#encode); the task and its job ids are recorded with the kit once its jobs
// are queued.
//
// node-resque's Queue#enqueue has no job ids and no duplicate check: a client that retries a
// submit whose answer it lost would queue every job again, and a marker written before or after
// enqueue() would lose a job or queue it twice when the process dies or the link drops between the
// two. So one script does both: a job is pushed (RPUSH, as enqueue does, with the SADD of the queue
// name) only if its `enqueued` marker was not set, in the same step.
//
// Its connection fails fast while Redis is unreachable (no offline queue, one retry, a 2 s command
// timeout): the API answers 503 and the client retries with the same key.
//
// Environment: NR_REDIS_PORT (its link to Redis), NR_HTTP_PORT, SUT_REDIS_PASSWORD.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { Queue } from 'node-resque';
import type { Payload } from '../../harness/instrument/index.ts';
import { enqueuedKey, JOB_CLASS, jobIdsOf, kit, lifecycle, log, message, NAMESPACE, QUEUE, ready, redisOptions, TERMINAL, type TaskJobArgs } from './common.ts';

const ID = 'front-door';
const redisPort = Number(process.env.NR_REDIS_PORT);
const httpPort = Number(process.env.NR_HTTP_PORT ?? 0);

const redis = new Redis(redisOptions(redisPort, { connectionName: ID, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2000 }));
redis.on('error', () => undefined);
const queue = new Queue({ connection: { redis, namespace: NAMESPACE } });
queue.on('error', (err: unknown) => log(ID, `queue error: ${message(err)}`));

/** KEYS: node-resque's set of queues, the queue, then each job's marker; ARGV: the queue name, then each encoded job. */
const ENQUEUE_ONCE = `local n = 0
for i = 3, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX') then
    redis.call('RPUSH', KEYS[2], ARGV[i - 1])
    n = n + 1
  end
end
if n > 0 then redis.call('SADD', KEYS[1], ARGV[1]) end
return n`;

// ---------------------------------------------------------------------------------------
// requests

interface Subtask {
  description: string;
  payload: Payload;
  timeoutMs: number;
}

/** A POST /tasks body, or a one-line reason it is not one. */
function parseTask(body: unknown): { description: string; subtasks: Subtask[] } | string {
  const b = body as { description?: unknown; priority?: unknown; subtasks?: unknown };
  if (!b || typeof b !== 'object') return 'body must be a JSON object';
  if (typeof b.description !== 'string' || b.description.length < 1 || b.description.length > 10_000) return 'description must be a string of 1..10000 characters';
  if (b.priority !== undefined && (!Number.isInteger(b.priority) || (b.priority as number) < 0 || (b.priority as number) > 9)) return 'priority must be an integer 0..9';
  const raw = b.subtasks === undefined ? [{ description: b.description }] : b.subtasks;
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > 100) return 'subtasks must be an array of 1..100';
  const subtasks: Subtask[] = [];
  for (const s of raw as { description?: unknown; payload?: Partial<Payload>; timeoutMs?: unknown }[]) {
    if (!s || typeof s !== 'object' || typeof s.description !== 'string') return 'every subtask needs a description';
    const p = s.payload ?? {};
    const payload: Payload = {
      durationMs: Number(p.durationMs ?? 20),
      exitCode: Number(p.exitCode ?? 0),
      output: Array.isArray(p.output) ? p.output.map(String) : [s.description],
      ...(p.hang ? { hang: true } : {}),
    };
    if (!Number.isInteger(payload.durationMs) || payload.durationMs < 0 || payload.durationMs > 600_000) return 'payload.durationMs must be 0..600000';
    if (!Number.isInteger(payload.exitCode) || payload.exitCode < 0 || payload.exitCode > 255) return 'payload.exitCode must be 0..255';
    if (payload.output.length > 100 || payload.output.some((l) => l.length > 1000)) return 'payload.output must be at most 100 lines of at most 1000 characters';
    const timeoutMs = Number(s.timeoutMs ?? 30_000);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) return 'timeoutMs must be 1..600000';
    subtasks.push({ description: s.description, payload, timeoutMs });
  }
  return { description: b.description, subtasks };
}

async function submit(taskId: string, task: { description: string; subtasks: Subtask[] }): Promise<{ taskId: string; jobIds: string[]; created: boolean }> {
  const jobIds = jobIdsOf(taskId, task.subtasks.length);
  const encoded = task.subtasks.map((s, index) => {
    const args: TaskJobArgs = { jobId: jobIds[index]!, taskId, index, payload: s.payload, timeoutMs: s.timeoutMs };
    return queue.encode(QUEUE, JOB_CLASS, [args]);
  });
  const keys = [queue.connection.key('queues'), queue.connection.key('queue', QUEUE), ...jobIds.map(enqueuedKey)];
  await redis.eval(ENQUEUE_ONCE, keys.length, ...keys, QUEUE, ...encoded);
  // the task exists for readers once its jobs are queued; a retry finds the first request's jobs
  const created = await kit.recordTask(redis, taskId, jobIds, task.description);
  if (!created) {
    const first = await kit.taskJobs(redis, taskId);
    return { taskId, jobIds: first ?? jobIds, created: false };
  }
  return { taskId, jobIds, created };
}

interface JobView {
  jobId: string;
  state: string;
  attempt: number;
  exitCode: number | null;
  output: string | null;
  reason: string | null;
}

async function read(taskId: string): Promise<Record<string, unknown> | undefined> {
  const [jobIdsRaw, description] = await redis.hmget(kit.keys.taskPrefix + taskId, 'jobIds', 'description');
  if (!jobIdsRaw) return undefined;
  const jobIds = JSON.parse(jobIdsRaw) as string[];
  const multi = redis.multi();
  for (const jobId of jobIds) multi.hgetall(kit.keys.statePrefix + jobId);
  const replies = (await multi.exec()) ?? [];
  const jobs: JobView[] = jobIds.map((jobId, i) => {
    const [err, value] = replies[i] ?? [new Error('no reply'), null];
    if (err) throw err;
    const h = value as Record<string, string>;
    return {
      jobId, state: h.state ?? 'queued', attempt: Number(h.attempt ?? 0),
      exitCode: h.exitCode === undefined || h.exitCode === '' ? null : Number(h.exitCode),
      output: h.output ?? (TERMINAL.has(h.state ?? '') ? '' : null), reason: h.reason ?? null,
    };
  });
  return { taskId, description, idempotencyKey: taskId, status: statusOf(jobs), jobs };
}

function statusOf(jobs: readonly JobView[]): string {
  if (jobs.every((j) => j.state === 'queued')) return 'queued';
  if (jobs.every((j) => j.state === 'completed')) return 'completed';
  if (jobs.every((j) => TERMINAL.has(j.state))) return jobs.some((j) => j.state === 'failed') ? 'failed' : 'cancelled';
  return 'running';
}

// ---------------------------------------------------------------------------------------
// HTTP

const KEY = /^[\x21-\x7e]{1,200}$/;
const MAX_BODY_BYTES = 64 * 1024;

const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

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

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { ok: true });
  if (req.method === 'POST' && url.pathname === '/tasks') {
    const text = await readBody(req);
    if (text === undefined) return send(res, 413, { error: 'body larger than 64 KiB' });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return send(res, 400, { error: 'body is not JSON' });
    }
    const task = parseTask(body);
    if (typeof task === 'string') return send(res, 400, { error: task });
    const header = req.headers['idempotency-key'];
    const key = typeof header === 'string' ? header : crypto.randomUUID();
    if (!KEY.test(key)) return send(res, 400, { error: 'Idempotency-Key must be 1..200 printable characters without spaces' });
    const r = await submit(key, task);
    return send(res, r.created ? 201 : 200, r);
  }
  if (req.method === 'GET' && parts.length === 2 && parts[0] === 'tasks') {
    const view = await read(parts[1]!);
    return view ? send(res, 200, view) : send(res, 404, { error: 'no such task' });
  }
  if (req.method === 'POST' && parts.length === 3 && parts[0] === 'jobs' && parts[2] === 'cancel') {
    // node-resque cannot stop a job another process is running; 405 (not a 5xx, which a client retries)
    return send(res, 405, { error: 'this system cannot cancel a job' });
  }
  send(res, 404, { error: 'not found' });
}

const server = createServer((req, res) => {
  // a Redis error: 503, the request may or may not have taken effect (the client retries with its key)
  route(req, res).catch((err: unknown) => send(res, 503, { error: message(err) }));
});

lifecycle(ID, async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  redis.disconnect();
});

async function main(): Promise<void> {
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(httpPort, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  log(ID, `serving on 127.0.0.1:${port}`);
  ready('front-door', ID, { httpPort: port });
}

main().catch((err: unknown) => {
  log(ID, `failed to start: ${message(err)}`);
  process.exit(1);
});
