import Table from 'cli-table3';
import { coverageCounts } from '../checkers/coverage.ts';
import { describeStep } from '../nemesis/index.ts';
import { settleDistribution, type SettleDistribution } from '../report/series.ts';
import type { RunRecord, ScenarioResult } from '../runner/property.ts';
import type { SuiteResult } from '../runner/suite.ts';
import { replayCommand, type ChaosOptions, type ReplayOptions } from '../config/options.ts';

/** Evidence messages kept per undecided checker (per run in a run's record, per scenario in the aggregate). */
const UNKNOWN_EVIDENCE_LIMIT = 10;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function violationsOf(result: ScenarioResult): number {
  return result.records.filter((r) => r.outcome === 'fail').reduce((n, r) => n + r.verdicts.filter((v) => v.valid === false).reduce((k, v) => k + v.evidence.length, 0), 0);
}

/** One checker that could not decide in a scenario's unknown runs: which runs, and why (unique evidence messages). */
export interface Undecided {
  checker: string;
  runs: number[];
  evidence: string[];
}

/** The checkers that returned unknown in the runs whose outcome was unknown, in checker order of first appearance. */
export function undecidedOf(result: Pick<ScenarioResult, 'records'>): Undecided[] {
  const byChecker = new Map<string, Undecided>();
  for (const r of result.records) {
    if (r.outcome !== 'unknown') continue;
    for (const v of r.verdicts) {
      if (v.valid !== 'unknown') continue;
      let u = byChecker.get(v.checker);
      if (!u) byChecker.set(v.checker, (u = { checker: v.checker, runs: [], evidence: [] }));
      u.runs.push(r.index);
      for (const e of v.evidence) {
        if (u.evidence.length < UNKNOWN_EVIDENCE_LIMIT && !u.evidence.includes(e.message)) u.evidence.push(e.message);
      }
    }
  }
  return [...byChecker.values()];
}

/** "runs 1, 3" / "run 3" */
export const runList = (runs: readonly number[]) => `run${runs.length === 1 ? '' : 's'} ${runs.join(', ')}`;

/** to 0.1 ms: performance.now() differences carry float noise */
const ms1 = (ms: number) => Math.round(ms * 10) / 10;

/** One run in summary.json: its outcome, settle time, its statistics, and the checkers that failed or could not decide. */
export function runJson(r: RunRecord) {
  return {
    index: r.index,
    outcome: r.outcome,
    shrinking: r.shrinking,
    durationMs: ms1(r.durationMs),
    settleTookMs: ms1(r.settleTookMs),
    settleCapped: r.settleCapped,
    // what the run exercised: how many faults bit and on what, what each judgment had to judge
    stats: coverageCounts(r.stats),
    faultsHit: r.stats.faultsHit,
    failed: r.verdicts.filter((v) => v.valid === false).map((v) => v.checker),
    unknown: r.verdicts.filter((v) => v.valid === 'unknown').map((v) => ({ checker: v.checker, evidence: v.evidence.slice(0, UNKNOWN_EVIDENCE_LIMIT).map((e) => e.message) })),
  };
}

/** Console: why a scenario's runs were undecided. */
export function printUnknown(result: ScenarioResult, log: (s: string) => void): void {
  log(`\n[${result.scenario}] UNKNOWN: ${result.unknownRuns} of ${plural(result.runs, 'run')} undecided (no checker found a violation, but these could not decide):`);
  for (const u of undecidedOf(result)) {
    log(`  ${u.checker} (${runList(u.runs)}):`);
    for (const e of u.evidence.slice(0, 5)) log(`    ${e}`);
  }
  log('');
}

const secs = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);

/** "0.35/0.50/30.0/30.0" seconds, and on a second line "1 capped" when settles hit their cap (narrow: the table is wide already) */
export function settleCell(d: SettleDistribution | null): string {
  if (!d) return '-';
  return `${secs(d.minMs)}/${secs(d.p50Ms)}/${secs(d.p95Ms)}/${secs(d.maxMs)}${d.capped ? `\n${d.capped} capped` : ''}`;
}

