// The exit code of a finished suite's verdicts. (What the console shows is the console and
// progress reporters', harness/report/reporters/.)
import type { SuiteResult } from '../runner/suite.ts';

/**
 * 0 when every scenario passed (coverage goals met) and the suite is complete; 1 on a violation,
 * a vacuous scenario, a suite cut short, or an unknown scenario (a checker could not decide)
 * unless allowUnknown. (2, usage or environment errors, is decided by the caller.)
 */
export function suiteExitCode(result: SuiteResult, o: { allowUnknown?: boolean } = {}): number {
  if (result.scenarios.some((s) => s.verdict === 'fail' || s.verdict === 'vacuous')) return 1;
  if (!o.allowUnknown && result.scenarios.some((s) => s.verdict === 'unknown')) return 1;
  return result.complete ? 0 : 1;
}
