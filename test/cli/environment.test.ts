// A broken environment (missing binary, a "redis-server" that will not serve) gives one
// readable line and exit code 2, and leaves what an earlier run wrote untouched.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, startWithPortRetry } from '../../harness/env/ports.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'chaos-env-'));
const reportDir = path.join(dir, 'reports');

function chaos(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', '--scenario', 'latency', '--runs', '1', '--ci', '--report-dir', reportDir], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env },
  });
  return { code: r.status, lastLine: r.stderr.trim().split('\n').pop() ?? '', stderr: r.stderr };
}

function script(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('chaos CLI in a broken environment', () => {
  it.each([
    ['a REDIS_SERVER_BIN that does not exist', { REDIS_SERVER_BIN: '/nonexistent/redis-server' }, /REDIS_SERVER_BIN=.* is not an executable file/],
    ['a TOXIPROXY_SERVER_BIN that does not exist', { TOXIPROXY_SERVER_BIN: '/nonexistent/toxiproxy-server' }, /TOXIPROXY_SERVER_BIN=.* is not an executable file/],
    ['a redis-server that is no redis-server', { REDIS_SERVER_BIN: '/bin/false' }, /--version failed/],
    ['a redis-server that refuses to serve', { REDIS_SERVER_BIN: script('fake-redis', '[ "$1" = --version ] && echo "Redis server v=7.0.0" && exit 0\necho "# Fatal: cannot bind"; exit 1') }, /redis-server on port \d+ did not start/],
  ])('%s: exit 2 with one line', (_name, env, message) => {
    const earlier = path.join(dir, 'earlier-report.json');
    writeFileSync(earlier, '{"kept":true}');
    const r = chaos(env);
    expect(r.code).toBe(2);
    expect(r.lastLine).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
    expect(readFileSync(earlier, 'utf8')).toBe('{"kept":true}');
  });

  it('takes another port when the one it picked is already taken', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const takenPort = (taken.address() as { port: number }).port;
    const tried: number[] = [];
    const picks = [takenPort];
    const port = await startWithPortRetry(async (p) => {
      tried.push(p);
      const s = createServer();
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(p, '127.0.0.1', resolve);
      });
      s.close();
      return p;
    }, 3, async () => picks.shift() ?? (await freePort()));
    taken.close();
    expect(tried[0]).toBe(takenPort);
    expect(port).not.toBe(takenPort);
  });
});
