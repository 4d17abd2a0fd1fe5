// Server ports are picked outside the range the kernel gives outgoing connections.
import { randomInt } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS, requireBinary } from '../../harness/env/binaries.ts';
import { EnvironmentError } from '../../harness/env/errors.ts';
import { ephemeralRange, freePort, serverPortRange } from '../../harness/env/ports.ts';
import { ProcessRegistry } from '../../harness/env/processes.ts';
import { RedisServer } from '../../harness/env/redis.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'chaos-ports-'));
function rangeFile(text: string): string {
  const file = path.join(dir, `range-${Math.random()}`);
  writeFileSync(file, text);
  return file;
}

describe('ephemeralRange', () => {
  it('reads the kernel file, and falls back to the kernel default when it is missing or malformed', () => {
    expect(ephemeralRange(rangeFile('32768\t60999\n'))).toEqual([32768, 60999]);
    expect(ephemeralRange(rangeFile('1024 65000'))).toEqual([1024, 65000]);
    expect(ephemeralRange(path.join(dir, 'missing'))).toEqual([32768, 60999]);
    expect(ephemeralRange(rangeFile('garbage'))).toEqual([32768, 60999]);
    expect(ephemeralRange(rangeFile('5000 4000'))).toEqual([32768, 60999]);
  });
});

describe('serverPortRange', () => {
  it('is below the ephemeral range when there is room, else above it, else anything', () => {
    expect(serverPortRange([32768, 60999])).toEqual([10000, 32767]);
    expect(serverPortRange([11000, 60999])).toEqual([61000, 65535]);
    expect(serverPortRange([1024, 65535])).toEqual([1024, 65535]);
  });
});

describe('freePort', () => {
  it('picks ports outside this machine\'s ephemeral range, not always the same one', async () => {
    const [lo, hi] = ephemeralRange();
    const [from, to] = serverPortRange();
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(from);
      expect(p).toBeLessThanOrEqual(to);
      if (from > hi || to < lo) expect(p >= lo && p <= hi).toBe(false);
    }
    expect(new Set(ports).size).toBeGreaterThan(1);
  });
});

/** A plain TCP listener on 127.0.0.1:port that drops whatever connects (something else holding the port). */
function hold(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
const release = (server: net.Server) => new Promise<void>((r) => server.close(() => r()));

/** `n` consecutive ports in the server range, all held. */
async function holdRange(n: number): Promise<{ range: [number, number]; servers: net.Server[] }> {
  const [from, to] = serverPortRange();
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = randomInt(from, to - n + 1);
    const servers: net.Server[] = [];
    try {
      for (let p = base; p < base + n; p++) servers.push(await hold(p));
      return { range: [base, base + n - 1], servers };
    } catch {
      await Promise.all(servers.map(release));
    }
  }
  throw new Error('could not hold a run of free ports');
}

describe('freePort never falls back to a port outside its range', () => {
  it('get-port itself does: with every candidate taken it hands out another port', async () => {
    const { range: [lo, hi], servers } = await holdRange(3);
    try {
      const p = await getPort({ host: '127.0.0.1', port: [lo, lo + 1, hi] });
      expect(p >= lo && p <= hi).toBe(false);
    } finally {
      await Promise.all(servers.map(release));
    }
  });

  it('every port of the range taken: a one-line EnvironmentError, not a port outside it', async () => {
    const { range, servers } = await holdRange(3);
    try {
      const err = await freePort({ range }).then((p) => new Error(`got port ${p} outside ${range.join('-')}`), (e: unknown) => e);
      expect(err).toBeInstanceOf(EnvironmentError);
      expect((err as Error).message).toContain(`${range[0]}-${range[1]}`);
      expect((err as Error).message).not.toContain('\n');
    } finally {
      await Promise.all(servers.map(release));
    }
  });

  it('one port of the range free: that one', async () => {
    const { range, servers } = await holdRange(3);
    await release(servers[1]!);
    try {
      expect(await freePort({ range })).toBe(range[0] + 1);
    } finally {
      await Promise.all([servers[0]!, servers[2]!].map(release));
    }
  });

  it('tries fresh random candidates for a few rounds, then gives up (probe injected)', async () => {
    const seen: number[][] = [];
    const busyTwice = async (candidates: number[]) => (seen.push(candidates), seen.length > 2 ? candidates[5] : undefined);
    const p = await freePort({ range: [20_000, 20_999], candidates: 8, rounds: 4, probe: busyTwice });
    expect(seen).toHaveLength(3);
    for (const c of seen) {
      expect(c).toHaveLength(8);
      for (const x of c) expect(x >= 20_000 && x <= 20_999).toBe(true);
    }
    expect(p).toBe(seen[2]![5]);

    let calls = 0;
    await expect(freePort({ range: [20_000, 20_999], candidates: 8, rounds: 4, probe: async () => void calls++ })).rejects.toBeInstanceOf(EnvironmentError);
    expect(calls).toBe(4);
    // a probe that answers with a port outside the range is not believed either
    await expect(freePort({ range: [20_000, 20_999], rounds: 2, probe: async () => 45_000 })).rejects.toThrow(/20000-20999/);
  });
});

describe('RedisServer.restart', () => {
  const registry = new ProcessRegistry();
  let redis: RedisServer | undefined;
  afterAll(async () => {
    await redis?.stop();
    await registry.stopAll(1000);
  });

  it('binds its old port again once whatever held it for a moment lets go', async () => {
    redis = await RedisServer.start({ bin: requireBinary(REDIS), registry, aof: true });
    const port = redis.port;
    const admin = redis.client({ maxRetriesPerRequest: 1 });
    await admin.set('kept', 'yes');
    // crash it, as the redis-restart fault does; something else takes the port for ~300 ms
    redis.process.signal('SIGKILL');
    await redis.process.exited;
    const holder = await hold(port);
    const t0 = Date.now();
    const released = new Promise<void>((r) => setTimeout(() => void release(holder).then(r), 300));
    try {
      await redis.restart();
    } finally {
      await released;
    }
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(redis.port).toBe(port);
    expect(redis.process.alive()).toBe(true);
    expect(await admin.get('kept')).toBe('yes');
    admin.disconnect();
  });

  it('a port that stays taken: one clear EnvironmentError after its attempts, and the next restart works', async () => {
    const port = redis!.port;
    redis!.process.signal('SIGKILL');
    await redis!.process.exited;
    const holder = await hold(port);
    const t0 = Date.now();
    const err = await redis!.restart().then(() => new Error('restarted on a taken port'), (e: unknown) => e);
    await release(holder);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toMatch(new RegExp(`^redis-server could not bind its port ${port} again: still taken after 5 attempts 200 ms apart \\(.*Address already in use\\)$`));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(800);
    await redis!.restart();
    expect(redis!.port).toBe(port);
  });
});
