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
  runs: 6,
  // The link is slowed before the first submission, while both workers wait in XREADGROUP:
  // a burst then hands the slowed worker a job at once (it waits at Redis already), and the
  // `running` it announces trails the executor's outcome by the added latency. Slowed later,
  // a worker needs several slow round trips before its next read, and the fast worker may
  // finish the whole burst first.
  workload: () => workloadArb({ minTasks: 6, maxTasks: 10, maxDurationMs: 200, fromMs: 250, windowMs: 650, cancellations: false }),
  schedule: ({ workers }) =>
    scheduleOf(
      fc.record({
        atMs: fc.integer({ min: 0, max: 150 }),
        // the slowed worker makes two round trips (read the job, count the attempt) before it
        // announces `running`: the delay must outlast them, or the event is no longer late
        durationMs: fc.integer({ min: 2500, max: 3500 }),
        fault: fc.record({
          kind: fc.constant('latency' as const),
          link: fc.constantFrom(...workers),
          stream: fc.constant('upstream' as const),
          latencyMs: fc.integer({ min: 250, max: 600 }),
          jitterMs: fc.integer({ min: 0, max: 50 }),
        }),
      }),
      3,
    ),
  goals: [staleEventRejected],
};
