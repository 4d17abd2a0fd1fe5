import fc from 'fast-check';
import { schedulePer } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';

/**
 * Two keepers decide events of the same jobs while each is slowed by its own latency: a
 * keeper reads a job's state one latency after taking an event and writes one latency later,
 * and a job's next event (its outcome, a cancel) reaches the other keeper inside that gap. An
 * atomic apply keeps the terminal state; a read-then-write keeper overwrites it. Both are
 * slowed because a keeper only takes events while it waits at Redis, and a fast keeper nearly
 * always waits: with one keeper slowed, the fast one took most of a job's events and few jobs
 * were split between them (check-then-set was caught in about half the runs; slowing both,
 * in 12 of 12).
 */
export const keeperRace: Scenario = {
  name: 'keeper-race',
  summary: 'two keepers, each slowed by its own latency, deciding events of the same jobs',
  needs: ['keepers'],
  env: { keepers: 2 },
  runs: 5,
  // many jobs whose payloads last about as long as the added latency
  workload: () => workloadArb({ minTasks: 8, maxTasks: 14, maxJobsPerTask: 3, minDurationMs: 30, maxDurationMs: 400, windowMs: 1000 }),
  // every keeper slowed, each by its own latency: a keeper only decides events while it waits
  // at Redis, and a fast keeper is nearly always waiting, so with one keeper slowed the fast
  // one took most of a job's events and few jobs were split between them
  schedule: ({ keepers }) =>
    schedulePer(keepers, (keeper) =>
      fc.record({
        atMs: fc.integer({ min: 0, max: 200 }),
        durationMs: fc.integer({ min: 1200, max: 2500 }),
        fault: fc.record({
          kind: fc.constant('latency' as const),
          link: fc.constant(keeper),
          stream: fc.constantFrom('upstream' as const, 'downstream' as const),
          latencyMs: fc.integer({ min: 50, max: 250 }),
          jitterMs: fc.integer({ min: 0, max: 30 }),
        }),
      }),
    ),
  goals: [{ name: "a job's events were decided by both keepers", met: (s) => s.jobsSplitAcrossKeepers > 0 }],
};
