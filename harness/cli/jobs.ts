// `chaos --sim --jobs N`: a simulated search on every core. The suite runs as N child processes of
// this CLI, side by side, each `--shard K/N` of the scenarios with the run's seed and options and
// the WHOLE budget (a shard of the run spreads its share of the budget; a job spreads all of it
// over its own scenarios, so every scenario gets about N times the runs of one process). Each job
// writes its results.json into a hidden directory under the report directory; the parent merges
// them with the shards' merge (report/merge.ts) into the one reports/<run-id>/ (and `latest`),
// prints the table an unsharded run prints and exits with the merged gate's code.
//
// Output: a job prints what an unsharded run prints while it runs (the progress lines
// `[scenario] run N: ok ...`, `[scenario] PASS: ...`, a failure with its replay command) and
// nothing else (no header, table or report line, and never --json); the parent forwards its lines
// unchanged, whole lines only, to its own stderr (stdout to stdout, or to stderr under --json, so
// that stdout holds the one merged summary).
//
// Processes: each job runs in its own process group (a Ctrl-C at the terminal reaches only the
// parent), and the parent forwards SIGINT / SIGTERM to the groups, then merges what the jobs wrote
// into a report marked incomplete. A job holds an IPC channel to the parent and exits when it
// disconnects, so a parent killed outright (SIGKILL, the mutants bench's stop at the first failure)
// leaves no job behind (its hidden directory is removed by the next `--jobs` run writing to the
// same report directory). A job that dies without results (a crash, exit 2 before it ran) becomes
// its scenarios, each `incomplete` with one line saying so; the other jobs' results are merged as
// they are, and the gate exits 2 naming it.
import { spawn } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMPILED, nodeCommand } from '../env/binaries.ts';
import { leaveStopNoticeToParent, onExitSync, onInterrupt, pidAlive } from '../env/processes.ts';
import { UsageError, type ChaosOptions } from '../config/options.ts';
import { shardItems, shardLabel, type Shard } from '../config/shard.ts';
import { writeReport, type ReportSummary } from '../report/index.ts';
import { loadShard, mergeShards, SHARD_RESULTS_FILE, shardResults, type LoadedShard, type ShardResults } from '../report/merge.ts';
import { ReporterMultiplexer } from '../report/reporter.ts';
import { ConsoleReporter, printSummary } from '../report/reporters/console.ts';
import { ProgressReporter } from '../report/reporters/progress.ts';
import { summaryJson } from '../report/summary.ts';
import type { ScenarioResult } from '../runner/property.ts';
import type { SuiteResult } from '../runner/suite.ts';
import { oneLine } from '../text/oneLine.ts';
import { gateExitCode } from './gate.ts';

/**
 * How many processes run the suite: 1 (this process) unless a simulated run asks for more or is a
 * budgeted search (default: the cores, at most one per scenario). A replay (--path), a single
 * scenario, a shard and a job itself run in this process. Throws the usage errors (one line).
 */
export function jobCount(o: ChaosOptions): number {
  if (o.job !== undefined) {
    if (!o.shard) throw new UsageError('--job is internal to --jobs (it needs --shard)', false);
    return 1;
  }
  const asked = o.jobs;
  if (asked !== undefined && asked > 1) {
    if (o.shard) throw new UsageError(`--jobs ${asked} splits the run into shards itself: drop --shard, or --jobs`, false);
    if (!o.suite.sim) throw new UsageError(`--jobs ${asked} runs a simulated suite in ${asked} processes: add --sim (live runs share ports and real processes)`, false);
    if (o.report.reporters) throw new UsageError(`--jobs ${asked}: the config file's reporters are called by one process's run: drop --jobs`, false);
  }
  if (o.shard || !o.suite.sim || o.suite.path !== undefined || o.report.reporters) return 1;
  const searched = o.suite.budgetMs !== undefined && o.suite.runs === undefined;
  const wanted = asked ?? (searched ? availableParallelism() : 1);
  return Math.max(1, Math.min(wanted, o.selection.length));
}

/** A job's options: its shard searches the whole budget (a plain shard searches its share). */
export function asJob(o: ChaosOptions): ChaosOptions {
  return { ...o, suite: { ...o.suite, budgetMs: o.run.budgetMs } };
}

/**
 * A job's reporters: the progress lines and a scenario's failure as an unsharded run prints them
 * (not the table: the parent prints the merged one), and its results written for the merge. The
 * job also ends with its parent.
 */
