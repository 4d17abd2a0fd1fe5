// No process the harness started outlives it: not on SIGINT, SIGTERM, an uncaught error, or
// even SIGKILL of the harness itself (the kernel kills its children: setpriv --pdeathsig).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { pidAlive } from '../../harness/env/processes.ts';

async function holdEnv(...args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/env/fixtures/hold-env.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    void exited.then(() => reject(new Error('hold-env exited before printing its pids')));
  });
  const { pids, redisDir } = JSON.parse(line) as { pids: number[]; redisDir: string };
  return { child, exited, pids, redisDir };
}

async function allGone(pids: number[], withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline && pids.some(pidAlive)) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(pidAlive);
}

describe('process cleanup', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('stops every process and removes the Redis temp dir on %s', async (sig, code) => {
    const h = await holdEnv();
    // redis, toxiproxy, orchestrator, worker, keeper, executor
    expect(h.pids.length).toBeGreaterThanOrEqual(6);
    h.child.kill(sig);
    expect((await h.exited).code).toBe(code);
    expect(await allGone(h.pids, 5000)).toEqual([]);
    expect(existsSync(h.redisDir)).toBe(false);
  }, 60_000);

  it('stops every process when the harness dies of an uncaught error', async () => {
    const h = await holdEnv('throw');
    expect((await h.exited).code).not.toBe(0);
    expect(await allGone(h.pids, 5000)).toEqual([]);
  }, 60_000);

  it('leaves no process behind when the harness itself is SIGKILLed', async () => {
    const h = await holdEnv();
    h.child.kill('SIGKILL');
    expect((await h.exited).signal).toBe('SIGKILL');
    expect(await allGone(h.pids, 5000)).toEqual([]);
  }, 60_000);
});
