import type fc from 'fast-check';
import type { EnvironmentOptions } from '../env/environment.ts';
import type { Schedule, Targets } from '../nemesis/index.ts';
import type { Workload } from '../workload/workload.ts';
import type { RunStats } from '../checkers/coverage.ts';

/** A "sometimes" property: must hold in at least one run of the scenario, or the scenario is vacuous. */
export interface CoverageGoal {
  name: string;
  met(stats: RunStats): boolean;
}

/** What a scenario can see of the environment when it builds its arbitraries. */
export interface ScenarioContext {
  targets: Targets;
  workers: string[];
  keepers: string[];
  leaseMs: number;
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
  /** settle period after the final heal (default: 2 leases + 6 s) */
  settleMs?: number;
}
