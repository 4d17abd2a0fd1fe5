import fc from 'fast-check';
import { faultArb, type Direction, type Fault, type FaultStep, type Schedule } from '../harness/nemesis/index.ts';
import type { Scenario, ScenarioContext } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { faultWhileInFlight } from './common.ts';

const slowed = (links: readonly string[]): fc.Arbitrary<Fault> =>
  fc.record({
    kind: fc.constant('latency' as const),
    link: fc.constantFrom(...links),
    stream: fc.constantFrom<Direction>('upstream', 'downstream'),
    latencyMs: fc.integer({ min: 100, max: 1500 }),
    jitterMs: fc.integer({ min: 0, max: 300 }),
  });

/**
 * Two faults on purpose together: a slowed or cut link with a kill, pause or graceful restart
 * (or, where there are executors, an executor kill) landing inside its window (a write delayed
 * or held past its writer's death, while the processes it talks to carry on), or a worker's link
 * and a keeper's link slowed at once (the two event paths of one job both late).
 */
function compoundArb({ targets, workers, keepers }: ScenarioContext): fc.Arbitrary<Schedule> {
  const links = targets.links;
  const workerLinks = links.filter((l) => workers.includes(l));
  const keeperLinks = links.filter((l) => keepers.includes(l));
  const window = { at: fc.integer({ min: 100, max: 1200 }), durationMs: fc.integer({ min: 800, max: 3000 }) };
  const slowAndHit = fc.record({
    ...window,
    // a slowed link half the time; else cut: down (refused), or a timeout toxic that drops one direction
    slow: fc.oneof({ arbitrary: slowed(links), weight: 2 }, faultArb('down', targets), faultArb('timeout', targets)),
    hit: fc.oneof(faultArb('kill', targets), faultArb('pause', targets), faultArb('restart', targets), ...(Object.keys(targets.executors ?? {}).length ? [faultArb('kill-executor', targets)] : [])),
    /** where inside the slow window the hit lands, as a fraction */
    into: fc.integer({ min: 0, max: 90 }),
    hitMs: fc.integer({ min: 100, max: 1500 }),
  }).map(({ at, durationMs, slow, hit, into, hitMs }): Schedule => [
    { atMs: at, durationMs, fault: slow },
    { atMs: at + Math.floor((durationMs * into) / 100), durationMs: hitMs, fault: hit },
  ]);
  if (workerLinks.length === 0 || keeperLinks.length === 0) return slowAndHit;
  const bothPaths = fc.record({ ...window, a: slowed(workerLinks), b: slowed(keeperLinks), offset: fc.integer({ min: 0, max: 500 }) })
    .map(({ at, durationMs, a, b, offset }): Schedule => [
      { atMs: at, durationMs, fault: a },
      { atMs: at + offset, durationMs, fault: b },
    ]);
  return fc.oneof(slowAndHit, bothPaths).map((s: FaultStep[]) => [...s].sort((x, y) => x.atMs - y.atMs));
}

export const compound: Scenario = {
  name: 'compound',
  summary: "a slowed or cut link together with a kill, pause, restart or executor kill, or a worker's and a keeper's links slowed together",
  env: { keepers: 2 },
  runs: 2,
  // the anchor job runs past the last possible start of a hit (1200 ms + 90 % of a 3 s slow window)
  workload: () => workloadArb({ minDurationMs: 200, maxDurationMs: 1000, windowMs: 1000, anchorMs: 4300 }),
  schedule: compoundArb,
  goals: [faultWhileInFlight],
};
