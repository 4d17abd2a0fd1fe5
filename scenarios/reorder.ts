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
  workload: () => workloadArb({ minTasks: 6, maxTasks: 10, maxDurationMs: 150, fromMs: 100, windowMs: 300, cancellations: false }),
  schedule: ({ workers }) =>
    scheduleOf(
      fc.record({
        atMs: fc.integer({ min: 0, max: 50 }),
        // after it reads a job the slowed worker sends three slowed commands (read the job hash,
        // count the attempt, publish `running`), and `running` lands about 3 × latency after
        // the read, while the executor reports its outcome within the job's ≤ 150 ms. Removing
        // the toxic flushes what it holds at once, so the window must outlast those three
        // commands for the first job the slowed worker takes (read by ~400 ms): ≥ 1.1 s does
        // for latencies ≤ 350 ms. The window is most of a run's time (runs per minute).
        durationMs: fc.integer({ min: 1100, max: 1500 }),
        fault: fc.record({
          kind: fc.constant('latency' as const),
          link: fc.constantFrom(...workers),
          stream: fc.constant('upstream' as const),
          latencyMs: fc.integer({ min: 200, max: 350 }),
          jitterMs: fc.integer({ min: 0, max: 30 }),
        }),
      }),
      3,
    ),
  goals: [staleEventRejected],
};