export function jobReporters(o: ChaosOptions, log: (s: string) => void): ReporterMultiplexer {
  exitWithParent();
  const shard = { index: o.shard!.index, count: o.shard!.count };
  const console = new ConsoleReporter(log);
  return new ReporterMultiplexer([
    { name: 'progress', reporter: new ProgressReporter(log) },
    { name: 'console', reporter: { onBegin: (run) => console.onBegin(run), onScenarioEnd: (result) => console.onScenarioEnd(result) } },
    { name: 'results', reporter: { onEnd: (result) => writeFile(path.join(o.job!, SHARD_RESULTS_FILE), JSON.stringify(shardResults('chaos', shard, o.run, result))) } },
  ], log);
}

/** A job has an IPC channel to its parent: it disconnects when the parent is gone, even killed outright. Its parent says "stopping everything" for it. */
function exitWithParent(): void {
  if (!process.channel) return;
  leaveStopNoticeToParent();
  process.on('disconnect', () => process.exit(143));
}

/**
 * This CLI as a process: compiled, under plain node; from source, under the tsx loader this
 * package resolves (`--import tsx` would be looked up from the working directory, any project's).
 */
function cliCommand(): string[] {
  const command = nodeCommand('harness/cli/main.ts');
  if (COMPILED) return command;
  return [command[0]!, '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, command.at(-1)!];
}

interface Job {
  shard: Shard;
  dir: string;
  scenarios: string[];
  pid?: number;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** its last line on stderr but for progress lines, for a job that died without results */
  lastLine: string;
}

/** Calls `line` with every whole line of a stream, and the rest at its end. */
function eachLine(stream: NodeJS.ReadableStream, line: (s: string) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) line(l);
  });
  stream.on('end', () => {
    if (partial) line(partial);
    partial = '';
  });
}

/** A job that wrote no results: its scenarios, each incomplete with why. */
function missingResults(o: ChaosOptions, job: Job, why: string, like?: SuiteResult): ShardResults {
  const seed = o.suite.seed;
  const scenarios: ScenarioResult[] = o.selection.filter((s) => job.scenarios.includes(s.name)).map((s) => ({
    scenario: s.name, verdict: 'incomplete', runs: 0, failedRuns: 0, unknownRuns: 0,
    goals: s.goals.map((g) => ({ name: g.name, metInRuns: 0 })), seed, durationMs: 0, records: [], error: why,
  }));
  const result: SuiteResult = {
    seed, bugs: o.suite.bugs, scenarios, durationMs: 0, complete: false,
    ...(like?.system ? { system: like.system } : {}), redisConfig: o.suite.redisConfig,
  };
  return shardResults('chaos', job.shard, o.run, result);
}

function exitText(job: Job): string {
  const e = job.exit;
  if (!e) return 'did not exit';
  return e.code !== null ? `exited with code ${e.code}` : `was killed by ${e.signal}`;
}

/** the hidden directory of one `--jobs` run under the report directory: its parent's pid, and when it started */
const JOBS_DIR = /^\.jobs-(\d+)-\d+$/;

/**
 * Removes what `--jobs` runs whose parent is gone left under the report directory (a parent
 * killed outright, SIGKILL, never removes its hidden directory): a directory is kept while a
 * process of its pid lives (a run beside this one, or a pid reused: kept, harmless).
 */
export async function sweepStaleJobDirs(root: string): Promise<string[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const stale = names.filter((n) => {
    const m = JOBS_DIR.exec(n);
    return m !== null && !pidAlive(Number(m[1]));
  });
  for (const n of stale) await rm(path.join(root, n), { recursive: true, force: true });
  return stale;
}

/**
 * Runs the suite as `count` jobs, merges what they wrote into the run's report, prints the table
 * and returns the merged gate's exit code. `argv` is the run's arguments as typed: every job gets
 * them, then its shard, the run's seed and where its results go (the last of a repeated option wins).
 */
