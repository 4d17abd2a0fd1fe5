// The reliability report: reports/<run-id>/ with index.html (self-contained, charts inline),
// summary.json, junit.xml and the histories of failing and unknown runs; reports/latest points at it.

import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeHistory } from '../history/jsonl.ts';
import type { ScenarioResult } from '../runner/property.ts';
import type { SuiteResult } from '../runner/suite.ts';
import type { ReplayOptions } from '../config/options.ts';
import { eventsChart, latencyChart, runsChart, throughputChart, type ChartImage } from './charts.ts';
import { renderPage, type ScenarioSection } from './html.ts';
import { junitXml } from './junit.ts';
import { faultWindows, representativeRun, timeSeries } from './series.ts';
import { reportSummary, type MergedInfo, type ReportSummary, type ShardInfo, type VerifyRow } from './summary.ts';
import { SHARD_RESULTS_FILE, type ShardResults } from './merge.ts';
import { jobsNamedIn, jobTimeline } from './timeline.ts';

export { compareBaseline, type BaselineComparison, type BaselineOptions } from './baseline.ts';
export { loadSummary, reportSummary, summarySchema, type MergedInfo, type ReportSummary, type ScenarioSummary, type ShardInfo, type VerifyRow } from './summary.ts';

export interface ReportOptions {
  /** reports root; default "reports" */
  dir?: string;
  /** name of this run's directory; default: UTC time and seed */
  runId?: string;
  bugs: string[];
  workers?: number;
  keepers?: number;
  /** the runs were simulated (chaos --sim): replay commands carry --sim */
  sim?: boolean;
  /** the rest of what replay commands carry (--concurrency, --fault-duration, --no-guidance, --config, ...) */
  replay?: Partial<ReplayOptions>;
  /** the suite was cut short (interrupt) even if the result does not say so */
  incomplete?: boolean;
  /** planted-bug table of a verify run */
  verify?: VerifyRow[];
  /** clock for createdAt and the default run id (tests) */
  now?: Date;
  /** this report is shard K of N of a run: named in summary.json, index.html and junit.xml */
  shard?: ShardInfo;
  /** this report was merged from the shards of a run */
  merged?: MergedInfo;
  /** a shard's full-fidelity results, written as results.json for `chaos merge` */
  shardResults?: ShardResults;
}

export interface ReportFiles {
  /** absolute path of reports/<run-id> */
  dir: string;
  /** absolute paths of every file written in it */
  files: string[];
  /** absolute path of reports/latest */
  latest: string;
  summary: ReportSummary;
  /** set when the charts could not be drawn (the page says so); every other file was written */
  chartsError?: string;
}

/** How many job timelines a failure section shows; the rest are in the history file. */
const MAX_TIMELINES = 12;

export function defaultRunId(now: Date, seed: number): string {
  return `${now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '')}-seed${seed}`;
}

function checkRunId(runId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId) || runId === 'latest') {
    throw new Error(`run id "${runId}" must be a plain directory name (letters, digits, . _ -) other than "latest"`);
  }
}

export function historyFileName(scenario: string, runIndex: number): string {
  return `${scenario.replace(/[^A-Za-z0-9._-]/g, '_')}-run${runIndex}.jsonl`;
}

/** Points reports/latest at the run: a relative symlink, replaced atomically; a text file naming the run where symlinks fail. */
async function pointLatest(root: string, runId: string): Promise<string> {
  const latest = join(root, 'latest');
  const tmp = join(root, `.latest-${process.pid}-${Date.now()}`);
  try {
    await symlink(runId, tmp, 'dir');
    await rename(tmp, latest);
  } catch {
    await rm(tmp, { force: true });
    await rm(latest, { force: true });
    await writeFile(latest, `${runId}\n`);
  }
  return latest;
}

/**
 * Draws charts until one fails, then draws no more: a machine whose canvas native module is
 * missing still gets summary.json, junit.xml and a page that says why its charts are absent.
 */
class ChartDrawer {
  error: string | undefined;

