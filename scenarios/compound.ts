import fc from 'fast-check';
import { faultArb, linksCarrying, type Direction, type Fault, type FaultStep, type Schedule } from '../harness/nemesis/index.ts';
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

/** the process a kill, pause or restart strikes, or the worker whose executor is killed */
function struckBy(f: Fault): string | undefined {
  const r = f as { process?: unknown; worker?: unknown };
  return typeof r.process === 'string' ? r.process : typeof r.worker === 'string' ? r.worker : undefined;
}

/**
 * Two faults on purpose together: a slowed or cut link with a kill, pause or graceful restart
 * (or, where there are executors, an executor kill) landing inside its window (a write delayed
 * or held past its writer's death, while the processes it talks to carry on; half the time the
 * link is one that carries the struck process or its executor), or a worker's link
 * and a keeper's link slowed at once (the two event paths of one job both late).
 */
function compoundArb({ targets, workers, keepers }: ScenarioContext): fc.Arbitrary<Schedule> {
  const links = targets.links;
  const workerLinks = links.filter((l) => workers.includes(l));
  const keeperLinks = links.filter((l) => keepers.includes(l));
  const window = { at: fc.integer({ min: 100, max: 1200 }), durationMs: fc.integer({ min: 800, max: 3000 }) };
  const hitArb = fc.oneof(faultArb('kill', targets), faultArb('pause', targets), faultArb('restart', targets), ...(Object.keys(targets.executors ?? {}).length ? [faultArb('kill-executor', targets)] : []));
  // a slowed link half the time; else cut: down (refused), or a timeout toxic that drops one direction
  const linkFault = (pool: string[]) => {
    const on = { ...targets, links: pool };
    return fc.oneof({ arbitrary: slowed(pool), weight: 2 }, faultArb('down', on), faultArb('timeout', on));
  };
  const slowAndHit = fc.record({
    ...window,
    hit: hitArb,
    // half the time the link is one that carries what the hit strikes (its own, its executor's):
    // what the dying process wrote is then held on its way when it dies
    near: fc.boolean(),
    /** where inside the slow window the hit lands, as a fraction */
    into: fc.integer({ min: 0, max: 90 }),
    hitMs: fc.integer({ min: 100, max: 1500 }),
  }).chain(({ at, durationMs, hit, near, into, hitMs }) => {
    const struck = struckBy(hit);
    const carrying = struck === undefined ? [] : linksCarrying(struck, targets);
    return linkFault(near && carrying.length > 0 ? carrying : links).map((slow): Schedule => [
      { atMs: at, durationMs, fault: slow },
      { atMs: at + Math.floor((durationMs * into) / 100), durationMs: hitMs, fault: hit },
    ]);
  });
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
