import Table from 'cli-table3';
import { describeStep } from '../nemesis/index.ts';
import type { ScenarioResult } from '../runner/property.ts';
import type { SuiteResult } from '../runner/suite.ts';
import { replayCommand, type ChaosOptions } from './options.ts';

export function violationsOf(result: ScenarioResult): number {
  return result.records.filter((r) => !r.valid).reduce((n, r) => n + r.verdicts.filter((v) => v.valid === false).reduce((k, v) => k + v.evidence.length, 0), 0);
}

export function printFailure(result: ScenarioResult, o: Pick<ChaosOptions, 'workers' | 'keepers' | 'bugs'>, log: (s: string) => void): void {
  const f = result.failure!;
  const run = f.run;
  log(`\n[${result.scenario}] VIOLATION after ${result.runs} runs (${f.numShrinks} shrinks). Minimal schedule (${run.schedule.length} step${run.schedule.length === 1 ? '' : 's'}):`);
  for (const step of run.schedule) log(`  - ${describeStep(step)}`);
  log(`  workload: ${run.workload.tasks.length} tasks, ${run.workload.tasks.reduce((n, t) => n + t.jobs.length, 0)} jobs`);
  for (const v of run.verdicts.filter((x) => x.valid === false)) {
    log(`  ${v.checker}: ${v.evidence.length} violation${v.evidence.length === 1 ? '' : 's'}`);
    for (const e of v.evidence.slice(0, 5)) log(`    ${e.message}`);
  }
  log(`  replay: ${replayCommand(o, result.scenario, result.seed, f.path)}\n`);
}

export function printSummary(result: SuiteResult, log: (s: string) => void): void {
  const table = new Table({ head: ['scenario', 'runs', 'verdict', 'violations', 'coverage goals met', 'time'], style: { head: [], border: [] } });
  for (const s of result.scenarios) {
    const met = s.goals.filter((g) => g.metInRuns > 0).length;
    table.push([s.scenario, s.runs, s.verdict.toUpperCase(), violationsOf(s), `${met}/${s.goals.length}`, `${(s.durationMs / 1000).toFixed(1)}s`]);
  }
  log(table.toString());
  const pass = result.scenarios.filter((s) => s.verdict === 'pass').length;
  log(`${pass} passed, ${result.scenarios.length - pass} failed${result.complete ? '' : ' (incomplete)'} — seed ${result.seed}, ${(result.durationMs / 1000).toFixed(1)}s`);
}

export function suiteExitCode(result: SuiteResult): number {
  if (result.scenarios.some((s) => s.verdict === 'fail' || s.verdict === 'vacuous')) return 1;
  return result.complete ? 0 : 1;
}

/** Machine-readable summary (the report's summary.json builds on the same figures). */
export function summaryJson(result: SuiteResult, o: Pick<ChaosOptions, 'workers' | 'keepers' | 'bugs'>) {
  return {
    seed: result.seed,
    bugs: result.bugs,
    complete: result.complete,
    durationMs: result.durationMs,
    scenarios: result.scenarios.map((s) => ({
      scenario: s.scenario,
      verdict: s.verdict,
      runs: s.runs,
      failedRuns: s.failedRuns,
      violations: violationsOf(s),
      goals: s.goals,
      durationMs: s.durationMs,
      ...(s.error ? { error: s.error } : {}),
      ...(s.failure ? {
        failure: {
          schedule: s.failure.run.schedule.map(describeStep),
          violations: s.failure.run.verdicts.filter((v) => v.valid === false).map((v) => ({ checker: v.checker, evidence: v.evidence.map((e) => e.message) })),
          replay: replayCommand(o, s.scenario, s.seed, s.failure.path),
        },
      } : {}),
    })),
  };
}
