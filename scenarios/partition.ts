import { scheduleArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { faultWhileInFlight } from './common.ts';

/** Links go down (the proxy refuses and drops connections) and come back. */
export const partition: Scenario = {
  name: 'partition',
  summary: 'links down and back',
  env: {},
  runs: 3,
  // jobs long and dense enough that a fault usually begins while some are running; the anchor
  // job runs past the last possible fault start (a sparse workload had left every start in a gap)
  workload: () => workloadArb({ minDurationMs: 200, maxDurationMs: 800, windowMs: 1000, anchorMs: 1600 }),
  schedule: ({ targets }) => scheduleArb(['down'], targets, { fromMs: 200, windowMs: 1200, minDurationMs: 200, maxDurationMs: 2000, maxSteps: 3 }),
  goals: [faultWhileInFlight],
};
