// The embedding seam (system-under-test/embed.ts): the reference system's roles run in this
// process, on one real redis-server (no Toxiproxy), with in-process executors and a
// setTimeout stand-in for the payload process. Same code as the live processes; only the
// edges differ.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS, requireBinary } from '../../harness/env/binaries.ts';
import { ProcessRegistry } from '../../harness/env/processes.ts';
import { RedisServer } from '../../harness/env/redis.ts';
import {
  type Bugs,
  type Edges,
  type InProcessExecutor,
  type OrchestratorHandle,
  type PayloadExit,
  type PayloadHandle,
  type RoleHandle,
  type RunMessage,
  connectRedis,
  inProcessExecutor,
  parseBugs,
  startKeeper,
  startOrchestrator,
  startWorker,
} from '../../system-under-test/embed.ts';

const registry = new ProcessRegistry();
let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await RedisServer.start({ bin: requireBinary(REDIS), registry, aof: false });
  admin = server.client();
});

afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
  await registry.stopAll(1000);
});

/** sleep durationMs, then print the output and exit with exitCode; `hang` never ends by itself */
function standInPayload(job: RunMessage): PayloadHandle {
  const { payload } = job;
  let end!: (exit: PayloadExit) => void;
  const ended = new Promise<PayloadExit>((resolve) => (end = resolve));
  const timer = payload.hang
    ? undefined
    : setTimeout(() => end({ kind: 'exited', code: payload.exitCode, signal: null, output: payload.output.map((l) => l + '\n').join('') }), payload.durationMs);
  return {
    ended,
    kill: () => {
      clearTimeout(timer);
      // it prints only after its sleep: killed during it, it printed nothing
      end({ kind: 'exited', code: null, signal: 'SIGKILL', output: '' });
    },
  };
}

interface World {
  edges: Edges;
  clients: Redis[];
  executors: Map<string, InProcessExecutor[]>;
  logs: string[];
}

function world(): World {
  const clients: Redis[] = [];
  const executors = new Map<string, InProcessExecutor[]>();
  const logs: string[] = [];
  const edges: Edges = {
    redis: (link, log, purpose, blockMs) => {
      const client = connectRedis(link, log, purpose, blockMs, { password: server.password });
      clients.push(client);
      return client;
    },
    newId: () => randomUUID(),
    startExecutor: (link, _log, events) => {
      const executor = inProcessExecutor(link, events, edges);
      executors.set(link.id, [...(executors.get(link.id) ?? []), executor]);
      return executor;
    },
    runPayload: standInPayload,
    log: (id) => (message) => logs.push(`[${id}] ${message}`),
  };
  return { edges, clients, executors, logs };
}

interface System {
  orchestrator: OrchestratorHandle;
  roles: RoleHandle[];
}

async function startSystem(w: World, bugs: Bugs, workers = 2, leaseMs = 3000): Promise<System> {
  const link = (id: string) => ({ redisHost: '127.0.0.1', redisPort: server.port, id, bugs });
  const orchestrator = await startOrchestrator(link('orchestrator'), w.edges);
  const keeper = await startKeeper({ ...link('keeper-1'), runningTtlMs: 60_000, reclaimMs: 5000 }, w.edges);
  const started = await Promise.all(
    Array.from({ length: workers }, (_, i) => startWorker({ ...link(`worker-${i + 1}`), leaseMs, executorRedisPort: server.port }, w.edges)),
  );
  return { orchestrator, roles: [orchestrator, keeper, ...started] };
}

/** Stops every role; afterwards nothing of them may be left: connections ended, timers cleared. */
async function stopSystem(w: World, system: System, timersBefore: number): Promise<void> {
  await Promise.all(system.roles.map((r) => r.stop('test over')));
  expect(w.clients.length).toBeGreaterThan(0);
  for (const client of w.clients) expect(client.status).toBe('end');
  // the Timeouts left are the ones that were there before the roles started (vitest's own)
  expect(timers()).toBeLessThanOrEqual(timersBefore);
}

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

interface JobView {
  jobId: string;
  state: string;
  attempt: number;
  exitCode: number | null;
  output: string | null;
  reason: string | null;
}
interface TaskView {
  status: string;
  jobs: JobView[];
}

