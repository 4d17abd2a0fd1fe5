// The console summary: a scenario's counterexample (shrunk schedule, evidence, replay command)
// or undecided checkers as it ends, and the table of every scenario at the end, on stderr.
import Table from 'cli-table3';
import { describeStep, findFaultKind } from '../../nemesis/index.ts';
import type { ScenarioResult } from '../../runner/property.ts';
import type { SuiteResult } from '../../runner/suite.ts';
import { replayCommand, type ReplayOptions } from '../../config/options.ts';
import type { Reporter, RunInfo } from '../reporter.ts';
import { settleDistribution, type SettleDistribution } from '../series.ts';
import { undecidedOf, violationsOf } from '../summary.ts';

export const stderrLine = (line: string) => process.stderr.write(line + '\n');

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "runs 1, 3" / "run 3" */
export const runList = (runs: readonly number[]) => `run${runs.length === 1 ? '' : 's'} ${runs.join(', ')}`;

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

export function printFailure(result: ScenarioResult, o: ReplayOptions, log: (s: string) => void): void {
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
  // a simulated fault with a live form: the same seed and path give the same plan on real processes
  const simOnly = run.schedule.map((s) => findFaultKind(s.fault.kind)?.simulationOnly?.(s.fault)).find((why) => why !== undefined);
  if (o.sim && simOnly) log(`  live: no live form (${simOnly})`);
  else if (o.sim && result.guided) log('  live: no live path (a guided search drew this plan from its earlier runs, which only the simulation repeats; --no-guidance draws plans that replay live)');
  else if (o.sim && f.sameLivePlan === false) log('  live: no live path (in simulation this scenario draws faults it does not draw live, so the same seed and path give a live run another plan)');
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

/** The built-in "console": a scenario's failure, undecided checkers or cut-short line as it ends; the table at the end. */
export class ConsoleReporter implements Reporter {
  private replay: ReplayOptions = { bugs: [] };

  constructor(private readonly log: (line: string) => void = stderrLine) {}

  onBegin(run: RunInfo): void {
    this.replay = run.replay;
  }

  onScenarioEnd(result: ScenarioResult): void {
    if (result.verdict === 'fail') printFailure(result, this.replay, this.log);
    if (result.verdict === 'unknown') printUnknown(result, this.log);
    if (result.verdict === 'incomplete') this.log(`[${result.scenario}] stopped: ${result.error}`);
  }

  onEnd(result: SuiteResult): void {
    printSummary(result, this.log);
  }
}
