import fc from 'fast-check';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';

const LEASE_MS = 2000;

/**
 * No faults at all, and jobs as big as real ones: they run longer than the lease, and now and then
 * one prints a long output (up to ~19 KB: the output's whole way is judged at real sizes).
 * At-least-once allows a second run after a crash, a pause or a cut link, and here there is none,
 * so a job must run exactly once (reexecution) however long it takes.
 */
export const longJobs: Scenario = {
  name: 'long-jobs',
  summary: 'jobs longer than the lease, now and then with a long output, and no fault: each must run exactly once',
  env: { leaseMs: LEASE_MS },
  runs: 3,
  workload: () =>
    workloadArb({ minTasks: 2, maxTasks: 3, maxJobsPerTask: 2, minDurationMs: LEASE_MS + 500, maxDurationMs: LEASE_MS * 2, windowMs: 300, failures: false, cancellations: false, longOutputWeight: 1 }),
  // the empty schedule: nothing but the workload
  schedule: () => fc.constant([]),
  goals: [{ name: `a job ran past the ${LEASE_MS} ms lease with no fault`, met: (s) => s.faults === 0 && s.longestRunMs > LEASE_MS }],
};
