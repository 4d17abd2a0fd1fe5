// `chaos soak --seed S --shard K/N` (`npm run soak`): suite i's seed derives from (S, i) alone, so
// the N shards of a soak run exactly the suites, with exactly the seeds, of the unsharded soak.
// Pure but for the usage errors: no suite runs.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { deriveSeed } from '../../harness/config/shard.ts';
import { soakPlan } from '../../harness/cli/soak.ts';

describe('soak shards', () => {
  it('gives suite i the harness\'s seed derived from (seed, i - 1)', () => {
    for (const seed of [0, 1, -1, 42, 2 ** 31 - 1, -(2 ** 31)]) {
      expect(soakPlan(seed, 50)).toEqual(Array.from({ length: 50 }, (_, i) => ({ suite: i + 1, seed: deriveSeed(seed, i) })));
    }
  });

  it.each([1, 2, 3, 7, 25])('%i shards run the unsharded soak\'s suites and seeds, each once', (count) => {
    const whole = soakPlan(1234, 20);
    expect(whole.map((p) => p.suite)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const parts = Array.from({ length: count }, (_, k) => soakPlan(1234, 20, { index: k + 1, count }));
    const all = parts.flat().sort((a, b) => a.suite - b.suite);
    expect(all).toEqual(whole);
    // shard K holds the suites i with (i - 1) % N == K - 1
    parts.forEach((part, k) => expect(part.every((p) => (p.suite - 1) % count === k)).toBe(true));
  });

  it.each([
    [['--shard', '1/2'], /^chaos: --shard needs --seed so every shard runs the same suites/],
    [['--shard', '0/2', '--seed', '1'], /--shard must be K\/N/],
    [['--seed', 'abc'], /--seed must be an integer/],
    [['--suites', '0'], /--suites must be a positive integer/],
    // the suites' own options are checked once, as each suite's chaos run would, before any runs
    [['--scenario', 'nope'], /unknown scenario "nope"/],
    [['--config', 'examples/node-resque/chaos.config.ts', '--sim'], /--sim needs a system with a simulated form/],
  ])('%j exits 2 with one line', (args, message) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', 'soak', ...args], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });
});
