import fc from 'fast-check';
import type { Environment } from '../env/environment.ts';
import { checkRun, type RunStats } from '../checkers/index.ts';
import type { History, Verdict } from '../history/types.ts';
import type { Schedule } from '../nemesis/index.ts';
import type { Workload } from '../workload/workload.ts';
import { runOnce } from './run.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';

export interface RunRecord {
  index: number;
  valid: boolean;
  durationMs: number;
  /** when the run ended, in ms since the scenario started (time to detect) */
  endedAtMs: number;
  stats: RunStats;
  verdicts: Verdict[];
  schedule: Schedule;
  workload: Workload;
  /** kept for failing runs and for one representative passing run (reports draw it) */
  history?: History;
  /** this run was part of shrinking a failure */
  shrinking: boolean;
}

export interface GoalResult {
  name: string;
  metInRuns: number;
}

export interface ScenarioResult {
  scenario: string;
  verdict: 'pass' | 'fail' | 'vacuous' | 'incomplete';
  runs: number;
  failedRuns: number;
  goals: GoalResult[];
  seed: number;
  durationMs: number;
  /** the shrunk counterexample, when the property failed */
  failure?: {
    path: string;
    numShrinks: number;
    run: RunRecord;
  };
  records: RunRecord[];
  /** set when a harness or environment error ended the scenario */
  error?: string;
}

export interface RunScenarioOptions {
  runs: number;
  seed: number;
  /** replay exactly this counterexample (fast-check's path) */
  path?: string;
  budgetMs?: number;
  /** when false, stop at the first failure without shrinking */
  shrink?: boolean;
  /** only these checkers fail the property (verify: the checker a planted bug must trip); default all */
  failOn?: readonly string[];
  onRun?: (record: RunRecord) => void;
}

export function scenarioContext(env: Environment): ScenarioContext {
  const workers = env.workerIds();
  const keepers = env.keeperIds();
  return {
    workers,
    keepers,
    leaseMs: env.options.leaseMs,
    targets: {
      links: env.linkNames().filter((l) => l !== 'client'),
      processes: ['orchestrator', ...workers, ...keepers],
      workers,
    },
  };
}

/**
 * One scenario as a fast-check async property: every generated (workload, schedule) pair is one
 * live run, judged by every checker. A failure is shrunk by fast-check to a minimal schedule.
 */
export async function runScenario(env: Environment, scenario: Scenario, opts: RunScenarioOptions): Promise<ScenarioResult> {
  const ctx = scenarioContext(env);
  const started = Date.now();
  const records: RunRecord[] = [];
  let firstFailureSeen = false;
  let lastFailing: RunRecord | undefined;
  let harnessError: unknown;
  const settleMs = scenario.settleMs ?? env.options.leaseMs * 2 + 6000;

  // the workload does not shrink: the fault schedule is what a counterexample should be reduced to
  const property = fc.asyncProperty(fc.noShrink(scenario.workload(ctx)), scenario.schedule(ctx), async (workload, schedule) => {
    let outcome;
    try {
      // reuses the processes unless the previous run on them (of this or an earlier scenario) did not end idle
      outcome = await runOnce(env, { workload, schedule, settleMs });
    } catch (err) {
      // an environment failure is not a verdict on the SUT: stop the property
      harnessError = err;
      throw err;
    }
    const { verdicts, stats } = checkRun(outcome.history);
    const valid = verdicts.every((v) => v.valid !== false || (opts.failOn !== undefined && !opts.failOn.includes(v.checker)));
    const record: RunRecord = {
      index: records.length,
      valid,
      durationMs: outcome.durationMs,
      endedAtMs: Date.now() - started,
      stats,
      verdicts,
      schedule,
      workload,
      shrinking: firstFailureSeen,
    };
    if (!valid) {
      record.history = outcome.history;
      firstFailureSeen = true;
      lastFailing = record;
    } else if (!records.some((r) => r.history && r.valid)) {
      record.history = outcome.history;
    }
    records.push(record);
    opts.onRun?.(record);
    return valid;
  });

  const details = await fc.check(property, {
    numRuns: opts.runs,
    seed: opts.seed,
    ...(opts.path ? { path: opts.path, endOnFailure: true } : {}),
    ...(opts.shrink === false ? { endOnFailure: true } : {}),
    ...(opts.budgetMs ? { interruptAfterTimeLimit: opts.budgetMs, markInterruptAsFailure: false } : {}),
  });

  const durationMs = Date.now() - started;
  // coverage goals count the exploring runs only: shrinking runs are replays of a failure
  const exploring = records.filter((r) => !r.shrinking);
  const goals = scenario.goals.map((g) => ({ name: g.name, metInRuns: exploring.filter((r) => g.met(r.stats)).length }));
  const base = { scenario: scenario.name, runs: records.length, failedRuns: records.filter((r) => !r.valid).length, goals, seed: opts.seed, durationMs, records };

  if (harnessError !== undefined) {
    return { ...base, verdict: 'incomplete', error: harnessError instanceof Error ? harnessError.message : String(harnessError) };
  }
  if (details.failed && lastFailing) {
    return { ...base, verdict: 'fail', failure: { path: details.counterexamplePath ?? '', numShrinks: details.numShrinks, run: lastFailing } };
  }
  const vacuous = goals.some((g) => g.metInRuns === 0);
  return { ...base, verdict: vacuous ? 'vacuous' : 'pass' };
}
