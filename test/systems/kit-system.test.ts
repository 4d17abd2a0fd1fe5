// A team's own job system (test/fixtures/kit-system/: plain Redis lists) that writes its evidence
// with the instrumentation kit and is described to the harness only by a process contract per
// role: its front door takes its ports from the environment its contract sets, runs in its own
// working directory, is ready when its health URL answers and stops on SIGINT; its workers take
// theirs on the command line and say ready with the JSON line. The harness runs it and judges it
// from the kit's evidence, with no reading code of the system's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Environment } from '../../harness/env/environment.ts';
import { kitSystem } from '../../harness/systems/kit.ts';

const CONFIG = 'test/fixtures/kit-system/chaos.config.ts';

describe('a system of your own through the kit and the process contract', () => {
  let env: Environment | undefined;
  afterAll(async () => {
    await env?.stop();
  });

  it('runs under chaos and passes scenarios it is correct for, judged from the kit\'s evidence', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chaos-kit-'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', '--config', CONFIG, '--scenario', 'latency,front-door', '--runs', '2', '--seed', '3', '--ci', '--report-dir', dir], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/chaos: system shop, seed 3/);
    const results = JSON.parse(readFileSync(path.join(realpathSync(path.join(dir, 'latest')), 'results.json'), 'utf8')) as {
      result: { scenarios: { scenario: string; verdict: string; records: { checks?: Record<string, { valid: unknown }>; history?: { kind: string; type?: string; decision?: string }[] }[] }[] };
    };
    const scenarios = results.result.scenarios;
    expect(scenarios.map((s) => [s.scenario, s.verdict])).toEqual([['latency', 'pass'], ['front-door', 'pass']]);
    // the judge read the kit's logs: payload starts and applied state changes are in the histories
    const entries = scenarios.flatMap((s) => s.records.flatMap((rec) => rec.history ?? []));
    expect(entries.filter((e) => e.kind === 'execution').length).toBeGreaterThan(0);
    expect(entries.filter((e) => e.kind === 'transition' && e.decision === 'applied').length).toBeGreaterThan(0);
  }, 320_000);

  it('starts each process with its contract: working directory, environment, readiness, stop signal', async () => {
    const shop = kitSystem({
      name: 'shop', prefix: 'shop:',
      frontDoor: {
        command: [process.execPath, '--import', 'tsx', 'front-door.ts'], cwd: path.resolve('test/fixtures/kit-system'),
        env: { SHOP_REDIS_PORT: '{redisPort}', SHOP_HTTP_PORT: '{httpPort}' }, ready: { http: 'http://127.0.0.1:{httpPort}/health' }, stop: { signal: 'SIGINT', graceMs: 3000 },
      },
      worker: { command: [process.execPath, '--import', 'tsx', 'worker.ts', '{id}', '{redisPort}'], cwd: path.resolve('test/fixtures/kit-system') },
    });
    env = await Environment.start({ system: shop, workers: 2 });
    const door = env.sut.get('producer')!;
    expect(door.spec).toMatchObject({ cwd: path.resolve('test/fixtures/kit-system'), ready: { http: `http://127.0.0.1:${env.orchestratorHttpPort}/health` }, stop: { signal: 'SIGINT', graceMs: 3000 } });
    expect(door.spec.env).toEqual({ SHOP_REDIS_PORT: String(env.links.get('producer')!.port), SHOP_HTTP_PORT: String(env.orchestratorHttpPort) });
    expect(env.sut.get('worker-2')!.spec.argv.slice(-2)).toEqual(['worker-2', String(env.links.get('worker-2')!.port)]);
    // ready means serving: the health URL answers now
    expect((await fetch(`http://127.0.0.1:${env.orchestratorHttpPort}/health`)).status).toBe(200);
    // a graceful stop sends its own signal: the front door logs why it exits
    const control = env.processControl('producer');
    await control.terminate(100);
    expect(control.alive()).toBe(false);
    expect(door.logTail()).toMatch(/exiting: SIGINT/);
    await control.start();
    expect(control.alive()).toBe(true);
    // its log since the environment started: the harness's notes and what it wrote, in order
    const log = env.takeLogs().producer!;
    expect(log).toMatch(/producer started: .*front-door\.ts[\s\S]*exiting: SIGINT[\s\S]*producer exited \(code 0[\s\S]*producer started: /);
    expect(env.takeLogs().producer).toBe('');
  }, 120_000);
});
