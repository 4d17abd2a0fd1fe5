// --shard K/N: the split is disjoint, covering and deterministic (its usage errors: usage.test.ts).
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../harness/config/options.ts';
import { parseVerifyOptions } from '../../harness/cli/verify.ts';
import { deriveSeed, parseShard, shardBudget, shardItems, shardOf } from '../../harness/config/shard.ts';
import { verifyWork } from '../../harness/runner/verify.ts';
import { SCENARIOS } from '../../scenarios/index.ts';

describe('the shard split', () => {
  it('parses K/N', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/3', '4/3', 'x', '1/0', '1/', '/2', '-1/2', '1.5/2', '1/2/3', '']) expect(() => parseShard(bad), bad).toThrow(/--shard must be K\/N/);
  });

  it.each([1, 2, 3, 4, 7, 10, 11, 25])('%i shards of every scenario: disjoint, covering, in canonical order, deterministic', (count) => {
    const parts = Array.from({ length: count }, (_, k) => shardItems(SCENARIOS, { index: k + 1, count }));
    const all = parts.flat();
    expect(all).toHaveLength(SCENARIOS.length); // disjoint: no scenario twice …
    expect(new Set(all)).toEqual(new Set(SCENARIOS)); // … and covering
    for (const part of parts) expect(part).toEqual(SCENARIOS.filter((s) => part.includes(s))); // canonical order
    // deterministic: the same call, the same part; and each scenario's shard is shardOf(its index)
    for (let k = 1; k <= count; k++) expect(shardItems(SCENARIOS, { index: k, count })).toEqual(parts[k - 1]);
    SCENARIOS.forEach((s, i) => expect(parts[shardOf(i, count) - 1]).toContain(s));
    // round robin: no shard has more than one scenario more than another
    const sizes = parts.map((p) => p.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('deals the selection in canonical order, whatever order --scenario gives', () => {
    const a = parseOptions(['--scenario', 'keeper-race,reorder,latency', '--seed', '5', '--shard', '1/2']);
    const b = parseOptions(['--scenario', 'latency,reorder,keeper-race', '--seed', '5', '--shard', '1/2']);
    if (a === 'help' || b === 'help') throw new Error('help');
    expect(a.selection.map((s) => s.name)).toEqual(['latency', 'reorder', 'keeper-race']);
    expect(a.suite.scenarios.map((s) => s.name)).toEqual(['latency', 'keeper-race']);
    expect(b.suite.scenarios).toEqual(a.suite.scenarios);
    const two = parseOptions(['--scenario', 'keeper-race,reorder,latency', '--seed', '5', '--shard', '2/2']);
    if (two === 'help') throw new Error('help');
    expect(two.suite.scenarios.map((s) => s.name)).toEqual(['reorder']);
    expect(two.shard).toEqual({ index: 2, count: 2 });
  });

  it('splits verify\'s planted bugs and control scenarios the same way', () => {
    const o = parseVerifyOptions(['--seed', '3', '--shard', '2/3']);
    if (o === 'help') throw new Error('help');
    expect(o.shard).toEqual({ index: 2, count: 3 });
    const work = verifyWork();
    const bugs = [1, 2, 3].map((k) => shardItems(work.bugs, { index: k, count: 3 }).map((b) => b.name));
    expect(bugs.flat().sort()).toEqual(work.bugs.map((b) => b.name).sort());
    expect(new Set(bugs.flat()).size).toBe(work.bugs.length);
  });

  it('gives a shard its scenarios\' share of the whole run\'s --budget', () => {
    const o = parseOptions(['--seed', '1', '--shard', '2/3', '--budget', '10m']);
    if (o === 'help') throw new Error('help');
    // round-robin: shard 2 of 3 holds every scenario of the live selection (no simulation-only or on-request one) whose index is 1 mod 3
    const live = SCENARIOS.filter((s) => !s.simOnly && !s.liveOnRequest);
    const mine = live.filter((_, i) => i % 3 === 1).length;
    expect(o.suite.scenarios).toHaveLength(mine);
    // the suite's section holds this shard's share; the run key, the whole run's budget (what every shard agrees on)
    expect(o.suite.budgetMs).toBe(Math.floor((600_000 * mine) / live.length));
    expect(shardBudget({ budgetMs: 600_000, shard: o.shard, scenarios: mine, selection: live.length })).toBe(o.suite.budgetMs);
    expect(o.run.budgetMs).toBe(600_000);
    const whole = parseOptions(['--seed', '1', '--budget', '10m']);
    if (whole === 'help') throw new Error('help');
    expect(whole.suite.budgetMs).toBe(600_000);
    expect(whole.run).toMatchObject({ seed: 1, budgetMs: 600_000, bugs: [] });
  });

  it('derives soak seeds from (seed, suite) alone: deterministic, 32-bit, distinct', () => {
    const seeds = Array.from({ length: 1000 }, (_, i) => deriveSeed(42, i));
    expect(Array.from({ length: 1000 }, (_, i) => deriveSeed(42, i))).toEqual(seeds);
    for (const s of seeds) expect(s).toBe(s | 0);
    expect(new Set(seeds).size).toBe(1000);
    expect(deriveSeed(43, 0)).not.toBe(deriveSeed(42, 0));
  });
});
