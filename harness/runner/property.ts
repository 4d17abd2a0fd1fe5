import fc from 'fast-check';
import type { RunEnvironment } from '../env/surface.ts';
import type { SystemShape } from '../systems/types.ts';
import { checkRun, CHECKERS, type CheckerDef, type RunStats } from '../checkers/index.ts';
import { checkersFor } from '../registry/applies.ts';
import type { History, Verdict } from '../history/types.ts';
import { withoutOverlaps, type Schedule } from '../nemesis/index.ts';
import type { Workload } from '../workload/workload.ts';
import { runOnce, type RunOutcome, type RunPlan } from './run.ts';
import { behaviourOf, Corpus, GuidedPlans } from './guidance.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';

/**
 * What one run's verdicts add up to: 'fail' when a checker that fails the property returned
 * false, else 'unknown' when one of them could not decide, else 'pass'. Only 'fail' is a
 * counterexample (fast-check shrinks it); 'unknown' is no pass either: it is counted and reported.
 */
export type RunOutcomeKind = 'pass' | 'fail' | 'unknown';

export interface RunRecord {
  index: number;
  /** the property held: no checker that fails it returned false (true for an 'unknown' run too; see outcome) */
  valid: boolean;
  outcome: RunOutcomeKind;
  durationMs: number;
  /** when the run ended, in ms since the scenario started (time to detect) */
  endedAtMs: number;
  /** time from the final heal until the settle ended (every job terminal, the system quiet, or the cap) */
  settleTookMs: number;
  /** the settle stopped at its cap while the system was still making progress */
  settleCapped: boolean;
  stats: RunStats;
  verdicts: Verdict[];
  schedule: Schedule;
  workload: Workload;
  /** kept for failing runs, the first few unknown runs and one representative passing run (reports draw it) */
  history?: History;
  /** what each system process wrote during the run (stdout and stderr), kept with a failing or unknown run's history where the environment captures it */
  logs?: Record<string, string>;
  /** this run was part of shrinking a failure */
  shrinking: boolean;
  /** in a guided search: a fresh draw, or a mutation of a plan that reached new behaviour */
  drawn?: 'fresh' | 'mutation';
}

export interface GoalResult {
  name: string;
  metInRuns: number;
}

/**
 * A scenario's verdict, by precedence (scenarioVerdict): incomplete (a harness or environment
 * error ended it: no verdict on the SUT) > fail (a counterexample) > unknown (no counterexample,
 * but a checker could not decide in some run, which may hide a violation) > vacuous (every run
 * decided and passed, but a coverage goal was never met) > pass.
 */
export type ScenarioVerdict = 'pass' | 'fail' | 'unknown' | 'vacuous' | 'incomplete';

export interface ScenarioResult {
  scenario: string;
  verdict: ScenarioVerdict;
  runs: number;
  failedRuns: number;
  /** runs whose outcome was 'unknown' (no false verdict, some checker undecided) */
  unknownRuns: number;
  goals: GoalResult[];
  seed: number;
  durationMs: number;
  /** the shrunk counterexample, when the property failed */
  failure?: {
    path: string;
    numShrinks: number;
    run: RunRecord;
    /**
     * a simulated failure of an unguided search: whether a live run draws the same plan at this
     * seed and path (false when the scenario draws otherwise in simulation: faults only the
     * simulation has, or plays live in another form); absent where there is no live path to ask about
     */
    sameLivePlan?: boolean;
  };
  /**
   * its runs' records: every run, except in a budgeted search of more than SEARCH_RECORDS_KEPT
   * passing runs, whose report keeps every failing, unknown and shrinking run and only the first
   * passing ones (`runs` counts them all; recordsOmitted says how many were left out)
   */
  records: RunRecord[];
  recordsOmitted?: number;
  /** a guided search (guidance.ts): the plans it kept for reaching new behaviour, and the behaviours seen */
  guided?: { corpus: number; behaviours: number };
  /** set when a harness or environment error ended the scenario */
  error?: string;
}

export interface RunScenarioOptions {
  runs: number;
  seed: number;
  /** replay exactly this counterexample (fast-check's path) */
  path?: string;
  budgetMs?: number;
  /**
   * Search to a time budget (the simulation's way): keep drawing runs until `shareMs` is spent, and
   * past it while a coverage goal is unmet, up to `capMs` and at least `capRuns` runs; never fewer than `minRuns`. Each run is
   * drawn whole (none is cut short), and a failure is shrunk to the end. Replaces `runs` and `budgetMs`.
   */
  search?: { shareMs: number; capMs: number; minRuns: number; capRuns?: number };
  /** when false, stop at the first failure without shrinking */
  shrink?: boolean;
  /**
   * guided search (guidance.ts): on a deterministic target (the simulation) unless false. A replay
   * by path re-runs the runs before it first, unreported, to rebuild the corpus it was drawn from.
   */
  guided?: boolean;
  /** every fault step's duration is drawn from this range instead of the scenario's own (--fault-duration) */
  faultDurationMs?: { minMs: number; maxMs: number };
  /** only these checkers fail the property (verify: the checker a planted bug must trip); default all */
  failOn?: readonly string[];
  onRun?: (record: RunRecord) => void;
}

