// The first run of an environment runs as every later one does: a system whose processes may be
// reused after a flush (SystemModule.idle: the reference system) reuses the fresh ones; a system
// without it (a library app) has them restarted before every run, the first included, so a
// replay by --path (a first run) is not run under a flush the run it replays never had.
import { afterEach, describe, expect, it } from 'vitest';
import { Environment } from '../../harness/env/environment.ts';
import { runOnce } from '../../harness/runner/run.ts';
import { reference } from '../../harness/systems/index.ts';
import { exampleSystem } from '../systems/examples.ts';

let env: Environment | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const plan = { workload: { tasks: [{ atMs: 0, description: 'one', jobs: [{ description: 'ok', payload: { durationMs: 50, exitCode: 0, output: ['x'] }, timeoutMs: 5000 }] }] }, schedule: [], settleMs: 2000 };

describe('the first run of an environment', () => {
  it('restarts a library system\'s fresh processes, as it does before every other run', async () => {
    env = await Environment.start({ system: await exampleSystem('bee-queue'), workers: 1 });
    expect(env.processesReusable).toBe(false);
    const out = await runOnce(env, plan);
    expect(out.restarted).toBe(true);
  }, 90_000);

  it('reuses the reference system\'s fresh processes, as it does after every run that ends idle', async () => {
    env = await Environment.start({ system: reference, workers: 1 });
    expect(env.processesReusable).toBe(true);
    const out = await runOnce(env, plan);
    expect(out.restarted).toBe(false);
  }, 90_000);

  it('waits for a system\'s own word that it is at rest after the flush (a system that polls), instead of counting blocked clients', async () => {
    let asked = 0;
    // the reference system, saying "at rest" only from its third asking on
    const polling = { ...reference, name: 'polling-reference', atRest: async () => ++asked >= 3 };
    env = await Environment.start({ system: polling, workers: 1 });
    const out = await runOnce(env, plan);
    expect(out.restarted).toBe(false);
    expect(asked).toBe(3);
    // the run after an idle one reuses the processes again, and asks again
    await runOnce(env, plan);
    expect(asked).toBeGreaterThan(3);
  }, 90_000);
});
