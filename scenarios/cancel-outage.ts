import fc from 'fast-check';
import { linksCarrying, scheduleArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb, type Workload } from '../harness/workload/workload.ts';
import { jobsAfterHeal } from './common.ts';

/**
 * Jobs that run for many seconds, submitted first, most of them cancelled a few seconds later,
 * while the outage is on; a few short jobs after the heal. Real users cancel exactly when things
 * look stuck.
 */
const longJobsCancelledLate = (): fc.Arbitrary<Workload> =>
  fc.tuple(
    workloadArb({ minTasks: 2, maxTasks: 4, maxJobsPerTask: 1, minDurationMs: 10_000, maxDurationMs: 25_000, windowMs: 800, hangWeight: 0, cancelAfterMs: { min: 1_500, max: 10_000 } }),
    workloadArb({ minTasks: 1, maxTasks: 3, maxDurationMs: 300, fromMs: 15_000, windowMs: 20_000, cancellations: false }),
  ).map(([long, late]) => ({ tasks: [...long.tasks, ...late.tasks].sort((a, b) => a.atMs - b.atMs) }));

/**
 * Cancels sent while what runs the job cannot hear them: a worker's (or its executor's) link cut or
 * stalled, or the worker paused, for 5–15 s (as long as long-outage's), longer than a client's own timers, while
 * its payload runs. The front door acknowledges the cancel (it reaches Redis); the executor sees
 * the cancel only once it is back, and must still stop a payload that would run on for seconds
 * after the heal. A cancel is a promise kept across an outage, not only when everything is up.
 */
export const cancelOutage: Scenario = {
  name: 'cancel-outage',
  summary: 'long jobs cancelled while their worker is cut off or paused for 5–15 s: the payload must still stop',
  needs: ['cancels'],
  env: {},
  runs: 1,
  liveOnRequest: 'about 20 s of wall time a run, and about half the runs reach its goal: up to a minute more for the default live suite',
  // longer than a payload's 20 s timeout: a worker busy with one makes no progress that long
  settleMs: 26_000,
  workload: longJobsCancelledLate,
  schedule: ({ targets, workers }) => {
    // what runs jobs: the workers and their executors, and their links (Redis down would refuse the cancel itself: long-outage's)
    const onWorkers = { ...targets, processes: workers, links: [...new Set(workers.flatMap((w) => linksCarrying(w, targets)))] };
    return scheduleArb(['down', 'timeout', 'pause'], onWorkers, { fromMs: 500, windowMs: 2_500, minDurationMs: 5_000, maxDurationMs: 15_000, maxSteps: 2 });
  },
  goals: [
    { name: 'a running job was cancelled while a fault held its executor off the flag, and it would have run on past the heal', met: (s) => s.cancelsAcrossOutage > 0 },
    jobsAfterHeal,
  ],
};
