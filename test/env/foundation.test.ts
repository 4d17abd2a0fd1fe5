// The reference system on real Redis behind real Toxiproxy, driven through the harness's env.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Environment } from '../../harness/env/environment.ts';
import { ephemeralRange } from '../../harness/env/ports.ts';
import { listProcesses, OWNER_VAR, pidAlive } from '../../harness/env/processes.ts';
import { readExecutions, readTransitions } from '../../harness/history/collect.ts';
import { HistoryRecorder } from '../../harness/history/recorder.ts';
import type { JobSpec, Payload } from '../../harness/history/types.ts';
import { Client, pollUntilSettled } from '../../harness/workload/client.ts';
import { reference } from '../../harness/systems/reference.ts';

let env: Environment;
let history: HistoryRecorder;
let client: Client;

const expectedOutput = (p: Payload) => p.output.map((l) => `${l}\n`).join('');
const job = (payload: Partial<Payload>, timeoutMs = 10_000): JobSpec => ({
  description: 'job',
  payload: { durationMs: 20, exitCode: 0, output: ['ok'], ...payload },
  timeoutMs,
});

async function submit(jobs: JobSpec[], key = randomUUID()) {
  const res = await client.submit({ idempotencyKey: key, description: `task ${key}`, jobs });
  if (!res) throw new Error('submission failed');
  return res;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const stateOf = async (jobId: string) => (await env.admin.hget(`sut:job:${jobId}`, 'state')) ?? undefined;

async function timePing(linkName: string): Promise<number> {
  const c = new Redis({ host: '127.0.0.1', port: env.link(linkName).port, password: env.redis.password, lazyConnect: true });
  await c.connect();
  const t0 = performance.now();
  await c.ping();
  const ms = performance.now() - t0;
  c.disconnect();
  return ms;
}

beforeAll(async () => {
  env = await Environment.start({ system: reference, workers: 3, keepers: 2, leaseMs: 1500 });
  history = new HistoryRecorder();
  client = new Client(env.orchestratorUrl, history);
});

afterAll(async () => {
  await env?.stop();
});

describe('reference system on real Redis and Toxiproxy', () => {
  it('completes 50 tasks submitted through the client link, with outputs matching their payloads', async () => {
    const specs = Array.from({ length: 50 }, (_, i) => [
      job({ durationMs: 10 + (i % 5) * 10, output: [`task ${i} line 1`, `task ${i} line 2`] }),
      job({ durationMs: 5, output: [`task ${i} second job`] }),
    ]);
    const submitted = await Promise.all(specs.map((jobs) => submit(jobs)));
    const views = await pollUntilSettled(client, submitted.map((s) => s.taskId), 60_000);
    expect(views.size).toBe(50);
    submitted.forEach((s, i) => {
      const view = views.get(s.taskId)!;
      expect(view.status).toBe('completed');
      expect(view.jobs.map((j) => j.state)).toEqual(['completed', 'completed']);
      view.jobs.forEach((j, k) => expect(j.output).toBe(expectedOutput(specs[i][k].payload)));
    });
  });

  it('fails a non-zero exit and an overrun timeout, and cancels a running job', async () => {
    const { taskId, jobIds } = await submit([
      job({ exitCode: 3, output: ['boom'] }),
      job({ durationMs: 5000, hang: true }, 300),
      job({ durationMs: 20_000 }),
    ]);
    await waitFor('third job running', async () => ((await stateOf(jobIds[2])) === 'running' ? true : undefined));
    expect(await client.cancel(jobIds[2])).toEqual({ jobId: jobIds[2] });
    const view = (await pollUntilSettled(client, [taskId], 20_000)).get(taskId)!;
    expect(view.jobs[0]).toMatchObject({ state: 'failed', exitCode: 3, reason: 'exit' });
    expect(view.jobs[1]).toMatchObject({ state: 'failed', reason: 'timeout' });
    expect(view.jobs[2]).toMatchObject({ state: 'cancelled' });
    expect(view.status).toBe('failed');
  });

  it('ignores a running event that arrives after completed and logs it as ignored', async () => {
    const { taskId, jobIds } = await submit([job({ output: ['done'] })]);
    await pollUntilSettled(client, [taskId], 15_000);
    expect(await stateOf(jobIds[0])).toBe('completed');
    const lateId = await env.admin.xadd('sut:events', '*', 'jobId', jobIds[0], 'type', 'running', 'source', 'worker',
      'sourceId', 'worker-late', 'attempt', '1', 'seq', '1');
    const logged = await waitFor('the late event in the transition log', async () =>
      (await readTransitions(env.admin, history)).find((t) => t.eventId === lateId));
    expect(logged).toMatchObject({ jobId: jobIds[0], decision: 'ignored', reason: 'stale-terminal', from: 'completed' });
    expect(await stateOf(jobIds[0])).toBe('completed');
    const view = await client.read(taskId);
    expect(view?.jobs[0].state).toBe('completed');
  });

  it('never moves a terminal job while two keepers apply conflicting events for 300 jobs', async () => {
    // long jobs: the workers hold at most three of them, the rest wait in the queue
    const tasks = await Promise.all([0, 1, 2].map(() => submit(Array.from({ length: 100 }, () => job({ durationMs: 60_000 }, 120_000)))));
    const jobIds = tasks.flatMap((t) => t.jobIds);
    const types = ['running', 'completed', 'failed', 'cancelled', 'running', 'completed'];
    const pipe = env.admin.pipeline();
    jobIds.forEach((id, i) => {
      const order = types.map((t, k) => ({ t, k: (k * 7 + i * 13) % 11 })).sort((a, b) => a.k - b.k);
      for (const { t } of order) {
        pipe.xadd('sut:events', '*', 'jobId', id, 'type', t, 'source', 'executor', 'sourceId', 'test', 'attempt', '1', 'seq', t === 'running' ? '1' : '2', 'exitCode', '0', 'output', '');
      }
    });
    await pipe.exec();
    await waitFor('every conflicting event decided', async () => {
      const n = (await readTransitions(env.admin, history)).filter((t) => t.sourceId === 'test').length;
      return n >= jobIds.length * types.length ? true : undefined;
    }, 30_000);
    const log = (await readTransitions(env.admin, history)).filter((t) => jobIds.includes(t.jobId));
    const keepers = new Set(log.map((t) => t.keeper));
    expect(keepers.size).toBe(2);
    const terminal = new Set(['completed', 'failed', 'cancelled']);
    let overwritten = 0;
    for (const id of jobIds) {
      const applied = log.filter((t) => t.jobId === id && t.decision === 'applied');
      const firstTerminal = applied.findIndex((t) => terminal.has(t.to));
      expect(firstTerminal).toBeGreaterThanOrEqual(0);
      overwritten += applied.length - firstTerminal - 1;
      expect(await stateOf(id)).toBe(applied[firstTerminal].to);
    }
    expect(overwritten).toBe(0);
    await env.reset();
  });

  it('reclaims the job of a worker killed with SIGKILL and finishes it', async () => {
    const { taskId, jobIds } = await submit([job({ durationMs: 2500, output: ['survived'] })]);
    // kill while the payload runs: its first execution has started
    const first = await waitFor('the job to start executing', async () =>
      (await readExecutions(env.admin, history)).find((e) => e.jobId === jobIds[0]));
    const owner = first.executorId.replace(/-executor$/, '');
    const victim = env.process(owner);
    const victimExecutor = victim.currentExecutorPid()!;
    try {
      await victim.kill();
      const view = (await pollUntilSettled(client, [taskId], 20_000)).get(taskId)!;
      expect(view.jobs[0]).toMatchObject({ state: 'completed', output: 'survived\n' });
      expect(view.jobs[0].attempt).toBeGreaterThanOrEqual(2);
      const runs = (await readExecutions(env.admin, history)).filter((e) => e.jobId === jobIds[0]);
      expect(runs.some((r) => r.attempt >= 2 && !r.executorId.startsWith(`${owner}-`))).toBe(true);
      await waitFor('the dead worker\'s executor to exit', async () => (pidAlive(victimExecutor) ? undefined : true), 5000);
    } finally {
      await env.healProcesses();
    }
  });

  it('slows only the process whose link carries a latency toxic', async () => {
    const quickJob = async () => {
      const t0 = performance.now();
      const { taskId } = await submit([job({ durationMs: 0 })]);
      await pollUntilSettled(client, [taskId], 30_000, 20);
      return performance.now() - t0;
    };
    // only worker-1 takes jobs in this test
    await env.process('worker-2').kill();
    await env.process('worker-3').kill();
    try {
      const before = await quickJob();
      await env.link('worker-1').proxy.addToxic({ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 500, jitter: 0 } });
      const slowed = await quickJob();
      expect(await timePing('worker-1')).toBeGreaterThanOrEqual(490);
      expect(await timePing('worker-2')).toBeLessThan(200);
      expect(await timePing('keeper-1')).toBeLessThan(200);
      expect(slowed - before).toBeGreaterThan(1000);
    } finally {
      await env.healLinks();
      await env.healProcesses();
    }
  });

  it('creates no second task for a retried Idempotency-Key and writes nothing for bad bodies', async () => {
    const key = randomUUID();
    const first = await submit([job({})], key);
    const second = await submit([job({})], key);
    expect(second.taskId).toBe(first.taskId);
    expect(second.created).toBe(false);
    expect(await env.admin.keys(`sut:task:*`)).toContain(`sut:task:${first.taskId}`);

    const post = (body: string) => fetch(`${env.orchestratorUrl}/tasks`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    // what a submission writes: task, job and idempotency keys and entries on the job stream (the
    // job submitted above may still be running, so other keys come and go meanwhile)
    const submitWrites = async () => ({
      keys: (await Promise.all(['sut:task:*', 'sut:job:*', 'sut:idem:*'].map((p) => env.admin.keys(p)))).map((k) => k.length),
      queued: await env.admin.xlen('sut:jobs'),
    });
    const before = await submitWrites();
    const bad = [
      '{"priority": 1}',
      '{"description": 5, "priority": 1}',
      '{"description": "x", "priority": "high"}',
      '{"description": "x", "priority": 1, "subtasks": [{"description": "y", "payload": {"durationMs": -1, "exitCode": 0, "output": []}}]}',
      'not json',
      JSON.stringify({ description: 'x'.repeat(1024 * 1024), priority: 1 }),
    ];
    for (const body of bad) {
      const res = await post(body);
      expect([400, 413]).toContain(res.status);
      const parsed = (await res.json()) as { error: string };
      expect(parsed.error).toMatch(/\S/);
      expect(parsed.error).not.toContain('\n');
    }
    expect(await submitWrites()).toEqual(before);
  });

  it('listens only outside the ephemeral port range, so a server brought back gets its port again', async () => {
    const [lo, hi] = ephemeralRange();
    const ports = [env.redis.port, env.toxiproxy.port, env.orchestratorHttpPort, ...[...env.links.values()].map((l) => l.port)];
    expect(ports).toHaveLength(3 + env.links.size);
    expect(ports.filter((p) => p >= lo && p <= hi)).toEqual([]);
  });

  it('leaves no process running once the environment stops', async () => {
    const pids = [...env.registry.startedPids(), ...[...env.sut.values()].map((p) => p.executorPid!).filter(Boolean)];
    expect(pids.length).toBeGreaterThanOrEqual(1 + 1 + 6 + 3);
    // each carries the suite's owner tag, so the suite's leak check (global-setup.ts) sees them
    const owner = process.env[OWNER_VAR];
    expect(owner).toMatch(/^vitest-/);
    const tagged = listProcesses('redis-server|toxiproxy-server|system-under-test/main.ts', owner);
    expect(pids.filter(pidAlive).length).toBeGreaterThanOrEqual(6);
    expect(pids.filter((pid) => pidAlive(pid) && !tagged.has(pid))).toEqual([]);
    await env.stop();
    await waitFor('every started process to be gone', async () => (pids.some(pidAlive) ? undefined : true), 5000);
    expect(pids.filter(pidAlive)).toEqual([]);
  });
});