/**
 * The scenario's schedules with every step's duration drawn from `range` instead (--fault-duration),
 * normalised again (a longer step can now overlap a later one on its resource: the later goes).
 */
export function withDurations(schedules: fc.Arbitrary<Schedule>, range?: { minMs: number; maxMs: number }): fc.Arbitrary<Schedule> {
  if (!range) return schedules;
  return schedules.chain((s) =>
    fc.tuple(...s.map(() => fc.integer({ min: range.minMs, max: range.maxMs }))).map((ds) => withoutOverlaps(s.map((step, i) => ({ ...step, durationMs: ds[i]! })))));
}

/** a budgeted search stops on time: this many runs is never reached in practice */
const SEARCH_RUNS = 1_000_000;

/**
 * The property, stopped before any run once `stop()` holds: fast-check's own interruption (what
 * interruptAfterTimeLimit does), so the check ends as interrupted, not failed, and every run that
 * was drawn ran whole.
 */
function stoppable<Ts>(p: fc.IAsyncProperty<Ts>, stop: () => boolean): fc.IAsyncProperty<Ts> {
  return {
    isAsync: () => true as const,
    generate: (mrng, runId) => p.generate(mrng, runId),
    shrink: (value) => p.shrink(value),
    run: (v) => (stop() ? Promise.resolve(new fc.PreconditionFailure(true)) : p.run(v)),
    runBeforeEach: () => p.runBeforeEach(),
    runAfterEach: () => p.runAfterEach(),
  };
}

/** passing runs of a budgeted search kept for the report (a search runs thousands; each record is ~15 KB of report) */
export const SEARCH_RECORDS_KEPT = 200;

/** Every failing, unknown and shrinking run, and the first SEARCH_RECORDS_KEPT passing ones (with the one whose history is kept). */
function keptForReport(records: RunRecord[]): RunRecord[] {
  let passing = 0;
  return records.filter((r) => r.outcome !== 'pass' || r.shrinking || passing++ < SEARCH_RECORDS_KEPT || r.history !== undefined);
}

/** Unknown runs whose history is kept for the report (histories can be large). */
const UNKNOWN_HISTORIES_KEPT = 3;

/** fail on a false verdict, else unknown on an undecided one, else pass; failOn: only these checkers count. */
export function runOutcome(verdicts: readonly Verdict[], failOn?: readonly string[]): RunOutcomeKind {
  const counted = failOn === undefined ? verdicts : verdicts.filter((v) => failOn.includes(v.checker));
  if (counted.some((v) => v.valid === false)) return 'fail';
  return counted.some((v) => v.valid === 'unknown') ? 'unknown' : 'pass';
}

/** incomplete > fail > unknown > vacuous > pass (see ScenarioVerdict). */
export function scenarioVerdict(o: { harnessError: boolean; failed: boolean; unknownRuns: number; goals: readonly GoalResult[] }): ScenarioVerdict {
  if (o.harnessError) return 'incomplete';
  if (o.failed) return 'fail';
  if (o.unknownRuns > 0) return 'unknown';
  return o.goals.some((g) => g.metInRuns === 0) ? 'vacuous' : 'pass';
}


export function scenarioContext(env: RunEnvironment): ScenarioContext {
  return contextOf(env.parts, env.options.leaseMs, env.simulated ?? false);
}

/** What a scenario sees of a system's parts: every process and every link but the client's is a fault target. */
export function contextOf(parts: SystemShape, leaseMs: number, simulated = false): ScenarioContext {
  const { frontDoor, workers, keepers } = parts;
  return {
    simulated,
    workers,
    keepers,
    frontDoor,
    leaseMs,
    targets: {
      links: parts.links.filter((l) => l !== 'client'),
      processes: [frontDoor, ...workers, ...keepers],
      workers,
      executors: parts.executors ?? {},
      ...(parts.sharedLinks ? { sharedLinks: parts.sharedLinks } : {}),
      ...(parts.commands ? { commands: parts.commands } : {}),
      ...(simulated ? { simulated } : {}),
    },
  };
}

/** Where a scenario's runs happen: the system's shape, and how one run is carried out. */
export interface RunTarget {
  context: ScenarioContext;
  /** the checkers that judge this system (those whose evidence it provides); 'all': every built-in */
  checkers: 'all' | readonly CheckerDef[];
  run(plan: RunPlan): Promise<RunOutcome>;
  /** a run is a function of its plan and the seed (the simulation): a guided search can build on earlier runs */
  deterministic?: boolean;
}

