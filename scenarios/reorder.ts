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
  needs: ['event-sources'],
  env: {},
  runs: 6,
  // The link is slowed before the first submission. A slowed worker that was waiting in
  // XREADGROUP is handed a job at once; one whose 1 s BLOCK had just timed out is away for
  // two slowed commands (XAUTOCLAIM, XREADGROUP) first, so it reads a job by ~100 ms + 2 ×
  // latency. After the read it sends three slowed commands (read the job hash, count the
  // attempt, publish `running`): the `running` lands 3 × latency after the read, while the
  // executor reports the job's outcome after 2 × latency + the job's ≤ 100 ms. Removing the
  // toxic flushes what it holds at once, so the window lasts 5 × latency + 250 ms. The window is
  // most of a run's time (runs per minute), and one slowed worker is the whole case: a second
  // one only leaves a backlog of slowed jobs to work off after the heal (~0.7 s a run).
  workload: () => workloadArb({ minTasks: 6, maxTasks: 10, maxDurationMs: 100, fromMs: 100, windowMs: 300, cancellations: false }),
  schedule: ({ workers }) =>
    scheduleOf(
      fc
        .record({
          atMs: fc.integer({ min: 0, max: 50 }),
          slackMs: fc.integer({ min: 0, max: 150 }),
          fault: fc.record({
            kind: fc.constant('latency' as const),
            link: fc.constantFrom(...workers),
            stream: fc.constant('upstream' as const),
            latencyMs: fc.integer({ min: 150, max: 250 }),
            jitterMs: fc.integer({ min: 0, max: 20 }),
          }),
        })
        .map(({ atMs, slackMs, fault }) => ({ atMs, durationMs: 250 + 5 * fault.latencyMs + slackMs, fault })),
      1,
    ),
  goals: [staleEventRejected],
};
