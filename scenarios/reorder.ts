import fc from 'fast-check';
import { scheduleOf } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { staleEventRejected } from './common.ts';

/**
 * The seed's case: a worker's link is slowed on the way to Redis, so the `running` event it
 * publishes lands after the executor's `completed` for the same job.
 */
export const reorder: Scenario = {
  name: 'reorder',
  summary: "a worker's link delayed so its running event lands after the executor's completed",
  env: {},
  runs: 5,
  workload: () => workloadArb({ minTasks: 4, maxTasks: 8, maxDurationMs: 60, windowMs: 1000, cancellations: false }),
  schedule: ({ workers }) =>
    scheduleOf(
      fc.record({
        atMs: fc.integer({ min: 0, max: 300 }),
        durationMs: fc.integer({ min: 800, max: 2000 }),
        fault: fc.record({
          kind: fc.constant('latency' as const),
          link: fc.constantFrom(...workers),
          stream: fc.constant('upstream' as const),
          latencyMs: fc.integer({ min: 150, max: 600 }),
          jitterMs: fc.integer({ min: 0, max: 50 }),
        }),
      }),
      3,
    ),
  goals: [staleEventRejected],
};