/** Live runs on an environment's long-lived servers and processes. */
export function liveTarget(env: RunEnvironment, checkers: readonly CheckerDef[] = checkersFor(env.system.provides, CHECKERS)): RunTarget {
  // reuses the processes unless the previous run on them (of this or an earlier scenario) did not end idle
  return { context: scenarioContext(env), checkers, run: (plan) => runOnce(env, plan) };
}

/**
 * One scenario as a fast-check async property: every generated (workload, schedule) pair is one
 * run, judged by every checker. A failure is shrunk by fast-check to a minimal schedule.
 */
export async function runScenario(target: RunTarget, scenario: Scenario, opts: RunScenarioOptions): Promise<ScenarioResult> {
  const ctx = target.context;
  const started = Date.now();
  const records: RunRecord[] = [];
  let firstFailureSeen = false;
  let lastFailing: RunRecord | undefined;
  let harnessError: unknown;
  const settleMs = scenario.settleMs ?? ctx.leaseMs * 2 + 6000;
  const guided = opts.guided !== false && target.deterministic === true;
  const corpus = new Corpus();
  // the workload does not shrink: the fault schedule is what a counterexample should be reduced to
  const schedules = withDurations(scenario.schedule(ctx), opts.faultDurationMs);
  const fresh = fc.tuple(fc.noShrink(scenario.workload(ctx)), schedules);
  /** runs judged so far, the ones re-run to rebuild a corpus included: the index of the run drawn next */
  let judged = 0;
  // a scenario's own number of runs is drawn fresh, as unguided: guidance starts after them
  const guidedPlans = guided ? new GuidedPlans(fresh, corpus, { freshOnly: () => judged < scenario.runs }) : undefined;
  /** re-running the runs before a replayed one: they build the corpus and are not reported */
  let warming = false;

  const judge = async (workload: Workload, schedule: Schedule): Promise<boolean> => {
    let outcome;
    try {
      outcome = await target.run({ workload, schedule, settleMs });
    } catch (err) {
      // an environment failure is not a verdict on the SUT: stop the property
      harnessError = err;
      throw err;
    }
    const { verdicts, stats } = checkRun(outcome.history, target.checkers === 'all' ? CHECKERS : target.checkers);
    const kind = runOutcome(verdicts, opts.failOn);
    // only a false verdict is a counterexample: an undecided run is counted, not shrunk
    const valid = kind !== 'fail';
    // shrinking runs replay a failure: they reach nothing the search should build on
    if (guided && !firstFailureSeen) corpus.offer([workload, schedule], behaviourOf(outcome.history, stats, verdicts));
    judged++;
    if (warming) return true;
    const record: RunRecord = {
      index: records.length,
      valid,
      outcome: kind,
      durationMs: outcome.durationMs,
      endedAtMs: Date.now() - started,
      settleTookMs: outcome.settleTookMs,
      settleCapped: outcome.settleCapped,
      stats,
      verdicts,
      schedule,
      workload,
      shrinking: firstFailureSeen,
      ...(guidedPlans ? { drawn: guidedPlans.drawnBy(schedule) } : {}),
    };
    if (kind === 'fail') {
      record.history = outcome.history;
      if (outcome.logs) record.logs = outcome.logs;
      firstFailureSeen = true;
      lastFailing = record;
    } else if (kind === 'unknown') {
      if (records.filter((r) => r.outcome === 'unknown' && r.history).length < UNKNOWN_HISTORIES_KEPT) {
        record.history = outcome.history;
        if (outcome.logs) record.logs = outcome.logs;
      }
    } else if (!records.some((r) => r.history && r.outcome === 'pass')) {
      record.history = outcome.history;
    }
    records.push(record);
    opts.onRun?.(record);
    return valid;
  };
  // (the unguided property keeps its two arguments: paths printed before guidance still replay)
  const property: fc.IAsyncProperty<unknown[]> = guidedPlans
    ? fc.asyncProperty(guidedPlans, ([workload, schedule]) => judge(workload, schedule)) as fc.IAsyncProperty<unknown[]>
    : fc.asyncProperty(fc.noShrink(scenario.workload(ctx)), schedules, judge) as fc.IAsyncProperty<unknown[]>;
  if (guided && opts.path) {
    const before = Number(opts.path.split(':')[0]);
    if (before > 0) {
      warming = true;
      try {
        await fc.check(property, { numRuns: before, seed: opts.seed, endOnFailure: true });
      } finally {
        warming = false;
      }
    }
  }

  const search = opts.search;
  // budgeted search: stop before the next run, never during one (the run drawn is the run replayed)
  const spent = () => {
    if (!search || firstFailureSeen || records.length < search.minRuns) return false;
    const elapsed = Date.now() - started;
    const met = scenario.goals.every((g) => records.some((r) => !r.shrinking && g.met(r.stats)));
    if (met) return elapsed >= search.shareMs;
    // a goal still unmet: on to the cap in time and in runs both, so that a short budget does not
    // make a scenario VACUOUS by the chance of its few runs
    return elapsed >= search.capMs && records.length >= (search.capRuns ?? 0);
  };
  let details: fc.RunDetails<unknown[]>;
  try {
    details = await fc.check(search ? stoppable(property, spent) : property, {
      numRuns: search ? SEARCH_RUNS : opts.runs,
      seed: opts.seed,
      ...(opts.path ? { path: opts.path, endOnFailure: true } : {}),
      ...(opts.shrink === false ? { endOnFailure: true } : {}),
      ...(opts.budgetMs ? { interruptAfterTimeLimit: opts.budgetMs, markInterruptAsFailure: false } : {}),
    });
  } catch (err) {
    // fast-check's own word for a path that leads nowhere: said below as for a path with no run
    if (!(opts.path && records.length === 0 && err instanceof Error && /Unable to replay/.test(err.message))) throw err;
    details = { failed: false } as fc.RunDetails<unknown[]>;
  }

  const durationMs = Date.now() - started;
  // coverage goals count the exploring runs only: shrinking runs are replays of a failure
  const exploring = records.filter((r) => !r.shrinking);
  const goals = scenario.goals.map((g) => ({ name: g.name, metInRuns: exploring.filter((r) => g.met(r.stats)).length }));
  const unknownRuns = records.filter((r) => r.outcome === 'unknown').length;
  const kept = search ? keptForReport(records) : records;
  const base = {
    scenario: scenario.name, runs: records.length, failedRuns: records.filter((r) => r.outcome === 'fail').length, unknownRuns, goals, seed: opts.seed, durationMs,
    records: kept, ...(kept.length < records.length ? { recordsOmitted: records.length - kept.length } : {}),
    ...(guided ? { guided: { corpus: corpus.entries.length, behaviours: corpus.seen.size } } : {}),
  };
  const failed = details.failed && lastFailing !== undefined;
  if (opts.path && records.length === 0 && harnessError === undefined) {
    // fast-check found no value at the path: a shrink step of a failure that no longer fails
    // there (other code, another scenario), or a run past those drawn
    const first = opts.path.split(':')[0];
    return { ...base, verdict: 'incomplete', error: `--path ${opts.path} names no run of ${scenario.name} at seed ${opts.seed}: nothing is there to replay (the failure it shrank is gone or the plans are drawn otherwise now)${first !== opts.path ? `; --path ${first} replays the run it began from` : ''}` };
  }
  const verdict = scenarioVerdict({ harnessError: harnessError !== undefined, failed, unknownRuns, goals });

  if (verdict === 'incomplete') {
    return { ...base, verdict, error: harnessError instanceof Error ? harnessError.message : String(harnessError) };
  }
  if (verdict === 'fail') {
    const path = details.counterexamplePath ?? '';
    const run = lastFailing!;
    // a live replay's plan, asked about where one would be printed: an unguided simulated search
    const sameLivePlan = ctx.simulated && !guided && path ? await drawsAlikeLive(scenario, ctx, opts, path, run) : undefined;
    return { ...base, verdict, failure: { path, numShrinks: details.numShrinks, run, ...(sameLivePlan !== undefined ? { sameLivePlan } : {}) } };
  }
  return { ...base, verdict };
}

/**
 * Whether a live run of the scenario draws, at this seed and path, the plan the simulated run
 * drew: a scenario may draw faults only the simulation has (ScenarioContext.simulated), and then
 * the same seed and path give a live run another plan. fast-check replays a path without running
 * the property on the values before it, so the first value judged is the plan at the path.
 */
async function drawsAlikeLive(scenario: Scenario, ctx: ScenarioContext, opts: RunScenarioOptions, path: string, run: RunRecord): Promise<boolean> {
  const { simulated: _, ...targets } = ctx.targets;
  const live: ScenarioContext = { ...ctx, simulated: false, targets };
  let drawn: [Workload, Schedule] | undefined;
  const property = fc.property(fc.noShrink(scenario.workload(live)), withDurations(scenario.schedule(live), opts.faultDurationMs), (workload, schedule) => {
    drawn ??= [workload, schedule];
    return true;
  });
  fc.check(property, { seed: opts.seed, path, numRuns: 1 });
  return drawn !== undefined && JSON.stringify(drawn) === JSON.stringify([run.workload, run.schedule]);
}
