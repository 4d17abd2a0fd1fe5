import fc from 'fast-check';
import { faultArb, scheduleArb, type Schedule } from '../harness/nemesis/index.ts';
import type { CoverageGoal, Scenario, ScenarioContext } from '../harness/runner/scenario.ts';
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
 * The wipe and, half the time, one part away while Redis comes back empty (a failover while a
 * consumer is partitioned or stopped): a role's link down or a process paused from a moment inside
 * the wipe's window until 0.3–3 s after its heal. Whoever is back first re-creates the streams and
 * groups it uses; what the others send meanwhile meets a Redis that has not got them yet.
 */
function wipeArb({ targets }: ScenarioContext): fc.Arbitrary<Schedule> {
  const wipe = scheduleArb(['redis-wipe'], targets, { fromMs: 400, windowMs: 1_200, minDurationMs: 100, maxDurationMs: 1_500, maxSteps: 1 });
  const away = fc.record({
    fault: fc.oneof(faultArb('down', targets), faultArb('pause', targets)),
    /** where inside the wipe's window it begins, as a fraction */
    into: fc.integer({ min: 0, max: 100 }),
    outlastsMs: fc.integer({ min: 300, max: 3_000 }),
  });
  return wipe.chain((steps) => {
    const w = steps[0];
    if (!w) return fc.constant(steps);
    return fc.option(away, { nil: undefined, freq: 2 }).map((a): Schedule => {
      if (!a) return steps;
      const atMs = w.atMs + Math.floor((w.durationMs * a.into) / 100);
      return [...steps, { atMs, durationMs: w.atMs + w.durationMs + a.outlastsMs - atMs, fault: a.fault }];
    });
  });
}

/**
 * redis-server SIGKILLed, its data files removed, started again empty (no persistence, a failover
 * to an empty replica, an operator's FLUSHALL): what was acknowledged before may be gone, but the
 * system must go on working, so every job submitted after the heal must run to its end.
 */
export const redisWipe: Scenario = {
  name: 'redis-wipe',
  summary: 'Redis killed and started again empty (half the time with one part away until after it is back); submissions go on through the outage and after the heal',
  // the append-only file is on, as for redis-restart: what the wipe loses, it loses by removing it
  env: { aof: true },
  runs: 2,
  workload: beforeDuringAfter,
  schedule: wipeArb,
  goals: [jobAfterWipe],
};
