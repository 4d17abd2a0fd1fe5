import type fc from 'fast-check';
import type { EnvironmentOptions } from '../env/environment.ts';
import type { Schedule, Targets } from '../nemesis/index.ts';
import type { Workload } from '../workload/workload.ts';
import type { RunStats } from '../checkers/coverage.ts';
import type { Capability } from '../systems/types.ts';

/** A "sometimes" property: must hold in at least one run of the scenario, or the scenario is vacuous. */
export interface CoverageGoal {
  name: string;
  met(stats: RunStats): boolean;
}

/** a scenario that fills the budget runs until its share is spent: this many runs is never reached in practice */
const BUDGET_FILLING_RUNS = 100_000;

/** How many runs a scenario gets: --runs, else its budget-filling or soak or default number. */
export function runsOf(s: Scenario, o: { runs?: number; budgetMs?: number; soak?: boolean }): number {
  if (o.runs !== undefined) return o.runs;
  if (o.budgetMs !== undefined && s.fillsBudget) return BUDGET_FILLING_RUNS;
  return o.soak ? (s.soakRuns ?? s.runs) : s.runs;
}

/** What a scenario can see of the environment when it builds its arbitraries. */
export interface ScenarioContext {
  targets: Targets;
  workers: string[];
  keepers: string[];
  /** the process the client talks to: the orchestrator, a library app's producer */
  frontDoor: string;
  leaseMs: number;
  /** the runs happen in simulation (faults that only the simulation has, crash points, may be drawn) */
  simulated: boolean;
}

/** Workload arbitrary + fault arbitrary + coverage goals; the checkers are always all of them. */
export interface Scenario {
  name: string;
  summary: string;
  env: Partial<EnvironmentOptions>;
  workload(ctx: ScenarioContext): fc.Arbitrary<Workload>;
  schedule(ctx: ScenarioContext): fc.Arbitrary<Schedule>;
  goals: CoverageGoal[];
  /** runs in the default budget */
  runs: number;
  /** runs under `npm run soak` (chaos --soak), when it should lean on this scenario (default: runs) */
  soakRuns?: number;
  /** with --budget, keeps running (past `runs`) until its share of the budget is spent */
  fillsBudget?: boolean;
  /** settle period after the final heal (default: 2 leases + 6 s) */
  settleMs?: number;
  /** what a system must provide for the scenario to mean anything (SystemModule.provides); absent: nothing beyond a front door and workers */
  needs?: readonly Capability[];
  /**
   * Why it has no live form, when it runs only in simulation: the default live suite leaves it
   * out, and naming it without --sim is a usage error.
   */
  simOnly?: string;
  /**
   * Why the default live suite leaves it out although it has a live form (the wall time its runs
   * take): naming it with --scenario runs it live; --sim runs it by default.
   */
  liveOnRequest?: string;
}
