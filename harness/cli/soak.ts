// `chaos soak` (`npm run soak`): run the chaos suite N times in a row, each as its own
// `chaos run --ci --soak` process with its own seed, derived from the soak's seed S (the command
// line's, else the config file's, else random) and the suite's number alone (config/shard.ts
// deriveSeed), so that `--shard K/N` (suites i with (i-1) % N === K-1) runs exactly the suites,
// with exactly the seeds, of the unsharded soak of seed S; and count the suites that did not
// pass. On the correct system every one of them is a false alarm. Writes
// reports/soak/<stamp>/soak.json (one row per suite, with its seed and report, and the settle
// times over all runs) and exits 1 if any suite failed, 2 on bad usage (checked once, as the
// suites' `chaos run` would check it, before the first suite). At the end it prints the
// distribution of settle times (after the final heal, until every job was terminal, the system
// was quiet, or the cap) over every run of every suite, read from each suite's summary.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { nodeCommand } from '../env/binaries.ts';
import { loadSummary, type ReportSummary } from '../report/index.ts';
import { settleDistribution as recordsSettle } from '../report/series.ts';
import { UsageError } from '../config/options.ts';
import { resolveOptions } from '../config/resolve.ts';
import { deriveSeed, shardItems, shardLabel, type Shard } from '../config/shard.ts';
import { groups, runOption, withOptions } from './options.ts';

/** A run's settle, as summary.json records it. */
export interface SettleSample { settleTookMs: number; settleCapped: boolean }

export interface SoakSettle { runs: number; suites: number; minMs: number; p50Ms: number; p95Ms: number; maxMs: number; capped: number }

/** The options each suite's `chaos run` gets as typed (it parses and checks them; the config file fills in the rest). */
const SUITE_OPTIONS = [
  { long: '--scenario', key: 'scenario' }, { long: '--runs', key: 'runs' },
  // with --sim, a budget is searched (each suite draws runs for that long)
  { long: '--budget', key: 'budget' }, { long: '--bugs', key: 'bugs' },
  { long: '--sim', key: 'sim' }, { long: '--no-sim', key: 'sim' }, { long: '--env', key: 'env' }, { long: '--system', key: 'system' },
  { long: '--redis-config', key: 'redisConfig' },
] as const;

function positiveSuites(text: string): number {
  if (!/^[1-9]\d*$/.test(text.trim())) throw new InvalidArgumentError(`--suites must be a positive integer, got "${text}"`);
  return Number(text);
}

/** `chaos soak`'s options: --suites, the seed and shard groups, and the suite options it passes on. */
export function soakCommand(): Command {
  const cmd = new Command('soak')
    .description('run the suite N times in a row, each its own `chaos run --ci --soak` with a seed derived from the soak\'s; count the suites that did not pass')
    .option('--suites <n>', 'how many suites', positiveSuites, 20);
  withOptions(cmd,
    groups.seed('the soak\'s seed (32-bit integer): suite i runs with a seed derived from (seed, i); default: the config file\'s, else random'),
    groups.shard('run the suites i with (i - 1) % N == K - 1 (needs --seed): the N shards run the unsharded soak\'s suites and seeds'),
    groups.config('the config file (default: the first chaos.config.* in the working directory); every suite runs with it, and the soak takes its seed'));
  for (const { long } of SUITE_OPTIONS) {
    const repeatable = long === '--redis-config';
    const flag = long === '--sim' || long === '--no-sim';
    cmd.addOption(runOption(long, flag ? {} : { asText: repeatable ? 'repeatable' : 'one' }));
  }
  return cmd;
}

export interface SoakOptions {
  suites: number;
  seed: number;
  shard?: Shard;
  /** what every suite's `chaos run` gets besides --ci --soak --seed --report-dir */
  suiteArgs: string[];
  /** for soak.json: the suite options as typed */
  scenario?: string;
  runs?: string;
  bugs?: string;
}

/**
 * soak's options from a parsed soakCommand: the suite options checked once, as each suite's
 * `chaos run` will check them (config file included); the seed over the file's.
 */
