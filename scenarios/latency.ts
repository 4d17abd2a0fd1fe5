import { scheduleArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { faultWhileInFlight, jobsCompleted } from './common.ts';

/** Latency with jitter on random links, both directions. */
export const latency: Scenario = {
  name: 'latency',
  summary: 'latency and jitter on random links',
  env: {},
  runs: 4,
  workload: () => workloadArb(),
  schedule: ({ targets }) => scheduleArb(['latency'], targets, { windowMs: 1200, minDurationMs: 200, maxDurationMs: 1500, maxSteps: 3 }),
  goals: [faultWhileInFlight, jobsCompleted],
};
