// The reference system's simulated form (harness/sim/embedding.ts): its roles' own code, started
// through its embedding seam (system-under-test/embed.ts) on the simulation's edges. A worker's
// executor is a child process of the worker (its own endpoint on the shared `executor` link); what
// the executor tells its worker waits while the worker is frozen, as IPC to a stopped process does.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SimEdges, SimProcess, SimProcessOptions, SimSystem } from '../sim/embedding.ts';
import type * as Embed from '../../system-under-test/embed.ts';
import { consumerName } from './reference.ts';

/** What the simulation takes from an embedding module: system-under-test/embed.ts, or a copy's (a mutant's). */
export type Embedding = Pick<typeof Embed, 'connectRedis' | 'inProcessExecutor' | 'parseBugs' | 'startKeeper' | 'startOrchestrator' | 'startWorker' | 'Lifecycle'>;

/** the live keeper's defaults (main.ts) */
const KEEPER_DEFAULTS = { runningTtlMs: 60_000, reclaimMs: 5000 };

/** The seam's edges of one process (or executor), on its simulated edges. */
function seamEdges(sut: Embedding, sim: SimEdges): Embed.Edges {
  const edges: Embed.Edges = {
    redis: (link, log, purpose, blockMs) => sut.connectRedis(link, log, purpose, blockMs, sim.redisOptions()),
    newId: () => sim.newId(),
    startExecutor: (link, _log, events) => {
      let crash = () => undefined as void;
      // the child's endpoint exists before the executor's first connection
      const child = sim.child(link.id, () => crash());
      // what it tells its worker waits while the worker is frozen (one process group)
      const inbox = sim.inbox();
      const held: Embed.ExecutorEvents = { message: (m) => inbox(() => events.message(m)), exit: (how) => inbox(() => events.exit(how)) };
      const handle = sut.inProcessExecutor(link, held, { ...seamEdges(sut, child), runPayload: (job) => child.runPayload(job.payload, { jobId: job.jobId, attempt: job.attempt }) });
      crash = () => handle.crash();
      return handle;
    },
    // a payload starts only through an executor's own edges (startExecutor above)
    runPayload: () => {
      throw new Error('a simulated payload starts only through its executor');
    },
    log: (id) => (line: string) => sim.log(id === sim.id ? line : `${id}: ${line}`),
  };
  return edges;
}

/** The reference system in simulation, from its own embedding module or another copy's. */
export function referenceSim(sut: Embedding): SimSystem {
  return {
    start(o: SimProcessOptions, sim: SimEdges): SimProcess {
      const edges = seamEdges(sut, sim);
      const lifecycle = new sut.Lifecycle(edges.log(o.id));
      const link: Embed.LinkOptions = {
        redisHost: 'sim', redisPort: 0, id: o.id, bugs: sut.parseBugs(o.bugs.join(',')),
        ...(o.consumer !== undefined ? { consumer: consumerName(o.id, o.consumer) } : {}),
      };
      const starting: Promise<Embed.RoleHandle> = o.role === 'front-door' ? sut.startOrchestrator({ ...link, httpPort: 0 } as never, edges, lifecycle)
        : o.role === 'worker' ? sut.startWorker({ ...link, leaseMs: o.leaseMs, executorRedisPort: 0 }, edges, lifecycle)
        : sut.startKeeper({ ...link, ...KEEPER_DEFAULTS }, edges, lifecycle);
      let handle: Embed.RoleHandle | undefined;
      const ready = starting.then((h) => (handle = h));
      ready.catch(() => undefined);
      return {
        ready,
        stop: async (why) => (await ready).stop(why),
        // one killed while still starting has no handle yet, and would otherwise go on starting as a zombie
        crash: () => (handle ? handle.crash() : lifecycle.crash()),
        request: async ({ method, path: p, headers, body }) => (await ready as Embed.OrchestratorHandle).request(method, p, headers, body),
      };
    },
  };
}

const loaded = new Map<string, Promise<SimSystem>>();

/**
 * The reference system's simulated form; with `embed`, another copy's embedding module (a path to
 * its embed.ts, e.g. a mutant's: harness/bench/mutants.ts), imported once per process, on real time.
 */
export function loadReferenceSim({ embed }: { embed?: string }): Promise<SimSystem> {
  const url = embed ? pathToFileURL(path.resolve(embed)).href : '';
  let sim = loaded.get(url);
  if (!sim) loaded.set(url, (sim = (embed ? import(url) : import('../../system-under-test/embed.ts')).then((m) => referenceSim(m as Embedding))));
  return sim;
}
