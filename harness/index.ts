// The harness's public entry point (package.json "exports"): defineConfig for chaos.config.ts,
// and the types a user implements or reads. Nothing outside this module is API.
import type { ChaosConfig } from './config/schema.ts';

/** A chaos.config.ts's default export, typed: `export default defineConfig({ runs: 5, system: 'bullmq' })`. */
export function defineConfig(config: ChaosConfig): ChaosConfig {
  return config;
}

export type { ChaosConfig } from './config/schema.ts';
export type { SystemModule, ProcessSpec, SystemShape, StartContext } from './systems/types.ts';
export type { Scenario, CoverageGoal, ScenarioContext } from './runner/scenario.ts';
export type { FaultModule, Fault, FaultStep, Schedule } from './nemesis/types.ts';
export type { Verdict, History } from './history/types.ts';
export type { RunStats } from './checkers/coverage.ts';
export type { Reporter, RunInfo, ScenarioPlan, EndInfo, RunRecord, ScenarioResult, SuiteResult } from './report/reporter.ts';
