// A library application's simulated form (harness/sim/embedding.ts): its producer and workers, the
// same role functions its processes run (examples/<library>/roles.ts), started on the
// simulation's edges. Their connections dial the simulated network; the front door answers the
// client API through `answer`, as its HTTP server does. A kill cuts every connection the role
// opened without QUIT (what it had sent is sent) and refuses any it opens afterwards, and the
// role's own `crash` (where the library opens connections of its own) ends its loops and timers;
// whatever of it still runs reaches nothing: the world has cut its endpoint off the network.

import type { Redis } from 'ioredis';
import type { SimProcess, SimSystem } from '../../harness/sim/embedding.ts';
import { answer, type FrontDoor, type RoleOptions } from './app.ts';

/** A started role: `close` stops it gracefully; `crash`, where the library opens connections of its own, ends its loops and timers at once. */
interface StartedRole {
  close(): Promise<void>;
  crash?(): void;
}

export interface LibraryRoles {
  startProducer(o: RoleOptions): Promise<StartedRole & { door: FrontDoor }>;
  startWorker(o: RoleOptions & { leaseMs: number; concurrency: number }): Promise<StartedRole>;
}

export function librarySim(roles: LibraryRoles): SimSystem {
  return {
    start(o, edges): SimProcess {
      const opened: Redis[] = [];
      const killed = new AbortController();
      const cut = (r: Redis) => r.disconnect(false);
      const options: RoleOptions = {
        id: o.id,
        dial: (settings) => ({ ...settings, ...edges.redisOptions() }),
        socket: () => edges.socket(),
        signal: killed.signal,
        log: (line) => edges.log(line),
        opened: (r) => {
          opened.push(r);
          // a connection opened after the kill (a reconnect racing it) is cut at once
          if (killed.signal.aborted) cut(r);
        },
      };
      const starting: Promise<StartedRole> = o.role === 'front-door' ? roles.startProducer(options) : roles.startWorker({ ...options, leaseMs: o.leaseMs, concurrency: o.concurrency });
      return {
        ready: starting,
        stop: async () => (await starting).close(),
        crash: () => {
          killed.abort();
          for (const r of opened) cut(r);
          void starting.then((role) => role.crash?.(), () => undefined);
        },
        request: async (req) => {
          const { door } = (await starting) as { door?: FrontDoor };
          if (!door) throw new Error(`${o.id} is no front door`);
          return answer(door, req, () => edges.newId());
        },
      };
    },
  };
}
