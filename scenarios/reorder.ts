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
  // A slowed worker needs several round trips per job, so the fast one would take every job
  // of a light load: a burst keeps the fast worker busy long enough for the slow one to take
  // jobs too, and its `running` then trails the executor's outcome by the added latency.
  workload: () => workloadArb({ minTasks: 6, maxTasks: 10, maxDurationMs: 200, windowMs: 400, cancellations: false }),
  schedule: ({ workers }) =>
    scheduleOf(
      fc.record({
        atMs: fc.integer({ min: 0, max: 200 }),
        durationMs: fc.integer({ min: 1500, max: 2500 }),
        fault: fc.record({
          kind: fc.constant('latency' as const),
          link: fc.constantFrom(...workers),
          stream: fc.constant('upstream' as const),
          latencyMs: fc.integer({ min: 300, max: 800 }),
          jitterMs: fc.integer({ min: 0, max: 50 }),
        }),
      }),
      3,
    ),
  goals: [staleEventRejected],
};
