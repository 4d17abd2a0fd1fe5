// The run's report directory, shared by the file reporters (summary, junit, html, results): its
// run id, the histories of failing and unknown runs, the summary every file is drawn from, and
// reports/latest, pointed at it once the last of them has written its file.
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeHistory } from '../../history/jsonl.ts';
import type { SuiteResult } from '../../runner/suite.ts';
import type { ReplayOptions } from '../../config/options.ts';
import type { RunInfo } from '../reporter.ts';
import { reportSummary, type ReportSummary, type SummaryInput } from '../summary.ts';
import type { ShardResults } from '../merge.ts';

/** What a report is written with: what its summary says of the run (SummaryInput), where and under which name it goes. */
export interface ReportOptions extends Omit<SummaryInput, 'runId' | 'createdAt' | 'histories' | 'logs'> {
  /** reports root; default "reports" */
  dir?: string;
  /** name of this run's directory; default: UTC time and seed */
  runId?: string;
  /** clock for createdAt and the default run id (tests) */
  now?: Date;
  /** a shard's full-fidelity results, written as results.json for `chaos merge` */
  shardResults?: ShardResults;
}

/** The report being written: where, from what, and the files written so far. */
export interface OpenReport {
  result: SuiteResult;
  options: ReportOptions;
  runId: string;
  /** absolute path of the reports root */
  root: string;
  /** absolute path of reports/<run-id> */
  dir: string;
  summary: ReportSummary;
  /** absolute paths of every file written, in order */
  files: string[];
  /** set when the charts could not be drawn (the page says so) */
  chartsError?: string;
}

export function defaultRunId(now: Date, seed: number): string {
  return `${now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '')}-seed${seed}`;
}

function checkRunId(runId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId) || runId === 'latest') {
    throw new Error(`run id "${runId}" must be a plain directory name (letters, digits, . _ -) other than "latest"`);
  }
}

export function historyFileName(scenario: string, runIndex: number): string {
  return `${logDirName(scenario, runIndex)}.jsonl`;
}

/** `<scenario>-run<N>`: a run's files under histories/ and logs/ */
const logDirName = (scenario: string, runIndex: number): string => `${scenario.replace(/[^A-Za-z0-9._-]/g, '_')}-run${runIndex}`;

/** Points reports/latest at the run: a relative symlink, replaced atomically; a text file naming the run where symlinks fail. */
export async function pointLatest(root: string, runId: string): Promise<string> {
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

/** Creates reports/<run-id>/, writes the histories of failing and unknown runs and draws the summary. */
export async function openReport(result: SuiteResult, options: ReportOptions): Promise<OpenReport> {
  const now = options.now ?? new Date();
  const runId = options.runId ?? defaultRunId(now, result.seed);
  checkRunId(runId);
  const root = resolve(options.dir ?? 'reports');
  const dir = join(root, runId);
  await mkdir(join(dir, 'histories'), { recursive: true });
  const files: string[] = [];

  const histories = new Map<string, string[]>();
  const logs = new Map<string, string[]>();
  for (const s of result.scenarios) {
    const written: string[] = [];
    const logged: string[] = [];
    for (const r of s.records) {
      // failing runs, and the unknown runs whose history was kept: both need a look
      if (r.outcome === 'pass' || !r.history) continue;
      const rel = `histories/${historyFileName(s.scenario, r.index)}`;
      await writeHistory(join(dir, rel), r.history);
      files.push(join(dir, rel));
      written.push(rel);
      // and what each of the system's processes wrote meanwhile: logs/<scenario>-run<N>/<process>.log
      for (const [id, text] of Object.entries(r.logs ?? {})) {
        if (!text) continue;
        const logRel = `logs/${logDirName(s.scenario, r.index)}/${id.replace(/[^A-Za-z0-9._-]/g, '_')}.log`;
        await mkdir(join(dir, logRel, '..'), { recursive: true });
        await writeFile(join(dir, logRel), text);
        files.push(join(dir, logRel));
        logged.push(logRel);
      }
    }
    histories.set(s.scenario, written);
    logs.set(s.scenario, logged);
  }

  const summary = reportSummary(result, {
    runId, createdAt: now, bugs: options.bugs, workers: options.workers, keepers: options.keepers, sim: options.sim, replay: options.replay,
    incomplete: options.incomplete, verify: options.verify, histories, logs, shard: options.shard, merged: options.merged,
  });
  return { result, options, runId, root, dir, summary, files };
}

/** What a file reporter writes into the run's directory. */
export interface ReportFile {
  /** writes its file(s) into the open report and adds them to report.files */
  write(report: OpenReport): Promise<void>;
}

/**
 * One run's directory shared by the file reporters of one reporter list: opened once by the
 * first of them to reach onEnd; reports/latest is pointed at it and "report: …" logged once the
 * last of them is done. A directory that cannot be created fails the first reporter only (one
 * line); the others then have nothing to write and return.
 */
export class ReportDirectory {
  private run: RunInfo | undefined;
  private opening: Promise<OpenReport> | undefined;
  private readonly members = new Set<ReportFile>();
  private readonly done = new Set<ReportFile>();

  constructor(private readonly log: (line: string) => void = (line) => process.stderr.write(line + '\n')) {}

  /** a file reporter that writes into this directory */
  join(member: ReportFile): void {
    this.members.add(member);
  }

  begin(run: RunInfo): void {
    this.run = run;
  }

  /** Writes the member's file; undefined when the directory could not be opened (another member reported why). */
  async write(member: ReportFile, result: SuiteResult, interrupted: boolean): Promise<void> {
    const run = this.run;
    if (!run) throw new Error('onEnd before onBegin');
    let first = false;
    if (!this.opening) {
      first = true;
      const { replay } = run;
      this.opening = openReport(result, {
        dir: run.reportDir, bugs: replay.bugs, workers: replay.workers, keepers: replay.keepers, sim: replay.sim, replay, incomplete: interrupted,
        ...(run.shard ? { shard: run.shard } : {}),
      });
    }
    let report: OpenReport;
    try {
      report = await this.opening;
    } catch (err) {
      if (first) throw new Error(`could not be written: ${(err as Error).message}`);
      return;
    }
    try {
      await member.write(report);
    } finally {
      this.done.add(member);
      if (this.done.size === this.members.size) await this.finish(report);
    }
  }

  private async finish(report: OpenReport): Promise<void> {
    await pointLatest(report.root, report.runId);
    const page = report.files.find((f) => f.endsWith('/index.html'));
    this.log(`report: ${page ?? report.dir}${report.chartsError ? ` (charts missing: ${report.chartsError})` : ''}`);
  }
}

/** A reporter that writes one file of the run's report directory at onEnd. */
export abstract class FileReporter implements ReportFile {
  constructor(protected readonly directory: ReportDirectory) {
    directory.join(this);
  }

  onBegin(run: RunInfo): void {
    this.directory.begin(run);
  }

  onEnd(result: SuiteResult, info: { interrupted: boolean }): Promise<void> {
    return this.directory.write(this, result, info.interrupted);
  }

  abstract write(report: OpenReport): Promise<void>;
}
