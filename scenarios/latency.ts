import { scheduleArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { failureJudged, faultWhileInFlight, jobsCompleted, timeoutJudged } from './common.ts';

/** Latency with jitter on random links, both directions. */
export const latency: Scenario = {
  name: 'latency',
  summary: 'latency and jitter on random links',
  env: {},
  runs: 4,
  // jobs long and dense enough that a fault usually begins while some are running; the anchor
  // job runs past the last possible fault start (a sparse workload had left every start in a gap)
  // more payloads that hang past their timeout than elsewhere (most tasks get a cancel, which
  // often lands first): a timeout must be judged in a passing run (timeoutJudged)
  workload: () => workloadArb({ minDurationMs: 200, maxDurationMs: 800, windowMs: 1000, anchorMs: 1600, hangWeight: 3 }),
  schedule: ({ targets }) => scheduleArb(['latency'], targets, { fromMs: 200, windowMs: 1200, minDurationMs: 200, maxDurationMs: 1500, maxSteps: 3 }),
  goals: [faultWhileInFlight, jobsCompleted, failureJudged, timeoutJudged],
};
