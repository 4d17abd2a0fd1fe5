#!/usr/bin/env node
// `npm run soak -- [--suites N] [--seed S] [--shard K/N] [--scenario a,b] [--runs R] [--budget D] [--bugs x] [--sim] [--env local|docker]`: run the
// chaos suite N times in a row, each as its own `chaos --ci` process with its own seed, derived
// from the soak's seed S (random unless given) and the suite's number alone, so that
// `--shard K/N` (suites i with (i-1) % N === K-1) runs exactly the suites, with exactly the
// seeds, of the unsharded soak of seed S; and count the suites that
// did not pass. On the correct system every one of them is a false alarm. Writes
// reports/soak/<stamp>/soak.json (one row per suite, with its seed and report, and the settle
// times over all runs) and exits 1 if any suite failed, 2 on bad usage. At the end it prints the
// distribution of settle times (after the final heal, until every job was terminal, the system
// was quiet, or the cap) over every run of every suite, read from each suite's summary.json.
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A suite's summary.json (through reportDir/latest), or undefined when it wrote none. */
export function readSummary(reportDir) {
  try {
    return JSON.parse(readFileSync(path.join(reportDir, 'latest', 'summary.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every run's settle time of every scenario of one summary: [{ ms, capped }]. */
export function settleSamples(summary) {
  const samples = [];
  for (const s of summary?.scenarios ?? []) {
    for (const r of s.records ?? []) {
      if (typeof r.settleTookMs === 'number' && Number.isFinite(r.settleTookMs)) samples.push({ ms: r.settleTookMs, capped: r.settleCapped === true });
    }
  }
  return samples;
}

/** Nearest rank, like the report's quantiles: every value is one observed. */
function quantile(sorted, q) {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1];
}

/** min / p50 / p95 / max settle ms over the samples of every suite; null when there are none. */
export function settleDistribution(perSuite) {
  const all = perSuite.flat();
  if (all.length === 0) return null;
  const sorted = all.map((s) => s.ms).sort((a, b) => a - b);
  return {
    runs: sorted.length,
    suites: perSuite.filter((s) => s.length > 0).length,
    minMs: sorted[0],
    p50Ms: quantile(sorted, 0.5),
    p95Ms: quantile(sorted, 0.95),
    maxMs: sorted[sorted.length - 1],
    capped: all.filter((s) => s.capped).length,
  };
}

/**
 * Suite i's (0-based) seed in a soak of seed `seed`: depends on (seed, i) alone. The same function
 * as harness/config/shard.ts deriveSeed (murmur3's 32-bit finaliser), copied because this script
 * runs under plain node; test/cli/shard-soak.test.ts holds the two equal.
 */
export function deriveSeed(seed, i) {
  let h = (seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h | 0;
}

/** "K/N" → { index, count }, or a message saying why not. */
export function parseShardArg(text) {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const bad = `--shard must be K/N with 1 <= K <= N (like 2/4), got "${text}"`;
  if (!m) return { error: bad };
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) return { error: bad };
  return { index, count };
}

/** The suites (1-based numbers) of shard K of N of a soak of `suites` suites, each with its seed. */
export function soakPlan(soakSeed, suites, shard) {
  const plan = [];
  for (let i = 1; i <= suites; i++) {
    if (shard && (i - 1) % shard.count !== shard.index - 1) continue;
    plan.push({ suite: i, seed: deriveSeed(soakSeed, i - 1) });
  }
  return plan;
}

const secs = (ms) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatSettle(d) {
  if (!d) return 'soak: no settle times (no suite wrote a summary.json with run records)';
  return `soak: settle over ${plural(d.runs, 'run')} of ${plural(d.suites, 'suite')}: min ${secs(d.minMs)}, p50 ${secs(d.p50Ms)}, p95 ${secs(d.p95Ms)}, max ${secs(d.maxMs)}; `
    + `${d.capped === 0 ? 'no run' : plural(d.capped, 'run')} stopped at the settle cap`;
}

function usage(message) {
  process.stderr.write(`soak: ${message} (usage: npm run soak -- [--suites N] [--seed S] [--shard K/N] [--scenario a,b] [--runs R] [--budget D] [--bugs x] [--sim] [--env local|docker] [--system reference|bullmq|bee-queue|bull] [--redis-config name=value])\n`);
  process.exit(2);
}

async function main() {
  let args;
  try {
    args = parseArgs({ options: { suites: { type: 'string', default: '20' }, seed: { type: 'string' }, shard: { type: 'string' }, scenario: { type: 'string' }, runs: { type: 'string' }, budget: { type: 'string' }, bugs: { type: 'string' }, sim: { type: 'boolean' }, env: { type: 'string' }, system: { type: 'string' }, 'redis-config': { type: 'string', multiple: true } }, strict: true }).values;
  } catch (err) {
    usage(String(err.message).split('\n')[0]);
  }
  if (args.runs !== undefined && !/^[1-9]\d*$/.test(args.runs)) usage(`--runs must be a positive integer, got "${args.runs}"`);
  if (!/^[1-9]\d*$/.test(args.suites)) usage(`--suites must be a positive integer, got "${args.suites}"`);
  const suites = Number(args.suites);
  if (args.seed !== undefined && (!/^-?\d+$/.test(args.seed) || Number(args.seed) !== (Number(args.seed) | 0))) usage(`--seed must be a 32-bit integer, got "${args.seed}"`);
  if (args.env !== undefined && args.env !== 'local' && args.env !== 'docker') usage(`--env must be local or docker, got "${args.env}"`);
  let shard;
  if (args.shard !== undefined) {
    shard = parseShardArg(args.shard);
    if (shard.error) usage(shard.error);
    if (args.seed === undefined) usage('--shard needs --seed so every shard runs the same suites');
  }
  const soakSeed = args.seed !== undefined ? Number(args.seed) : randomInt(1, 2 ** 31 - 1);
  const plan = soakPlan(soakSeed, suites, shard);
  process.stdout.write(`soak: seed ${soakSeed}${shard ? `, shard ${shard.index}/${shard.count}: suites ${plan.map((p) => p.suite).join(',') || 'none'}` : ''} of ${suites}\n`);

  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  // shards of one soak started in the same second (a Kubernetes Indexed Job) must not share a directory
  const outDir = path.join(root, 'reports', 'soak', shard ? `${stamp}-shard${shard.index}of${shard.count}` : stamp);
  mkdirSync(outDir, { recursive: true });

  let child;
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      interrupted = true;
      child?.kill(sig); // chaos stops its processes and writes its partial report
    });
  }

  function runSuite(seed, reportDir) {
    const argv = ['harness/cli/main.ts', '--ci', '--soak', '--seed', String(seed), '--report-dir', reportDir];
    if (args.scenario) argv.push('--scenario', args.scenario);
    if (args.runs) argv.push('--runs', args.runs);
    // with --sim, a budget is searched (each suite draws runs for that long); chaos checks the duration
    if (args.budget) argv.push('--budget', args.budget);
    if (args.bugs) argv.push('--bugs', args.bugs);
    if (args.sim) argv.push('--sim');
    if (args.env) argv.push('--env', args.env);
    if (args.system) argv.push('--system', args.system);
    for (const c of args['redis-config'] ?? []) argv.push('--redis-config', c);
    return new Promise((resolve) => {
      let tail = '';
      child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      const keep = (d) => (tail = (tail + d).slice(-4000));
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), tail }));
    });
  }

  const rows = [];
  const settle = []; // per suite: [{ ms, capped }]
  const started = Date.now();
  for (const { suite: i, seed } of plan) {
    if (interrupted) break;
    const reportDir = path.join(outDir, String(i));
    const t0 = Date.now();
    const { code, tail } = await runSuite(seed, reportDir);
    const summary = readSummary(reportDir);
    // a scenario that is not 'pass' (fail, unknown, vacuous, incomplete) is what made the suite fail
    const failing = code === 0 ? [] : summary ? summary.scenarios.filter((s) => s.verdict !== 'pass').map((s) => `${s.scenario}: ${s.verdict}`) : ['(no summary.json)'];
    const samples = settleSamples(summary);
    settle.push(samples);
    const runs = (summary?.scenarios ?? []).reduce((n, s) => n + (typeof s.runs === 'number' ? s.runs : 0), 0);
    const row = { suite: i, seed, exitCode: code, durationMs: Date.now() - t0, runs, report: path.relative(root, reportDir), failing, settleCapped: samples.filter((s) => s.capped).length };
    if (code !== 0 && code !== 1) row.output = tail.split('\n').slice(-15).join('\n');
    rows.push(row);
    process.stdout.write(`suite ${i}/${suites}: seed ${seed} ${code === 0 ? 'PASS' : `FAIL (exit ${code}) ${row.failing.join(', ')}`}, ${runs} runs in ${(row.durationMs / 1000).toFixed(1)} s\n`);
    writeFileSync(path.join(outDir, 'soak.json'), JSON.stringify({
      suites, seed: soakSeed, ...(shard ? { shard } : {}), scenario: args.scenario ?? 'all', runs: args.runs ?? 'each scenario\'s own', bugs: args.bugs ?? 'none', startedAt: new Date(started).toISOString(), rows, settle: settleDistribution(settle),
    }, null, 2) + '\n');
  }
  const failed = rows.filter((r) => r.exitCode !== 0);
  process.stdout.write(formatSettle(settleDistribution(settle)) + '\n');
  process.stdout.write(`soak: ${rows.length} suites, ${rows.reduce((n, r) => n + r.runs, 0)} runs, ${failed.length} failed${interrupted ? ' (interrupted)' : ''}, ${((Date.now() - started) / 60000).toFixed(1)} min; ${path.relative(root, path.join(outDir, 'soak.json'))}\n`);
  process.exit(interrupted ? 130 : failed.length ? 1 : 0);
}

// imported (by its tests) it only provides the functions above
const isMain = () => {
  try {
    return Boolean(process.argv[1]) && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
};
if (isMain()) await main();