export async function soakOptionsOf(cmd: Command): Promise<SoakOptions> {
  const o = cmd.opts<{ suites: number; seed?: number; shard?: Shard; config?: string; scenario?: string; runs?: string; bugs?: string }>();
  const given = (key: string) => cmd.getOptionValueSource(key) === 'cli';
  const suiteArgs: string[] = [...(o.config !== undefined ? ['--config', path.resolve(o.config)] : [])];
  for (const { long, key } of SUITE_OPTIONS) {
    const value = cmd.getOptionValue(key) as unknown;
    if (!given(key)) continue;
    if (long === '--sim' || long === '--no-sim') {
      if ((value === true) === (long === '--sim')) suiteArgs.push(long);
    } else if (Array.isArray(value)) {
      for (const v of value) suiteArgs.push(long, String(v));
    } else suiteArgs.push(long, String(value));
  }
  // the checks each suite's chaos run makes, once, before anything runs
  const resolved = await resolveOptions([...suiteArgs, '--ci', '--soak']);
  if (resolved === 'help') throw new UsageError('soak: --help is soak\'s own', false);
  const fileSeed = resolved.config?.options.seed;
  const seed = o.seed ?? fileSeed;
  if (o.shard && seed === undefined) throw new UsageError('--shard needs --seed so every shard runs the same suites');
  return {
    suites: o.suites, seed: seed ?? randomInt(1, 2 ** 31 - 1), shard: o.shard, suiteArgs,
    ...(o.scenario !== undefined ? { scenario: o.scenario } : {}), ...(o.runs !== undefined ? { runs: o.runs } : {}), ...(o.bugs !== undefined ? { bugs: o.bugs } : {}),
  };
}

/** A suite's summary.json (through reportDir/latest), or undefined when it wrote none. */
export function readSummary(reportDir: string): Promise<ReportSummary | undefined> {
  return loadSummary(path.join(reportDir, 'latest', 'summary.json')).catch(() => undefined);
}

/** Every run's settle of every scenario of one summary. */
export function settleSamples(summary: ReportSummary | undefined): SettleSample[] {
  return (summary?.scenarios ?? []).flatMap((s) => (s.records ?? []).map((r) => ({ settleTookMs: r.settleTookMs, settleCapped: r.settleCapped === true })));
}

/** min / p50 / p95 / max settle ms over the runs of every suite (as the report computes a scenario's); null when there are none. */
export function settleDistribution(perSuite: readonly SettleSample[][]): SoakSettle | null {
  const d = recordsSettle(perSuite.flat());
  if (!d) return null;
  return { runs: d.runs, suites: perSuite.filter((s) => s.length > 0).length, minMs: d.minMs, p50Ms: d.p50Ms, p95Ms: d.p95Ms, maxMs: d.maxMs, capped: d.capped };
}