  async draw(render: () => Promise<ChartImage>): Promise<ChartImage[]> {
    if (this.error !== undefined) return [];
    try {
      return [await render()];
    } catch (err) {
      this.error = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      return [];
    }
  }
}

async function scenarioSection(result: ScenarioResult, summary: ReportSummary['scenarios'][number], charts: ChartDrawer): Promise<ScenarioSection> {
  const run = representativeRun(result);
  const section: ScenarioSection = { result, summary, charts: [], timelines: [], moreJobs: 0 };
  if (run) {
    const windows = faultWindows(run.history);
    const series = timeSeries(run);
    const why = run === result.failure?.run
      ? 'The shrunk counterexample: the smallest failing run fast-check found.'
      : run.outcome === 'fail' ? 'A failing run (no shrunk counterexample was kept).'
        : run.outcome === 'unknown' ? 'An undecided run: no checker found a violation, but one could not decide.'
          : 'The passing run the harness kept as representative.';
    section.shownRun = { index: run.index, why, windows };
    section.charts = [
      ...(await charts.draw(() => latencyChart(result.scenario, run.index, series, windows))),
      ...(await charts.draw(() => throughputChart(result.scenario, run.index, series, windows))),
    ];
  }
  const failing = result.failure?.run;
  if (failing?.history) {
    const jobs = jobsNamedIn(failing.verdicts);
    section.timelines = jobs.slice(0, MAX_TIMELINES).map((jobId) => jobTimeline(failing.history!, jobId));
    section.moreJobs = Math.max(0, jobs.length - MAX_TIMELINES);
  }
  return section;
}

/** Writes reports/<run-id>/ and points reports/latest at it. */
export async function writeReport(result: SuiteResult, options: ReportOptions): Promise<ReportFiles> {
  const now = options.now ?? new Date();
  const runId = options.runId ?? defaultRunId(now, result.seed);
  checkRunId(runId);
  const root = resolve(options.dir ?? 'reports');
  const dir = join(root, runId);
  await mkdir(join(dir, 'histories'), { recursive: true });
  const files: string[] = [];

  const histories = new Map<string, string[]>();
  for (const s of result.scenarios) {
    const written: string[] = [];
    for (const r of s.records) {
      // failing runs, and the unknown runs whose history was kept: both need a look
      if (r.outcome === 'pass' || !r.history) continue;
      const rel = `histories/${historyFileName(s.scenario, r.index)}`;
      await writeHistory(join(dir, rel), r.history);
      files.push(join(dir, rel));
      written.push(rel);
    }
    histories.set(s.scenario, written);
  }

  const summary = reportSummary(result, {
    runId, createdAt: now, bugs: options.bugs, workers: options.workers, keepers: options.keepers, sim: options.sim, replay: options.replay,
    incomplete: options.incomplete, verify: options.verify, histories, shard: options.shard, merged: options.merged,
  });
  const summaryPath = join(dir, 'summary.json');
  await writeFile(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
  const junitPath = join(dir, 'junit.xml');
  await writeFile(junitPath, junitXml(summary));

  const charts = new ChartDrawer();
  const overview = result.scenarios.length
    ? [...(await charts.draw(() => runsChart(result.scenarios))), ...(await charts.draw(() => eventsChart(result.scenarios)))]
    : [];
  const sections: ScenarioSection[] = [];
  for (const [i, s] of result.scenarios.entries()) sections.push(await scenarioSection(s, summary.scenarios[i], charts));
  const indexPath = join(dir, 'index.html');
  await writeFile(indexPath, renderPage({ result, summary, overview, sections, chartsError: charts.error }));
  files.push(summaryPath, junitPath, indexPath);
  if (options.shardResults) {
    const resultsPath = join(dir, SHARD_RESULTS_FILE);
    await writeFile(resultsPath, JSON.stringify(options.shardResults));
    files.push(resultsPath);
  }

  const latest = await pointLatest(root, runId);
  return { dir, files, latest, summary, ...(charts.error !== undefined ? { chartsError: charts.error } : {}) };
}
