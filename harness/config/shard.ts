// Sharding: shard K of N runs a disjoint, deterministic part of the work, so that N shards
// (a CI job matrix, a Kubernetes Indexed Job) together do exactly what one unsharded run with
// the same seed does, and `chaos merge` puts their results back into one report.
//
// The unit of work is the scenario. Every scenario runs with the suite's seed whatever other
// scenarios run (Suite passes `seed: this.o.seed` to each), so its runs depend only on
// (seed, scenario, options): a shard that runs it produces the same runs (schedules,
// workloads) as the unsharded suite. Scenarios are dealt round-robin in the canonical order
// (index % N === K - 1). Round-robin rather than a balance of expected run counts because the
// run counts are nearly equal (3 to 6 runs each, the same for all under --runs), while the time
// a scenario takes is dominated by what cannot be predicted before it runs (shrinking a
// failure, settle times), so a "balanced" split would be no better and harder to reason about.

import { InvalidArgumentError } from 'commander';
export interface Shard {
  /** 1-based */
  index: number;
  count: number;
}

/** "K/N" with 1 <= K <= N; throws InvalidArgumentError (one line) otherwise. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const bad = (why: string) => new InvalidArgumentError(`--shard must be K/N with 1 <= K <= N (like 2/4), got "${text}"${why ? `: ${why}` : ''}`);
  if (!m) throw bad('');
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw bad('N must be at least 1');
  if (count > 10_000) throw bad('N must be at most 10000');
  if (index < 1 || index > count) throw bad(`K must be from 1 to ${count}`);
  return { index, count };
}

export const shardLabel = (s: Shard) => `${s.index}/${s.count}`;

/** The items of shard K of N: those at index i with i % N === K - 1, in their given order. */
export function shardItems<T>(items: readonly T[], shard: Shard): T[] {
  return items.filter((_, i) => i % shard.count === shard.index - 1);
}

/** Which shard (1-based) runs the item at position i of N shards. */
export const shardOf = (i: number, count: number) => (i % count) + 1;

/**
 * Soak seeds: suite i (0-based) of a soak with seed S gets a seed derived from (S, i) alone, so
 * shard K of N of a soak runs exactly the suites, with exactly the seeds, an unsharded soak runs.
 * (A 32-bit integer mix, murmur3's finaliser; signed like fast-check seeds.)
 */
export function deriveSeed(seed: number, i: number): number {
  let h = (seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h | 0;
}

/**
 * --budget is the whole run's: the unsharded suite gives each scenario about budget / scenarios,
 * so a shard of m of the run's n scenarios gets budget * m / n (each of its scenarios the same
 * share as unsharded, and the shards, side by side, end within the budget).
 */
export function shardBudget(o: { budgetMs?: number; shard?: Shard; scenarios: number; selection: number }): number | undefined {
  if (o.budgetMs === undefined || !o.shard || o.selection === 0) return o.budgetMs;
  return Math.max(1000, Math.floor((o.budgetMs * o.scenarios) / o.selection));
}
