// Pure helpers of `npm run bench`: statistics, the synthetic history, Redis stats parsing,
// the per-bug summary of verify rows, the sized workloads.
import { describe, expect, it } from 'vitest';
import { mean, median, percentile, pool, roundDeep } from '../../harness/bench/common.ts';
import { countCommand, diffCommandStats, emptyCounts, parseCommandStats, topLevelUsec } from '../../harness/bench/redis-stats.ts';
import { sizedWorkload } from '../../harness/bench/scaling.ts';
import { syntheticHistory } from '../../harness/bench/synthetic-history.ts';
import { summarizeRows } from '../../harness/bench/time-to-detect.ts';
import { checkRun } from '../../harness/checkers/index.ts';
import type { VerifyRow } from '../../harness/runner/verify.ts';

describe('statistics', () => {
  it('median and percentiles interpolate', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5], 0)).toBe(1);
    expect(percentile([1, 2, 3, 4, 5], 100)).toBe(5);
    expect(percentile([10, 20], 25)).toBe(12.5);
    expect(median([])).toBeNaN();
    expect(mean([1, 2, 3])).toBe(2);
  });

  it('rounds figures in JSON to 3 decimals, keeps integers', () => {
    expect(roundDeep({ a: 1.23456, b: [2, 0.33333], c: 'x' })).toEqual({ a: 1.235, b: [2, 0.333], c: 'x' });
  });

  it('pool keeps order and the in-flight limit', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await pool([5, 1, 3, 2, 4], 2, async (x) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, x));
      inFlight--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 30, 20, 40]);
    expect(most).toBe(2);
  });
});

describe('synthetic history', () => {
  it('has exactly the requested size and passes every checker', () => {
    for (const n of [1, 2, 41, 5000, 20_001]) {
      const { history, counts } = syntheticHistory(n, 7);
      expect(history.length).toBe(n);
      expect(counts.entries).toBe(n);
      expect(history[history.length - 1].kind).toBe('snapshot');
      const { verdicts } = checkRun(history);
      for (const v of verdicts) expect({ checker: v.checker, valid: v.valid, evidence: v.evidence.slice(0, 1) }).toEqual({ checker: v.checker, valid: true, evidence: [] });
    }
  });

  it('has a realistic mix: applied and ignored transitions, executions, reads, reclaims, a nemesis step', () => {
    const { history, counts } = syntheticHistory(50_000, 3);
    expect(counts.byKind.transition).toBeGreaterThan(15_000);
    expect(counts.byKind.client).toBeGreaterThan(15_000);
    expect(counts.byKind.execution).toBeGreaterThan(5000);
    expect(counts.byKind.nemesis).toBeGreaterThan(0);
    expect(counts.byKind.snapshot).toBe(1);
    expect(counts.transitionsIgnored).toBeGreaterThan(counts.transitionsApplied / 3);
    const { stats } = checkRun(history);
    expect(stats.staleIgnored).toBeGreaterThan(0);
    expect(stats.duplicateExecutions).toBeGreaterThan(0);
    expect(stats.jobsFailed).toBeGreaterThan(0);
    expect(stats.jobsCancelled).toBeGreaterThan(0);
  });

  it('is deterministic for a seed', () => {
    expect(syntheticHistory(3000, 5).history).toEqual(syntheticHistory(3000, 5).history);
  });
});

describe('redis stats', () => {
  const info = '# Commandstats\r\ncmdstat_xadd:calls=10,usec=50,usec_per_call=5.00,rejected_calls=0,failed_calls=0\r\ncmdstat_evalsha:calls=4,usec=400,usec_per_call=100.00\r\ncmdstat_hset:calls=8,usec=16,usec_per_call=2.00\r\n';

  it('parses and diffs INFO commandstats', () => {
    const a = parseCommandStats(info);
    expect(a.get('xadd')).toEqual({ calls: 10, usec: 50 });
    const b = parseCommandStats(info.replace('calls=10,usec=50', 'calls=15,usec=80'));
    expect([...diffCommandStats(a, b)]).toEqual([['xadd', { calls: 5, usec: 30 }]]);
  });

  it('counts a script with its inner commands once, and a command by its top-level share', () => {
    const delta = parseCommandStats(info);
    const counts = emptyCounts();
    for (let i = 0; i < 4; i++) countCommand(counts, 'EVALSHA', false);
    for (let i = 0; i < 5; i++) countCommand(counts, 'XADD', false);
    for (let i = 0; i < 5; i++) countCommand(counts, 'xadd', true);
    for (let i = 0; i < 8; i++) countCommand(counts, 'hset', true);
    const { usec, byCommand } = topLevelUsec(delta, counts);
    expect(byCommand.get('evalsha')).toBe(400);
    expect(byCommand.get('xadd')).toBe(25);
    expect(byCommand.has('hset')).toBe(false);
    expect(usec).toBe(425);
  });
});

describe('time-to-detect summary', () => {
  const row = (bug: string, seed: number, caught: boolean, t: number, total: number, runs: number): VerifyRow => ({
    bug, caught, caughtBy: caught ? 'reorder' : null, checkers: caught ? ['terminalStable'] : [], firstRunCheckers: [], expectedChecker: caught,
    runsToDetect: caught ? runs : null, timeToDetectMs: caught ? t : null, totalMs: total, scheduleSize: caught ? 1 : null, seed, path: null,
  });

  it('takes medians and maxima over the seeds that caught the bug, and names the ones that did not', () => {
    const [s] = summarizeRows([row('lww', 1, true, 1000, 5000, 1), row('lww', 2, true, 3000, 9000, 3), row('lww', 3, false, 0, 60_000, 0), row('lww', 4, true, 2000, 7000, 2)]);
    expect(s).toMatchObject({ bug: 'lww', seeds: 4, caught: 3, escapedSeeds: [3], medianTimeToDetectMs: 2000, maxTimeToDetectMs: 3000, medianTotalMs: 7000, maxTotalMs: 9000, medianRuns: 2, maxRuns: 3 });
  });
});

describe('sized workloads', () => {
  it('has exactly the number of jobs, in tasks of two', () => {
    for (const n of [1, 10, 101, 1000]) {
      const w = sizedWorkload(n);
      expect(w.tasks.reduce((a, t) => a + t.jobs.length, 0)).toBe(n);
      expect(w.tasks.every((t) => t.jobs.length <= 2 && !t.cancel)).toBe(true);
    }
  });
});
