#!/usr/bin/env node
// Runs and time to the first failing run of one scenario, over several seeds: each seed's
// `npm run chaos` (the arguments after --) writes its report to a directory of its own, and its
// results.json gives the first failing run (its index, and when it ended from the scenario's start).
//
//   node scripts/first-failure.mjs --seeds 1,2,3,4,5 -- --sim --system bee-queue --scenario pause
//
// One line per seed and a median line; a seed with no failing run says so. Runs the seeds one
// after another (a chaos run uses the machine's cores as it would alone).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const own = dash < 0 ? argv : argv.slice(0, dash);
const chaos = dash < 0 ? [] : argv.slice(dash + 1);
const seedsAt = own.indexOf('--seeds');
const seeds = seedsAt < 0 ? [] : own[seedsAt + 1]?.split(',').map(Number) ?? [];
if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s)) || chaos.length === 0) {
  process.stderr.write('first-failure: usage: node scripts/first-failure.mjs --seeds 1,2,3 -- <chaos arguments naming one --scenario>\n');
  process.exit(2);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const found = [];
for (const seed of seeds) {
  const dir = mkdtempSync(path.join(tmpdir(), 'first-failure-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', ...chaos, '--seed', String(seed), '--report-dir', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    let results;
    try {
      const run = readdirOne(dir);
      results = JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8')).result;
    } catch {
      process.stdout.write(`seed ${seed}: no results (exit ${r.status}): ${(r.stderr.trim().split('\n').pop() ?? '')}\n`);
      continue;
    }
    for (const sc of results.scenarios) {
      const first = sc.records.find((x) => !x.valid);
      if (!first) {
        process.stdout.write(`seed ${seed}: ${sc.scenario}: no failing run in ${sc.runs} runs (${(sc.durationMs / 1000).toFixed(1)} s)\n`);
        continue;
      }
      found.push({ runs: first.index + 1, ms: first.endedAtMs });
      process.stdout.write(`seed ${seed}: ${sc.scenario}: first failing run is run ${first.index + 1}, ended ${(first.endedAtMs / 1000).toFixed(1)} s after the scenario began\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
process.stdout.write(`caught with ${found.length} of ${seeds.length} seeds; median ${median(found.map((f) => f.runs))} runs, ${(median(found.map((f) => f.ms)) / 1000).toFixed(1)} s\n`);

/** the one run directory a chaos run wrote under dir */
function readdirOne(dir) {
  return path.join(dir, readdirSync(dir)[0]);
}
