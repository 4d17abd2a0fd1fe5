// results.json: the full-fidelity result the report was written from, what `chaos merge` rebuilds
// a sharded run from (an unsharded run's is that of shard 1/1, mergeable alone).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunInfo } from '../reporter.ts';
import { SHARD_RESULTS_FILE, shardResults, type ShardResults } from '../merge.ts';
import { FileReporter, type OpenReport } from './directory.ts';

export async function writeResultsFile(report: OpenReport, results: ShardResults): Promise<void> {
  const path = join(report.dir, SHARD_RESULTS_FILE);
  await writeFile(path, JSON.stringify(results));
  report.files.push(path);
}

export class ResultsReporter extends FileReporter {
  private run: RunInfo | undefined;

  override onBegin(run: RunInfo): void {
    this.run = run;
    super.onBegin(run);
  }

  write(report: OpenReport): Promise<void> {
    const run = this.run!;
    const shard = run.shard ? { index: run.shard.index, count: run.shard.count } : { index: 1, count: 1 };
    return writeResultsFile(report, shardResults('chaos', shard, run.runKey, report.result));
  }
}
