// No process the harness started outlives it: not on SIGINT, SIGTERM, an uncaught error, or
// even SIGKILL of the harness itself (the kernel kills its children: setpriv --pdeathsig).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { pidAlive } from '../../harness/env/processes.ts';
import { removeOrphanDirs } from '../../harness/env/redis.ts';

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
    // nothing could remove the Redis dir; the next harness to start does
    expect(existsSync(h.redisDir)).toBe(true);
    expect(removeOrphanDirs(path.dirname(h.redisDir))).toContain(path.basename(h.redisDir));
    expect(existsSync(h.redisDir)).toBe(false);
  }, 60_000);

  it('removes only the Redis dirs of harnesses that are gone', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'orphan-dirs-'));
    try {
      const dead = spawnSync('true').pid!; // exited and reaped
      for (const name of [`chaos-redis-${process.pid}-live`, `chaos-redis-${dead}-dead`, 'chaos-redis-nopid', 'other-dir']) mkdirSync(path.join(root, name));
      expect(removeOrphanDirs(root)).toEqual([`chaos-redis-${dead}-dead`]);
      expect(readdirSync(root).sort()).toEqual([`chaos-redis-${process.pid}-live`, 'chaos-redis-nopid', 'other-dir']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