export async function runJobs(argv: readonly string[], o: ChaosOptions, count: number, baseline: ReportSummary | undefined, log: (s: string) => void): Promise<number> {
  const seed = o.suite.seed;
  const root = path.resolve(o.report.dir);
  await sweepStaleJobDirs(root);
  const tmp = path.join(root, `.jobs-${process.pid}-${Date.now()}`);
  const jobs: Job[] = Array.from({ length: count }, (_, i) => {
    const shard = { index: i + 1, count };
    return { shard, dir: path.join(tmp, `job-${i + 1}`), scenarios: shardItems(o.selection, shard).map((s) => s.name), lastLine: '' };
  });
  for (const job of jobs) await mkdir(job.dir, { recursive: true });
  log(`chaos: ${count} jobs side by side (--jobs), each searching the whole budget: ${jobs.map((j) => `${shardLabel(j.shard)} ${j.scenarios.join(',')}`).join('; ')}`);

  const started = Date.now();
  const [node, ...main] = cliCommand();
  const live = new Set<Job>();
  // a job's group, so that whatever it started goes too
  const signal = (job: Job, sig: NodeJS.Signals) => {
    try {
      if (job.pid !== undefined) process.kill(-job.pid, sig);
    } catch {
      /* already gone */
    }
  };
  const offExit = onExitSync(() => {
    for (const job of live) signal(job, 'SIGKILL');
  });
  const closed = jobs.map((job) => new Promise<void>((resolve) => {
    const child = spawn(node!, [...main, 'run', ...argv, '--jobs', '1', '--shard', shardLabel(job.shard), '--seed', String(seed), '--job', job.dir], {
      cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true,
    });
    job.pid = child.pid;
    live.add(job);
    eachLine(child.stdout!, (line) => (o.report.json ? log(line) : process.stdout.write(line + '\n')));
    eachLine(child.stderr!, (line) => {
      // what it said last besides its progress: the error of a job that died
      if (line.trim() && !/^\[[\w-]+\] /.test(line)) job.lastLine = line.trim();
      log(line);
    });
    const done = (code: number | null, sig: NodeJS.Signals | null) => {
      job.exit ??= { code, signal: sig };
      live.delete(job);
      resolve();
    };
    child.on('error', (err) => {
      job.lastLine = oneLine(err);
      done(null, null);
    });
    child.on('close', done);
  }));
  const allClosed = Promise.all(closed);

  // Ctrl-C / SIGTERM: the jobs stop and write what finished; the report says incomplete (exit 130 / 143)
  let interrupted = false;
  const offInterrupt = onInterrupt(async () => {
    interrupted = true;
    for (const job of live) signal(job, 'SIGINT');
    await allClosed;
    await finish(true);
  });

  const finish = async (incomplete: boolean): Promise<number> => {
    const loaded = new Map<Job, ShardResults>();
    for (const job of jobs) {
      try {
        loaded.set(job, (await loadShard(job.dir)).file);
      } catch {
        /* no results: below */
      }
    }
    const like = [...loaded.values()][0]?.result;
    const shards: LoadedShard[] = jobs.map((job) => ({
      dir: `job ${shardLabel(job.shard)}`,
      file: loaded.get(job) ?? missingResults(o, job, `job ${shardLabel(job.shard)} (${job.scenarios.join(',')}) ${exitText(job)} without writing its results${job.lastLine ? `: ${job.lastLine}` : ''}`, like),
    }));
    const merged = mergeShards(shards);
    // the run took as long as its jobs side by side, from the first start to the last exit
    const result: SuiteResult = { ...merged.result, durationMs: Date.now() - started };
    const { replay } = o.report;
    printSummary(result, log);
    let summary: ReportSummary | undefined;
    try {
      const files = await writeReport(result, {
        dir: o.report.dir, bugs: replay.bugs, workers: replay.workers, keepers: replay.keepers, sim: replay.sim, replay, incomplete,
        merged: { shards: count, from: merged.from }, shardResults: shardResults('chaos', { index: 1, count: 1 }, o.run, result),
      });
      log(`report: ${files.dir}/index.html${files.chartsError ? ` (charts missing: ${files.chartsError})` : ''}`);
      summary = files.summary;
      await rm(tmp, { recursive: true, force: true });
    } catch (err) {
      log(`report: could not be written: ${oneLine(err)} (the jobs' results are kept in ${tmp})`);
    }
    if (incomplete) return 130;
    if (o.report.json) process.stdout.write(JSON.stringify(summaryJson(result, replay), null, 2) + '\n');
    return gateExitCode(result, summary, { ...o.gate, baseline }, log);
  };

  await allClosed;
  // after Ctrl-C the interrupt handler writes the report and exits 130
  if (interrupted) return new Promise<number>(() => undefined);
  offInterrupt();
  offExit();
  return finish(false);
}
