// The simulated client link held against the live one: the same request to the reference
// orchestrator, once over HTTP through a real Toxiproxy `client` proxy (the live Environment) and
// once through SimWorld's transport on the virtual clock, with a fault that lands in the middle of
// the request. Compared: what the client saw (a reply or an error), whether the request had
// reached the orchestrator (a resubmit with the same idempotency key answers created: false), and,
// loosely, when the client saw it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Environment } from '../../harness/env/environment.ts';
import type { RunEnvironment } from '../../harness/env/surface.ts';
import { VirtualClock } from '../../harness/sim/clock.ts';
import { warmUp } from '../../harness/sim/run.ts';
import { Scheduler } from '../../harness/sim/scheduler.ts';
import { SimWorld } from '../../harness/sim/world.ts';
import { loadReferenceSim } from '../../harness/systems/reference-sim.ts';
import { reference } from '../../harness/systems/reference.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Scenario = (env: RunEnvironment, now: () => number, key: string) => Promise<{ first: string; created: unknown; when: number }>;

const body = JSON.stringify({ description: 'fidelity', priority: 1, subtasks: [{ description: 'one', payload: { durationMs: 10, exitCode: 0, output: ['ok'] }, timeoutMs: 5000 }] });

/** submits with `key`; 'reply:<status>' or 'error', and when (ms after `t0`) */
async function submit(env: RunEnvironment, now: () => number, key: string, t0: number): Promise<{ seen: string; at: number; created?: unknown }> {
  try {
    const res = await env.transport({ method: 'POST', path: '/tasks', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body, timeoutMs: 3000 });
    return { seen: `reply:${res.status}`, at: now() - t0, created: (JSON.parse(res.text) as { created?: unknown }).created };
  } catch {
    return { seen: 'error', at: now() - t0 };
  }
}

/** the same request again once every fault is gone: did the first one reach the orchestrator? */
async function resubmit(env: RunEnvironment, now: () => number, key: string): Promise<unknown> {
  for (let i = 0; i < 20; i++) {
    const again = await submit(env, now, key, now());
    if (again.seen.startsWith('reply:2')) return again.created;
    await sleep(100);
  }
  return 'no answer';
}

let env: Environment;
let runs = 0;

beforeAll(async () => {
  await warmUp();
  env = await Environment.start({ system: reference, workers: 1, keepers: 1, leaseMs: 2000 });
});

afterAll(async () => {
  await env?.stop();
});

async function live(scenario: Scenario) {
  await env.healLinks();
  try {
    return await scenario(env, () => performance.now(), `live-${++runs}`);
  } finally {
    await env.healLinks();
  }
}

async function sim(scenario: Scenario) {
  const target = { system: reference, sim: await loadReferenceSim({}) };
  const clock = new VirtualClock(1_000_000);
  try {
    let x = 7;
    const random = () => ((x = (x * 16807) % 2147483647) / 2147483647);
    const world = new SimWorld({ workers: 1, keepers: 1, leaseMs: 2000, bugs: [] }, clock, random, target);
    const scheduler = new Scheduler(clock, world.network, world.engine);
    let done = false;
    let value: Awaited<ReturnType<Scenario>> | undefined;
    let error: unknown;
    void (async () => {
      await world.start();
      return scenario(world, () => clock.now(), 'sim');
    })().then((v) => (value = v), (e: unknown) => (error = e)).finally(() => (done = true));
    await scheduler.runUntil(clock.now() + 120_000, () => done);
    if (!done) throw new Error('the simulated scenario did not end');
    let stopped = false;
    void world.stop().finally(() => (stopped = true));
    await scheduler.runUntil(clock.now() + 60_000, () => stopped);
    if (error) throw error;
    return value!;
  } finally {
    clock.uninstall();
  }
}

async function both(scenario: Scenario) {
  const l = await live(scenario);
  const s = await sim(scenario);
  expect({ ...s, when: undefined }).toEqual({ ...l, when: undefined });
  return { live: l, sim: s };
}

describe('the simulated client link against Toxiproxy', () => {
  it('a link down in the middle of a request (its reply in transit) fails it, though the link is up again before the reply would have come', async () => {
    const { live: l, sim: s } = await both(async (e, now, key) => {
      const link = e.linkControl('client');
      await link.addToxic({ name: 'slow', type: 'latency', stream: 'downstream', attributes: { latency: 800, jitter: 0 } });
      const t0 = now();
      const first = submit(e, now, key, t0);
      await sleep(300);
      await link.setEnabled(false);
      await sleep(100);
      await link.setEnabled(true);
      const seen = await first;
      await link.removeToxic('slow');
      return { first: seen.seen, created: await resubmit(e, now, key), when: seen.at };
    });
    expect(s).toMatchObject({ first: 'error', created: false });
    // it failed when the link went down, not when the reply would have come
    for (const o of [l, s]) expect(o.when).toBeGreaterThanOrEqual(250);
    expect(s.when).toBeLessThan(500);
  });

  it('a timeout toxic downstream: the orchestrator takes the request, its reply is dropped, and removing the toxic fails it', async () => {
    const { live: l, sim: s } = await both(async (e, now, key) => {
      const link = e.linkControl('client');
      await link.addToxic({ name: 'stall', type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } });
      const t0 = now();
      const first = submit(e, now, key, t0);
      await sleep(400);
      await link.removeToxic('stall');
      const seen = await first;
      return { first: seen.seen, created: await resubmit(e, now, key), when: seen.at };
    });
    expect(s).toMatchObject({ first: 'error', created: false });
    for (const o of [l, s]) expect(o.when).toBeGreaterThanOrEqual(350);
    expect(s.when).toBeLessThan(600);
  });

  it('a timeout toxic upstream: the request never reaches the orchestrator; it fails when the toxic goes', async () => {
    const { live: l, sim: s } = await both(async (e, now, key) => {
      const link = e.linkControl('client');
      await link.addToxic({ name: 'stall', type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
      const t0 = now();
      const first = submit(e, now, key, t0);
      await sleep(400);
      await link.removeToxic('stall');
      const seen = await first;
      return { first: seen.seen, created: await resubmit(e, now, key), when: seen.at };
    });
    expect(s).toMatchObject({ first: 'error', created: true });
    for (const o of [l, s]) expect(o.when).toBeGreaterThanOrEqual(350);
    expect(s.when).toBeLessThan(600);
  });
});
