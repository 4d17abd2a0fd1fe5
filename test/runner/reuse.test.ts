// When a run restarts the SUT processes: only when something of an earlier run may still be in
// flight in them. Real servers and processes; pids tell a restart from a reuse.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Environment } from '../../harness/env/environment.ts';
import { runOnce, type RunPlan } from '../../harness/runner/run.ts';
import { reference } from '../../harness/systems/reference.ts';

let env: Environment;
const plan: RunPlan = {
  workload: { tasks: [{ atMs: 0, description: 'reuse', jobs: [{ description: 'job', payload: { durationMs: 20, exitCode: 0, output: ['ok'] }, timeoutMs: 10_000 }] }] },
  schedule: [],
  settleMs: 10_000,
};
const pids = () => [...env.sut.values()].map((p) => p.pid);

describe('process reuse between runs', () => {
  beforeAll(async () => {
    env = await Environment.start({ system: reference, workers: 1, keepers: 1 });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });

  it('reuses the processes a new environment just started, and those of a run that ended idle', async () => {
    const started = pids();
    expect(env.processesReusable).toBe(true);
    const first = await runOnce(env, plan);
    expect(first.restarted).toBe(false);
    expect(env.processesReusable).toBe(true);
    const second = await runOnce(env, plan);
    expect(second.restarted).toBe(false);
    expect(pids()).toEqual(started);
  });

  it('restarts them when the last run did not end idle, or a process is down', async () => {
    env.processesReusable = false; // what a run that ended with a job in flight leaves
    const before = pids();
    const afterBusy = await runOnce(env, plan);
    expect(afterBusy.restarted).toBe(true);
    expect(pids().some((pid, i) => pid === before[i])).toBe(false);

    await env.process(env.parts.workers[0]!).kill();
    expect(env.processesReusable).toBe(true);
    const afterKill = await runOnce(env, plan);
    expect(afterKill.restarted).toBe(true);
  });
});
