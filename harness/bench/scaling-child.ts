// Run by the scaling benchmark in a fresh Node process (so that its heap holds nothing else):
// builds a synthetic history of N entries in memory, runs every checker over it, and prints
// one JSON line with the times and the memory it took. Usage:
//   node --expose-gc --max-old-space-size=1024 --import tsx harness/bench/scaling-child.ts <entries>

import { performance } from 'node:perf_hooks';
import { CHECKERS, checkRun, observe, runStats } from '../checkers/index.ts';
import { syntheticHistory } from './synthetic-history.ts';

const gc = (globalThis as { gc?: () => void }).gc;
const collect = () => {
  gc?.();
  gc?.();
};

const entries = Number(process.argv[2] ?? 1_000_000);
collect();
const baseline = process.memoryUsage();

const b0 = performance.now();
const { history, counts } = syntheticHistory(entries);
const buildMs = performance.now() - b0;
collect();
const afterBuild = process.memoryUsage();
const maxRssAfterBuildKb = process.resourceUsage().maxRSS;

// the figure: one cold checkRun, as the runner calls it after a run
const c0 = performance.now();
const { verdicts, stats } = checkRun(history);
const checkMs = performance.now() - c0;
// heap right after the checkers, before a forced collection (what they allocated and V8 has not collected yet)
const heapAfterCheck = process.memoryUsage().heapUsed;
const maxRssAfterCheckKb = process.resourceUsage().maxRSS;

// where the time goes (warm: a second pass, checker by checker)
const breakdown: Record<string, number> = {};
let t = performance.now();
const obs = observe(history);
breakdown.observe = performance.now() - t;
for (const { name, check } of CHECKERS) {
  t = performance.now();
  check(history, obs);
  breakdown[name] = performance.now() - t;
}
t = performance.now();
runStats(history, obs);
breakdown.runStats = performance.now() - t;

process.stdout.write(JSON.stringify({
  entries: counts.entries,
  counts,
  buildMs,
  checkMs,
  valid: verdicts.every((v) => v.valid === true),
  verdicts: verdicts.map((v) => ({ checker: v.checker, valid: v.valid, evidence: v.evidence.length })),
  stats: { transitionsApplied: stats.transitionsApplied, transitionsIgnored: stats.transitionsIgnored, staleIgnored: stats.staleIgnored, duplicateExecutions: stats.duplicateExecutions },
  breakdownWarmMs: breakdown,
  memory: {
    baselineHeapUsed: baseline.heapUsed,
    baselineRss: baseline.rss,
    historyHeapUsed: afterBuild.heapUsed - baseline.heapUsed,
    heapUsedAfterBuild: afterBuild.heapUsed,
    heapUsedAfterCheckBeforeGc: heapAfterCheck,
    heapGrowthDuringCheck: heapAfterCheck - afterBuild.heapUsed,
    peakRssAfterBuild: maxRssAfterBuildKb * 1024,
    peakRss: maxRssAfterCheckKb * 1024,
    checkerPeakRssGrowth: (maxRssAfterCheckKb - maxRssAfterBuildKb) * 1024,
  },
}) + '\n');
