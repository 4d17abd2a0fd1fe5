// The harness's public entry point (package.json "exports"): defineConfig for chaos.config.ts,
// and the types a user implements or reads. Nothing outside this module is API.
import type { ChaosConfig } from './config/schema.ts';

/** A chaos.config.ts's default export, typed: `export default defineConfig({ runs: 5, system: 'bullmq' })`. */
export function defineConfig(config: ChaosConfig): ChaosConfig {
  return config;
}

export type { ChaosConfig } from './config/schema.ts';
export type { SystemModule, ProcessSpec, SystemShape, StartContext, Provides, Capability, EvidenceKind, Progress, Recording, ReadySignal } from './systems/types.ts';
// a system that writes its evidence with the instrumentation kit (harness/instrument/, `<package>/instrument`): a process contract per role and its key prefix
export { kitSystem, type KitSystemOptions, type ProcessContract } from './systems/kit.ts';
// a system's simulated form (--sim): its processes' own code on the simulation's edges
export type { SimSystem, SimLoader, SimEdges, SimProcess, SimProcessOptions, SimRequest, SimResponse, SimPayload, SimPayloadExit } from './sim/embedding.ts';
export type { Scenario, CoverageGoal, ScenarioContext } from './runner/scenario.ts';
export type { FaultModule, Fault, FaultStep, Schedule, StepWindow } from './nemesis/types.ts';
export type { CustomFault, FaultKindModule, Fired } from './nemesis/kind.ts';
export type { RunEnvironment, ProcessControl, LinkControl, RedisControl, PayloadStart } from './env/surface.ts';
export type { CheckerDef, Checker } from './checkers/index.ts';
export type { Verdict, History, HistoryEntry, ClientEntry, SnapshotEntry, TransitionEntry, ExecutionEntry } from './history/types.ts';

// what a scenario of your own draws with: the harness's workload and schedule arbitraries
export { workloadArb, type Workload, type WorkloadOptions } from './workload/workload.ts';
export { scheduleOf, schedulePer, stepArb, faultArb } from './nemesis/arbitraries.ts';

/** The built-in scenarios' names, to extend rather than replace: `scenarios: [...builtinScenarios, './mine.ts']`. */
export { BUILTIN_SCENARIO_NAMES as builtinScenarios } from './registry/index.ts';
export type { RunStats } from './checkers/coverage.ts';
export type { Reporter, RunInfo, ScenarioPlan, EndInfo, RunRecord, ScenarioResult, SuiteResult } from './report/reporter.ts';

/** The reporters a run has without a config's `reporters`, to extend: `reporters: [...defaultReporters, './mine.ts']`. */
export { DEFAULT_REPORTERS as defaultReporters } from './report/reporters/index.ts';
