// What the harness knows: systems, scenarios, checkers and fault kinds. The built-ins are the
// defaults; a config file adds its own (build.ts), the way Jepsen's tests merge into a base test.
import { SCENARIOS } from '../../scenarios/index.ts';
import { CHECKERS, type CheckerDef } from '../checkers/index.ts';
import type { Scenario } from '../runner/scenario.ts';
import { BUILTIN_SYSTEMS, type SystemEntry } from '../systems/index.ts';

export interface Registry {
  systems: readonly SystemEntry[];
  /** in the order a suite runs them */
  scenarios: readonly Scenario[];
  /** in the order a report lists them */
  checkers: readonly CheckerDef[];
}

export const BUILTINS: Registry = { systems: BUILTIN_SYSTEMS, scenarios: SCENARIOS, checkers: CHECKERS };

/** The built-in scenarios' names, in suite order (a config extends them: `scenarios: [...builtinScenarios, './mine.ts']`). */
export const BUILTIN_SCENARIO_NAMES: readonly string[] = SCENARIOS.map((s) => s.name);

export const systemNamed = (r: Registry, name: string): SystemEntry | undefined => r.systems.find((s) => s.name === name);
export const scenarioNamed = (r: Registry, name: string): Scenario | undefined => r.scenarios.find((s) => s.name === name);

export { whyNot, checkersFor, providing } from './applies.ts';
export type { SystemEntry } from '../systems/index.ts';
export type { CheckerDef } from '../checkers/index.ts';
