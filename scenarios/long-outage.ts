import fc from 'fast-check';
import { scheduleArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb, type Workload } from '../harness/workload/workload.ts';
import { jobsAfterHeal } from './common.ts';

/**
 * a few short jobs first (done before the outage: the workers wait idle at their blocking read),
 * more during and after it. A job's timeout is one of the timers an outage outlasts: a quarter of
 * the jobs have one of a few seconds, shorter than the outage.
 */
export const idleThenSteady = (): fc.Arbitrary<Workload> =>
  fc.tuple(
    workloadArb({ minTasks: 1, maxTasks: 3, maxDurationMs: 200, windowMs: 300, shortTimeoutWeight: 1 }),
    workloadArb({ minTasks: 3, maxTasks: 6, maxDurationMs: 300, fromMs: 2_500, windowMs: 22_000, shortTimeoutWeight: 1 }),
  ).map(([early, late]) => ({ tasks: [...early.tasks, ...late.tasks].sort((a, b) => a.atMs - b.atMs) }));

/**
 * Outages longer than a client's own timers (blocking timeouts, watchdogs, lock renewals,
 * reconnect backoff: often 5–30 s): Redis down, or a role's link down or stalled, for 5–15 s,
 * beginning while the workers sit idle at their blocking read, with submissions before, during and
 * after; a quarter of the jobs have a timeout of 2–8 s, shorter than the outage. Every job
 * submitted after the heal must still run.
 */
export const longOutage: Scenario = {
  name: 'long-outage',
  summary: 'Redis or a link gone for 5–15 s while workers sit idle; submissions go on after the heal',
  env: { aof: true },
  runs: 1,
  workload: idleThenSteady,
  schedule: ({ targets }) => scheduleArb(['redis-restart', 'down', 'timeout'], targets, { fromMs: 1_000, windowMs: 2_500, minDurationMs: 5_000, maxDurationMs: 15_000, maxSteps: 2 }),
  goals: [jobsAfterHeal],
};