export function printFailure(result: ScenarioResult, o: Pick<ChaosOptions, 'workers' | 'keepers' | 'bugs'> & { sim?: boolean }, log: (s: string) => void): void {
  const f = result.failure!;
  const run = f.run;
  const drawn = run.drawn === 'mutation' ? ', drawn by the guided search as a mutation of an earlier plan' : '';
  log(`\n[${result.scenario}] VIOLATION after ${result.runs} runs (${f.numShrinks} shrinks${drawn}). Minimal schedule (${run.schedule.length} step${run.schedule.length === 1 ? '' : 's'}):`);
  for (const step of run.schedule) log(`  - ${describeStep(step)}`);
  log(`  workload: ${run.workload.tasks.length} tasks, ${run.workload.tasks.reduce((n, t) => n + t.jobs.length, 0)} jobs`);
  for (const v of run.verdicts.filter((x) => x.valid === false)) {
    log(`  ${v.checker}: ${v.evidence.length} violation${v.evidence.length === 1 ? '' : 's'}`);
    for (const e of v.evidence.slice(0, 5)) log(`    ${e.message}`);
  }
  log(`  replay: ${replayCommand(o, result.scenario, result.seed, f.path)}`);
  // every simulated fault but a crash point exists live: the same seed and path give the same plan on real processes
  if (o.sim && run.schedule.some((s) => s.fault.kind === 'crash-point')) log('  live: no live form (its crash points need the simulation to see each command reach Redis)');
  else if (o.sim && result.guided) log('  live: no live path (a guided search drew this plan from its earlier runs, which only the simulation repeats; --no-guidance draws plans that replay live)');
  else if (o.sim) log(`  live: ${replayCommand({ ...o, sim: false }, result.scenario, result.seed, f.path)} (the same workload and schedule on real processes, at the machine's timing)`);
  log('');
}

export function printSummary(result: SuiteResult, log: (s: string) => void): void {
  const table = new Table({ head: ['scenario', 'runs', 'verdict', 'violations', 'coverage goals met', 'settle (s)\nmin/p50/p95/max', 'time'], style: { head: [], border: [] } });
  for (const s of result.scenarios) {
    const met = s.goals.filter((g) => g.metInRuns > 0).length;
    table.push([s.scenario, s.runs, s.verdict.toUpperCase(), violationsOf(s), `${met}/${s.goals.length}`, settleCell(settleDistribution(s.records)), `${(s.durationMs / 1000).toFixed(1)}s`]);
  }
  log(table.toString());
  for (const s of result.scenarios) {
    if (s.verdict === 'unknown') log(`${s.scenario}: UNKNOWN, ${s.unknownRuns} of ${plural(s.runs, 'run')} undecided by ${undecidedOf(s).map((u) => u.checker).join(', ')}`);
  }
  const pass = result.scenarios.filter((s) => s.verdict === 'pass').length;
  const unknown = result.scenarios.filter((s) => s.verdict === 'unknown').length;
  const failed = result.scenarios.length - pass - unknown;
  log(`${pass} passed, ${failed} failed${unknown ? `, ${unknown} unknown` : ''}${result.complete ? '' : ' (incomplete)'} — seed ${result.seed}, ${(result.durationMs / 1000).toFixed(1)}s`);
}

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

/** Machine-readable summary (the report's summary.json builds on the same figures). */
export function summaryJson(result: SuiteResult, options: ReplayOptions) {
  // a replay names the system and the Redis settings the runs had
  const o = { ...options, system: result.system?.name, redisConfig: result.redisConfig };
  return {
    seed: result.seed,
    bugs: result.bugs,
    ...(result.system ? { system: result.system } : {}),
    redisConfig: result.redisConfig ?? [],
    complete: result.complete,
    durationMs: result.durationMs,
    scenarios: result.scenarios.map((s) => ({
      scenario: s.scenario,
      verdict: s.verdict,
      runs: s.runs,
      failedRuns: s.failedRuns,
      unknownRuns: s.unknownRuns,
      violations: violationsOf(s),
      goals: s.goals,
      durationMs: s.durationMs,
      /** checkers that could not decide in the unknown runs */
      unknown: undecidedOf(s),
      settle: settleDistribution(s.records),
      ...(s.error ? { error: s.error } : {}),
      ...(s.failure ? {
        failure: {
          schedule: s.failure.run.schedule.map(describeStep),
          violations: s.failure.run.verdicts.filter((v) => v.valid === false).map((v) => ({ checker: v.checker, evidence: v.evidence.map((e) => e.message) })),
          replay: replayCommand(o, s.scenario, s.seed, s.failure.path),
        },
      } : {}),
      records: s.records.map(runJson),
      ...(s.recordsOmitted ? { recordsOmitted: s.recordsOmitted } : {}),
    })),
  };
}