/** The suites (1-based numbers) of shard K of N of a soak of `suites` suites, each with its seed. */
export function soakPlan(soakSeed: number, suites: number, shard?: Shard): { suite: number; seed: number }[] {
  const all = Array.from({ length: suites }, (_, i) => ({ suite: i + 1, seed: deriveSeed(soakSeed, i) }));
  return shard ? shardItems(all, shard) : all;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatSettle(d: SoakSettle | null): string {
  if (!d) return 'soak: no settle times (no suite wrote a summary.json with run records)';
  return `soak: settle over ${plural(d.runs, 'run')} of ${plural(d.suites, 'suite')}: min ${secs(d.minMs)}, p50 ${secs(d.p50Ms)}, p95 ${secs(d.p95Ms)}, max ${secs(d.maxMs)}; `
    + `${d.capped === 0 ? 'no run' : plural(d.capped, 'run')} stopped at the settle cap`;
}

const out = (s: string) => process.stdout.write(s + '\n');

/**
 * Makes a directory of its own at `base`, or, when another soak took that name (two soaks started
 * in the same second), at `base-2`, `base-3`, ...: one soak never writes into another's reports.
 */
export function freshDir(base: string): string {
  mkdirSync(path.dirname(base), { recursive: true });
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`;
    try {
      mkdirSync(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** Runs the soak's suites one after another; the exit code: 130 when interrupted, 1 when a suite failed. */
export async function runSoak(o: SoakOptions): Promise<number> {
  const cwd = process.cwd();
  const plan = soakPlan(o.seed, o.suites, o.shard);
  out(`soak: seed ${o.seed}${o.shard ? `, shard ${shardLabel(o.shard)}: suites ${plan.map((p) => p.suite).join(',') || 'none'}` : ''} of ${o.suites}`);

  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  // shards of one soak started in the same second (a Kubernetes Indexed Job) must not share a directory
  const outDir = freshDir(path.join(cwd, 'reports', 'soak', o.shard ? `${stamp}-shard${o.shard.index}of${o.shard.count}` : stamp));

  let child: ChildProcess | undefined;
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      interrupted = true;
      child?.kill(sig); // chaos stops its processes and writes its partial report
    });
  }

  const runSuite = (seed: number, reportDir: string) => new Promise<{ code: number; tail: string }>((resolve) => {
    // this CLI as it runs itself: compiled under plain node, from source under tsx
    const [node, ...main] = nodeCommand('harness/cli/main.ts');
    const argv = [...main, 'run', '--ci', '--soak', '--seed', String(seed), '--report-dir', reportDir, ...o.suiteArgs];
    let tail = '';
    child = spawn(node!, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), tail }));
  });

  const rows: Record<string, unknown>[] = [];
  const failedRows: number[] = [];
  let totalRuns = 0;
  const settle: SettleSample[][] = [];
  const started = Date.now();
  for (const { suite: i, seed } of plan) {
    if (interrupted) break;
    const reportDir = path.join(outDir, String(i));
    const t0 = Date.now();
    const { code, tail } = await runSuite(seed, reportDir);
    const summary = await readSummary(reportDir);
    // a scenario that is not 'pass' (fail, unknown, vacuous, incomplete) is what made the suite fail
    const failing = code === 0 ? [] : summary ? summary.scenarios.filter((s) => s.verdict !== 'pass').map((s) => `${s.scenario}: ${s.verdict}`) : ['(no summary.json)'];
    const samples = settleSamples(summary);
    settle.push(samples);
    const runs = (summary?.scenarios ?? []).reduce((n, s) => n + s.runs, 0);
    const durationMs = Date.now() - t0;
    const row: Record<string, unknown> = { suite: i, seed, exitCode: code, durationMs, runs, report: path.relative(cwd, reportDir), failing, settleCapped: samples.filter((s) => s.settleCapped).length };
    if (code !== 0 && code !== 1) row.output = tail.split('\n').slice(-15).join('\n');
    rows.push(row);
    totalRuns += runs;
    if (code !== 0) failedRows.push(i);
    out(`suite ${i}/${o.suites}: seed ${seed} ${code === 0 ? 'PASS' : `FAIL (exit ${code}) ${failing.join(', ')}`}, ${runs} runs in ${(durationMs / 1000).toFixed(1)} s`);
    writeFileSync(path.join(outDir, 'soak.json'), JSON.stringify({
      suites: o.suites, seed: o.seed, ...(o.shard ? { shard: o.shard } : {}), scenario: o.scenario ?? 'all', runs: o.runs ?? 'each scenario\'s own', bugs: o.bugs ?? 'none',
      startedAt: new Date(started).toISOString(), rows, settle: settleDistribution(settle),
    }, null, 2) + '\n');
  }
  out(formatSettle(settleDistribution(settle)));
  out(`soak: ${rows.length} suites, ${totalRuns} runs, ${failedRows.length} failed${interrupted ? ' (interrupted)' : ''}, ${((Date.now() - started) / 60000).toFixed(1)} min; ${path.relative(cwd, path.join(outDir, 'soak.json'))}`);
  return interrupted ? 130 : failedRows.length ? 1 : 0;
}
