// The reliability report: reports/<run-id>/ with index.html (self-contained, charts inline),
// summary.json, junit.xml, results.json and the histories of failing and unknown runs;
// reports/latest points at it. Each file is a built-in reporter's (./reporters/); writeReport
// writes them all at once.
import type { SuiteResult } from '../runner/suite.ts';
import { openReport, pointLatest, type ReportOptions } from './reporters/directory.ts';
import { writeHtmlFile } from './reporters/html.ts';
import { writeJunitFile } from './reporters/junit.ts';
import { writeResultsFile } from './reporters/results.ts';
import { writeSummaryFile } from './reporters/summary.ts';
import type { ReportSummary } from './summary.ts';

export { compareBaseline, type BaselineComparison, type BaselineOptions } from './baseline.ts';
export { loadSummary, reportSummary, summarySchema, type MergedInfo, type ReportSummary, type ScenarioSummary, type ShardInfo, type VerifyRow } from './summary.ts';
export { defaultRunId, historyFileName, type ReportOptions } from './reporters/directory.ts';

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

/** Writes reports/<run-id>/ and points reports/latest at it. */
export async function writeReport(result: SuiteResult, options: ReportOptions): Promise<ReportFiles> {
  // the file reporters' own writers, in one go: verify, merge and tests write a whole report at once
  const report = await openReport(result, options);
  await writeSummaryFile(report);
  await writeJunitFile(report);
  await writeHtmlFile(report);
  if (options.shardResults) await writeResultsFile(report, options.shardResults);
  const latest = await pointLatest(report.root, report.runId);
  return { dir: report.dir, files: report.files, latest, summary: report.summary, ...(report.chartsError !== undefined ? { chartsError: report.chartsError } : {}) };
}
