// `npm run chaos -- merge DIR...`: put the reports of the N shards of one run back together.
// Each DIR is a shard's report directory (reports/<run-id>, holding results.json) or the
// --report-dir it was written under (its `latest` is followed). The shards must be of one run
// (same seed, options, scenario selection and N; each of 1..N exactly once): else exit 2 with
// one line naming the problem. The merged report is written as an unsharded run's would be, and
// the exit code is the one that run would have had (0 / 1 / 2, --baseline like chaos).
import { Command } from 'commander';
import { oneLine } from '../text/oneLine.ts';
import { loadSummary, writeReport, type ReportFiles, type ReportSummary } from '../report/index.ts';
import { loadShard, mergeShards, MergeError, type LoadedShard, type Merged } from '../report/merge.ts';
import { gateExitCode } from './gate.ts';
import { UsageError, type LoadedConfig } from '../config/options.ts';
import { groups, overFile, withOptions } from './options.ts';
import { printFailure, printSummary, printUnknown } from '../report/reporters/console.ts';
import { summaryJson } from '../report/summary.ts';
import { printVerify, reportRows } from './verify.ts';

export interface MergeCliOptions {
  dirs: string[];
  reportDir: string;
  runId?: string;
  baseline?: string;
  p99TolerancePct?: number;
  allowUnknown: boolean;
  json: boolean;
}

/** `chaos merge`'s options: the shards' directories, the report group and the gate group. */
export function mergeCommand(): Command {
  const cmd = new Command('merge')
    .description('merge the report directories of the N shards of one run into one report, verdict and exit code')
    .argument('<dirs...>', 'shard report directories (reports/<run-id>, or a --report-dir whose latest is followed)');
  return withOptions(cmd,
    groups.report({ json: 'print the merged summary as JSON on stdout', ci: 'plain lines (merge always prints plain lines)' }), groups.gate(),
    groups.config('the config file (default: the first chaos.config.* in the working directory); merge reads its reportDir, baseline, p99Tolerance and allowUnknown; the command line wins'));
}

/** What merge reads from a config file: where the run's report goes and its gate, so the merge gates as the unsharded run would. */
export const MERGE_FILE_KEYS = ['reportDir', 'baseline', 'p99Tolerance', 'allowUnknown'] as const;

/** merge's options from a parsed mergeCommand, over the config file's. */
export function mergeOptionsOf(cmd: Command, config?: LoadedConfig): MergeCliOptions {
  const o = overFile<{ reportDir: string; baseline?: string; p99Tolerance?: number; allowUnknown?: boolean; json?: boolean }>(cmd, config, MERGE_FILE_KEYS);
  if (o.p99Tolerance !== undefined && !o.baseline) throw new UsageError('--p99-tolerance needs --baseline');
  return {
    dirs: cmd.args, reportDir: o.reportDir, baseline: o.baseline, p99TolerancePct: o.p99Tolerance,
    allowUnknown: Boolean(o.allowUnknown), json: Boolean(o.json),
  };
}

/** Loads and checks the shards: MergeError becomes a UsageError (one line, exit 2). */
export async function loadAndMerge(dirs: readonly string[]): Promise<{ shards: LoadedShard[]; merged: Merged }> {
  try {
    const shards: LoadedShard[] = [];
    for (const d of dirs) shards.push(await loadShard(d));
    return { shards, merged: mergeShards(shards) };
  } catch (err) {
    if (err instanceof MergeError) throw new UsageError(`merge: ${err.message}`, false);
    throw err;
  }
}

/** The merged run's report, written as the unsharded run's would be (plus where it came from). */
export function writeMergedReport(merged: Merged, o: { dir: string; runId?: string }): Promise<ReportFiles> {
  const info = { merged: { shards: merged.count, from: merged.from } };
  if (merged.kind === 'verify') return writeReport(merged.result, { dir: o.dir, runId: o.runId, bugs: [], verify: reportRows(merged.verify ?? []), ...info });
  return writeReport(merged.result, { dir: o.dir, runId: o.runId, bugs: merged.result.bugs, workers: merged.run.workers, keepers: merged.run.keepers, ...info });
}

export async function runMerge(o: MergeCliOptions, log: (s: string) => void): Promise<number> {
  const baseline = o.baseline ? await loadSummary(o.baseline).catch((e: unknown) => { throw new UsageError(oneLine(e)); }) : undefined;
  const { merged } = await loadAndMerge(o.dirs);
  const { run, result } = merged;
  log(`merge: ${merged.count} ${merged.kind} shard${merged.count === 1 ? '' : 's'} of seed ${run.seed} (${result.scenarios.length} scenario${result.scenarios.length === 1 ? '' : 's'})`);
  const replay = { bugs: result.bugs, workers: run.workers, keepers: run.keepers };

  if (merged.kind === 'verify') {
    const rows = merged.verify ?? [];
    printVerify({ rows, control: result, ok: merged.ok === true }, log);
    try {
      const files = await writeMergedReport(merged, { dir: o.reportDir });
      log(`report: ${files.dir}/index.html`);
    } catch (err) {
      log(`report: could not be written: ${oneLine(err)}`);
    }
    if (o.json) process.stdout.write(JSON.stringify({ ok: merged.ok, seed: run.seed, rows: reportRows(rows) }, null, 2) + '\n');
    return merged.ok ? 0 : 1;
  }

  for (const s of result.scenarios) {
    if (s.verdict === 'fail' && s.failure) printFailure(s, replay, log);
    if (s.verdict === 'unknown') printUnknown(s, log);
  }
  if (o.json) process.stdout.write(JSON.stringify(summaryJson(result, replay), null, 2) + '\n');
  printSummary(result, log);
  let summary: ReportSummary | undefined;
  try {
    const files = await writeMergedReport(merged, { dir: o.reportDir });
    log(`report: ${files.dir}/index.html${files.chartsError ? ` (charts missing: ${files.chartsError})` : ''}`);
    summary = files.summary;
  } catch (err) {
    log(`report: could not be written: ${oneLine(err)}`);
  }
  return gateExitCode(result, summary, { allowUnknown: o.allowUnknown, baseline, p99TolerancePct: o.p99TolerancePct }, log);
}
