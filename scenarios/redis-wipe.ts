import fc from 'fast-check';
import { scheduleArb } from '../harness/nemesis/index.ts';
import type { CoverageGoal, Scenario } from '../harness/runner/scenario.ts';
import { workloadArb, type Workload } from '../harness/workload/workload.ts';

/**
 * submissions before the wipe (what the wipe may take: an anchor job runs past the last possible
 * wipe start), and on through the outage and after the heal (what it must not take)
 */
const beforeDuringAfter = (): fc.Arbitrary<Workload> =>
  fc.tuple(
    workloadArb({ minTasks: 1, maxTasks: 3, maxDurationMs: 600, windowMs: 600, anchorMs: 1_300 }),
    workloadArb({ minTasks: 3, maxTasks: 6, maxDurationMs: 300, fromMs: 800, windowMs: 3_500 }),
  ).map(([early, late]) => ({ tasks: [...early.tasks, ...late.tasks].sort((a, b) => a.atMs - b.atMs) }));

/**
 * The wipe happened (its step was effective: an environment that cannot remove Redis's data
 * makes it empty) and a job submitted after its heal finished. (Whether the wipe found work in
 * hand cannot be told from the system's logs: they went with it.)
 */
const jobAfterWipe: CoverageGoal = {
  name: 'Redis was wiped and a job submitted after the heal finished',
  met: (s) => s.faults > 0 && s.jobsAfterHeal > 0,
};

/**
 * redis-server SIGKILLed, its data files removed, started again empty (no persistence, a failover
 * to an empty replica, an operator's FLUSHALL): what was acknowledged before may be gone, but the
 * system must go on working, so every job submitted after the heal must run to its end.
 */
export const redisWipe: Scenario = {
  name: 'redis-wipe',
  summary: 'Redis killed and started again empty; submissions go on through the outage and after the heal',
  // the append-only file is on, as for redis-restart: what the wipe loses, it loses by removing it
  env: { aof: true },
  runs: 2,
  workload: beforeDuringAfter,
  schedule: ({ targets }) => scheduleArb(['redis-wipe'], targets, { fromMs: 400, windowMs: 1_200, minDurationMs: 100, maxDurationMs: 1_500, maxSteps: 1 }),
  goals: [jobAfterWipe],
};
