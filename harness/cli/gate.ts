// What a finished suite exits with, shared by `chaos` and `chaos merge` (a merged run exits
// exactly as the unsharded run would).
import { compareBaseline, type ReportSummary } from '../report/index.ts';
import type { SuiteResult } from '../runner/suite.ts';
import type { GateSettings } from '../config/options.ts';
import { suiteExitCode } from './output.ts';

/**
 * The exit code of a finished suite (unsharded, or merged from shards): 2 when an environment
 * error cut a scenario short, else suiteExitCode, raised to 1 by a baseline regression.
 */
export function gateExitCode(
  result: SuiteResult, summary: ReportSummary | undefined,
  o: Omit<GateSettings, 'baseline'> & { baseline?: ReportSummary }, log: (s: string) => void,
): number {
  const environmentFailure = result.scenarios.find((s) => s.verdict === 'incomplete' && s.error);
  if (environmentFailure) {
    log(`chaos: ${environmentFailure.error}`);
    return 2;
  }
  let code = suiteExitCode(result, { allowUnknown: o.allowUnknown });
  if (o.allowUnknown && code === 0 && result.scenarios.some((s) => s.verdict === 'unknown')) log('chaos: unknown verdicts allowed (--allow-unknown): exit 0');
  if (o.baseline && summary) {
    const cmp = compareBaseline(summary, o.baseline, { p99TolerancePct: o.p99TolerancePct, allowUnknown: o.allowUnknown });
    for (const line of cmp.lines) log(`baseline: ${line}`);
    if (!cmp.ok) code = Math.max(code, 1);
  }
  return code;
}