async function submit(orch: OrchestratorHandle, body: unknown, headers: Record<string, string> = {}): Promise<{ taskId: string; jobIds: string[] }> {
  const answer = await orch.request('POST', '/tasks', { 'Content-Type': 'application/json', ...headers }, JSON.stringify(body));
  expect(answer.status).toBe(201);
  return answer.body as { taskId: string; jobIds: string[] };
}

async function read(orch: OrchestratorHandle, taskId: string): Promise<TaskView> {
  const answer = await orch.request('GET', `/tasks/${taskId}`);
  expect(answer.status).toBe(200);
  return answer.body as TaskView;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const settled = (orch: OrchestratorHandle, taskId: string) =>
  waitFor(`task ${taskId} to settle`, async () => {
    const task = await read(orch, taskId);
    return task.jobs.every((j) => TERMINAL.has(j.state)) ? task : undefined;
  });

async function translog(): Promise<Record<string, string>[]> {
  const entries = await admin.xrange('sut:translog', '-', '+');
  return entries.map(([, flat]) => Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]])));
}

describe('the reference system embedded in one process', () => {
  it('runs orchestrator, 2 workers and a keeper with in-process executors: outcomes, timeout, cancel, translog, clean stop', async () => {
    await admin.flushall();
    const timersBefore = timers();
    const w = world();
    const system = await startSystem(w, parseBugs(''));
    const orch = system.orchestrator;

    // the API's routing and validation, as a call
    expect(await orch.request('GET', '/health')).toEqual({ status: 200, body: { ok: true } });
    expect((await orch.request('POST', '/tasks', {}, '{"description": ""')).status).toBe(400);
    expect((await orch.request('POST', '/tasks', {}, JSON.stringify({ description: 'x', priority: 12 }))).status).toBe(400);
    expect((await orch.request('POST', '/tasks', {}, 'x'.repeat(70_000))).status).toBe(413);
    expect((await orch.request('GET', '/nowhere')).status).toBe(404);
    expect((await orch.request('GET', '/tasks/unknown')).status).toBe(404);

    const mixed = await submit(
      orch,
      {
        description: 'mixed',
        priority: 1,
        subtasks: [
          { description: 'ok', payload: { durationMs: 50, exitCode: 0, output: ['a', 'b'] } },
          { description: 'fails', payload: { durationMs: 30, exitCode: 3, output: ['oops'] } },
          { description: 'hangs', payload: { durationMs: 0, exitCode: 0, output: ['never'], hang: true }, timeoutMs: 300 },
        ],
      },
      { 'Idempotency-Key': 'mixed-1' },
    );
    // a retry with the same key creates nothing
    const retry = await orch.request('POST', '/tasks', { 'idempotency-key': 'mixed-1' }, JSON.stringify({ description: 'mixed', priority: 1 }));
    expect(retry).toEqual({ status: 200, body: { ...mixed, created: false } });

    const long = await submit(orch, { description: 'long', priority: 0, subtasks: [{ description: 'long', payload: { durationMs: 60_000, exitCode: 0, output: ['late'] } }] });
    const longJob = long.jobIds[0]!;
    await waitFor('the long job to run', async () => ((await read(orch, long.taskId)).jobs[0]!.state === 'running' ? true : undefined));
    expect(await orch.request('POST', `/jobs/${longJob}/cancel`)).toEqual({ status: 202, body: { jobId: longJob, cancelRequested: true } });

    const done = await settled(orch, mixed.taskId);
    expect(done.status).toBe('failed');
    const [ok, fails, hangs] = done.jobs;
    expect(ok).toMatchObject({ state: 'completed', exitCode: 0, output: 'a\nb\n', reason: null, attempt: 1 });
    expect(fails).toMatchObject({ state: 'failed', exitCode: 3, output: 'oops\n', reason: 'exit' });
    expect(hangs).toMatchObject({ state: 'failed', exitCode: null, output: '', reason: 'timeout' });

    const cancelled = await settled(orch, long.taskId);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.jobs[0]).toMatchObject({ state: 'cancelled', reason: 'cancelled', exitCode: null });

    // the executor saw the flag too and reported `cancelled` for the payload it killed
    await waitFor('the executor to report the cancel', async () =>
      (await translog()).some((e) => e.jobId === longJob && e.source === 'executor' && e.type === 'cancelled') ? true : undefined,
    );

    // the keeper's decisions: every job's last applied transition ends in its final state
    const log = await translog();
    expect(log.every((e) => e.keeper === 'keeper-1')).toBe(true);
    for (const job of [...done.jobs, ...cancelled.jobs]) {
      const applied = log.filter((e) => e.jobId === job.jobId && e.decision === 'applied');
      expect(applied[0]).toMatchObject({ from: 'queued', to: 'running' });
      expect(applied[applied.length - 1]!.to).toBe(job.state);
    }
    // both executors' own `running` events reached the keeper (one ignored as a duplicate each run)
    expect(log.some((e) => e.reason === 'duplicate')).toBe(true);
    // the work was spread over both workers' executors
    const executions = await admin.xrange('sut:executions', '-', '+');
    expect(executions.length).toBe(4);

    await stopSystem(w, system, timersBefore);
  });

  it('an executor that crashes mid-job is started again and the job runs again under a new attempt', async () => {
    await admin.flushall();
    const timersBefore = timers();
    const w = world();
    const system = await startSystem(w, parseBugs(''), 1);
    const orch = system.orchestrator;

    const task = await submit(orch, { description: 'x', priority: 0, subtasks: [{ description: 'x', payload: { durationMs: 400, exitCode: 0, output: ['x'] } }] });
    await waitFor('the job to start', async () => ((await admin.xlen('sut:executions')) > 0 ? true : undefined));
    w.executors.get('worker-1-executor')![0]!.crash();

    const done = await settled(orch, task.taskId);
    expect(done.jobs[0]).toMatchObject({ state: 'completed', output: 'x\n', attempt: 2 });
    expect(w.executors.get('worker-1-executor')).toHaveLength(2);
    expect(w.logs.filter((l) => l.includes('[worker-1] executor started'))).toHaveLength(2);
    expect(w.logs.some((l) => l.includes('executor died during attempt 1; running it again'))).toBe(true);

    await stopSystem(w, system, timersBefore);
  });

  it('a worker that crashes mid-job takes its executor and payload with it; another worker reclaims the job after the lease', async () => {
    await admin.flushall();
    const timersBefore = timers();
    const w = world();
    const system = await startSystem(w, parseBugs(''), 2, 600);
    const orch = system.orchestrator;

    const task = await submit(orch, { description: 'x', priority: 0, subtasks: [{ description: 'x', payload: { durationMs: 300, exitCode: 0, output: ['x'] } }] });
    const [start] = await waitFor('the job to start', async () => {
      const entries = await admin.xrange('sut:executions', '-', '+');
      return entries.length > 0 ? entries : undefined;
    });
    const executorId = start![1][start![1].indexOf('executorId') + 1]!;
    const holder = system.roles.find((r) => `${r.id}-executor` === executorId)!;
    holder.crash();

    const done = await settled(orch, task.taskId);
    expect(done.jobs[0]).toMatchObject({ state: 'completed', output: 'x\n', attempt: 2 });
    const runs = (await admin.xrange('sut:executions', '-', '+')).map(([, f]) => f[f.indexOf('executorId') + 1]);
    expect(runs).toHaveLength(2);
    expect(runs[1]).not.toBe(executorId);
    // the crashed one's executor ran nothing after its crash, and its outcome never came
    expect((await translog()).filter((e) => e.sourceId === executorId && e.type !== 'running')).toEqual([]);
    expect(w.logs.some((l) => l.includes(`[${holder.id}] executor`) && l.includes('exited (SIGKILL)'))).toBe(true);

    await stopSystem(w, system, timersBefore);
  });

  it('a planted bug works through the seam: null-exit-as-success reports a payload killed at its timeout as completed', async () => {
    await admin.flushall();
    const timersBefore = timers();
    const w = world();
    const system = await startSystem(w, parseBugs('null-exit-as-success'), 1);
    const orch = system.orchestrator;

    const task = await submit(orch, { description: 'hang', priority: 0, subtasks: [{ description: 'hang', payload: { durationMs: 0, exitCode: 7, output: ['x'], hang: true }, timeoutMs: 200 }] });
    const done = await settled(orch, task.taskId);
    expect(done.status).toBe('completed');
    expect(done.jobs[0]).toMatchObject({ state: 'completed', exitCode: 0, output: '', reason: null });

    await stopSystem(w, system, timersBefore);
  });
});
