#!/usr/bin/env node
// `npm run soak -- [--suites N] [--scenario a,b] [--bugs x]`: run the chaos suite N times in a
// row, each as its own `chaos --ci` process with a fresh random seed, and count the suites that
// did not pass. On the correct system every one of them is a false alarm. Writes
// reports/soak/<stamp>/soak.json (one row per suite, with its seed and report) and exits 1 if any
// suite failed, 2 on bad usage.
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function usage(message) {
  process.stderr.write(`soak: ${message} (usage: npm run soak -- [--suites N] [--scenario a,b] [--bugs x])\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({ options: { suites: { type: 'string', default: '20' }, scenario: { type: 'string' }, bugs: { type: 'string' } }, strict: true }).values;
} catch (err) {
  usage(String(err.message).split('\n')[0]);
}
if (!/^[1-9]\d*$/.test(args.suites)) usage(`--suites must be a positive integer, got "${args.suites}"`);
const suites = Number(args.suites);

const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
const outDir = path.join(root, 'reports', 'soak', stamp);
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
  const argv = ['harness/cli/main.ts', '--ci', '--seed', String(seed), '--report-dir', reportDir];
  if (args.scenario) argv.push('--scenario', args.scenario);
  if (args.bugs) argv.push('--bugs', args.bugs);
  return new Promise((resolve) => {
    let tail = '';
    child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d) => (tail = (tail + d).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), tail }));
  });
}

function failingScenarios(reportDir) {
  try {
    const summary = JSON.parse(readFileSync(path.join(reportDir, 'latest', 'summary.json'), 'utf8'));
    return summary.scenarios.filter((s) => s.verdict !== 'pass').map((s) => `${s.scenario}: ${s.verdict}`);
  } catch {
    return ['(no summary.json)'];
  }
}

const rows = [];
const started = Date.now();
for (let i = 1; i <= suites && !interrupted; i++) {
  const seed = randomInt(1, 2 ** 31 - 1);
  const reportDir = path.join(outDir, String(i));
  const t0 = Date.now();
  const { code, tail } = await runSuite(seed, reportDir);
  const row = { suite: i, seed, exitCode: code, durationMs: Date.now() - t0, report: path.relative(root, reportDir), failing: code === 0 ? [] : failingScenarios(reportDir) };
  if (code !== 0 && code !== 1) row.output = tail.split('\n').slice(-15).join('\n');
  rows.push(row);
  process.stdout.write(`suite ${i}/${suites}: seed ${seed} ${code === 0 ? 'PASS' : `FAIL (exit ${code}) ${row.failing.join(', ')}`} in ${(row.durationMs / 1000).toFixed(1)} s\n`);
  writeFileSync(path.join(outDir, 'soak.json'), JSON.stringify({ suites, scenario: args.scenario ?? 'all', bugs: args.bugs ?? 'none', startedAt: new Date(started).toISOString(), rows }, null, 2) + '\n');
}
const failed = rows.filter((r) => r.exitCode !== 0);
process.stdout.write(`soak: ${rows.length} suites, ${failed.length} failed${interrupted ? ' (interrupted)' : ''}, ${((Date.now() - started) / 60000).toFixed(1)} min; ${path.relative(root, path.join(outDir, 'soak.json'))}\n`);
process.exit(interrupted ? 130 : failed.length ? 1 : 0);
