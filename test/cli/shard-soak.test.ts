// `npm run soak -- --seed S --shard K/N`: suite i's seed derives from (S, i) alone, so the N shards
// of a soak run exactly the suites, with exactly the seeds, of the unsharded soak. Pure: no suite runs.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { deriveSeed } from '../../harness/config/shard.ts';

interface Soak {
  deriveSeed(seed: number, i: number): number;
  soakPlan(seed: number, suites: number, shard?: { index: number; count: number }): { suite: number; seed: number }[];
  parseShardArg(text: string): { index: number; count: number } | { error: string };
}
const soak = (await import(new URL('../../scripts/soak.mjs', import.meta.url).href)) as Soak;

describe('soak shards', () => {
  it('derives suite seeds exactly as the harness does', () => {
    for (const seed of [0, 1, -1, 42, 2 ** 31 - 1, -(2 ** 31)]) {
      for (let i = 0; i < 50; i++) expect(soak.deriveSeed(seed, i)).toBe(deriveSeed(seed, i));
    }
  });

  it.each([1, 2, 3, 7, 25])('%i shards run the unsharded soak\'s suites and seeds, each once', (count) => {
    const whole = soak.soakPlan(1234, 20);
    expect(whole.map((p) => p.suite)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const parts = Array.from({ length: count }, (_, k) => soak.soakPlan(1234, 20, { index: k + 1, count }));
    const all = parts.flat().sort((a, b) => a.suite - b.suite);
    expect(all).toEqual(whole);
    expect(soak.soakPlan(1234, 20, { index: 1, count })).toEqual(parts[0]);
  });

  it('parses K/N like chaos', () => {
    expect(soak.parseShardArg('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', 'x', '1/0']) expect(soak.parseShardArg(bad)).toHaveProperty('error');
  });

  it.each([
    [['--shard', '1/2'], /--shard needs --seed/],
    [['--shard', '0/2', '--seed', '1'], /--shard must be K\/N/],
    [['--seed', 'abc'], /--seed must be a 32-bit integer/],
  ])('%j exits 2 with one line', (args, message) => {
    const r = spawnSync(process.execPath, ['scripts/soak.mjs', ...args], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
