import fc from 'fast-check';
import type { FaultStep } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';

/**
 * Two keepers decide events of the same jobs while one of them is slowed: it reads a job's
 * state one latency after taking an event and writes one latency later, and a job's next
 * event (its outcome, a cancel) reaches the other keeper inside that gap. An atomic apply
 * keeps the terminal state; a read-then-write keeper overwrites it.
 */
export const keeperRace: Scenario = {
  name: 'keeper-race',
  summary: 'two keepers, one slowed, deciding events of the same jobs',
  env: { keepers: 2 },
  runs: 5,
  // many jobs whose payloads last about as long as the added latency
  workload: () => workloadArb({ minTasks: 8, maxTasks: 14, maxJobsPerTask: 3, minDurationMs: 20, maxDurationMs: 250, windowMs: 1000 }),
  schedule: ({ keepers }) =>
    fc.array(
      fc.noShrink(fc.record({
        atMs: fc.integer({ min: 0, max: 200 }),
        durationMs: fc.integer({ min: 1200, max: 2500 }),
        fault: fc.record({
          kind: fc.constant('latency' as const),
          link: fc.constantFrom(...keepers),
          stream: fc.constantFrom('upstream' as const, 'downstream' as const),
          latencyMs: fc.integer({ min: 30, max: 150 }),
          jitterMs: fc.integer({ min: 0, max: 30 }),
        }),
      })) as fc.Arbitrary<FaultStep>,
      { minLength: 1, maxLength: 2 },
    ).map((steps) => steps.sort((a, b) => a.atMs - b.atMs)),
  goals: [{ name: "a job's events were decided by both keepers", met: (s) => s.jobsSplitAcrossKeepers > 0 }],
};
