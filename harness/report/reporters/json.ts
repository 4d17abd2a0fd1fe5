// --json: the machine-readable summary on stdout once the run has finished (not after Ctrl-C).
import type { SuiteResult } from '../../runner/suite.ts';
import type { ReplayOptions } from '../../config/options.ts';
import type { EndInfo, Reporter, RunInfo } from '../reporter.ts';
import { summaryJson, type ShardInfo } from '../summary.ts';

export class JsonReporter implements Reporter {
  private replay: ReplayOptions = { bugs: [] };
  private shard: ShardInfo | undefined;

  constructor(private readonly write: (text: string) => void = (text) => process.stdout.write(text)) {}

  onBegin(run: RunInfo): void {
    this.replay = run.replay;
    this.shard = run.shard;
  }

  onEnd(result: SuiteResult, info: EndInfo): void {
    if (info.interrupted) return;
    this.write(JSON.stringify({ ...summaryJson(result, this.replay), ...(this.shard ? { shard: this.shard } : {}) }, null, 2) + '\n');
  }
}
