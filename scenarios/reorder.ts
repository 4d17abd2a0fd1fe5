import fc from 'fast-check';
import { scheduleOf, type FaultStep } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { staleEventRejected } from './common.ts';

/**
 * The seed's case: a worker's link is slowed on the way to Redis, so the `running` event it
 * publishes lands after the executor's `completed` for the same job. Some steps slow a
 * keeper's link instead, which widens the window between reading and writing a job's state
 * (where two keepers that check-then-set race).
 */
export const reorder: Scenario = {
  name: 'reorder',
  summary: "a worker's link delayed so its running event lands after the executor's completed",
  env: {},
  runs: 5,
  // dense enough that every worker is busy now and then, so the slowed one takes jobs too
  workload: () => workloadArb({ minTasks: 6, maxTasks: 10, maxDurationMs: 120, windowMs: 600, cancellations: false }),
  schedule: ({ workers, keepers }) => {
    const slowWorker = fc.record({
      kind: fc.constant('latency' as const),
      link: fc.constantFrom(...workers),
      stream: fc.constant('upstream' as const),
      latencyMs: fc.integer({ min: 150, max: 600 }),
      jitterMs: fc.integer({ min: 0, max: 50 }),
    });
    const slowKeeper = fc.record({
      kind: fc.constant('latency' as const),
      link: fc.constantFrom(...keepers),
      stream: fc.constantFrom('upstream' as const, 'downstream' as const),
      latencyMs: fc.integer({ min: 20, max: 150 }),
      jitterMs: fc.integer({ min: 0, max: 50 }),
    });
    const step: fc.Arbitrary<FaultStep> = fc.record({
      atMs: fc.integer({ min: 0, max: 300 }),
      durationMs: fc.integer({ min: 800, max: 2000 }),
      fault: fc.oneof({ weight: 1, arbitrary: slowWorker }, { weight: 1, arbitrary: slowKeeper }),
    });
    return scheduleOf(step, 3);
  },
  goals: [staleEventRejected],
};
