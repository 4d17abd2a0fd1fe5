// Server ports are picked outside the range the kernel gives outgoing connections.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ephemeralRange, freePort, serverPortRange } from '../../harness/env/ports.ts';

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
