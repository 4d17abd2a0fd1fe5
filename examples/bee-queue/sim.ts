// The bee-queue application in simulation: its roles (roles.ts) on the simulation's edges
// (common/sim.ts); its node-redis clients talk through the edges' sockets.
import { createRequire } from 'node:module';
import type { SimSystem } from '../../harness/sim/embedding.ts';
import { librarySim } from '../common/sim.ts';
import { startProducer, startWorker } from './roles.ts';

/** bee-queue's Lua scripts module (lib/lua): it reads its .lua files once per process, with real file I/O, then keeps them */
const lua = createRequire(createRequire(import.meta.url).resolve('bee-queue'))('./lib/lua') as {
  buildCache(client: { script(...args: unknown[]): void }): Promise<unknown>;
};

/**
 * The simulated form, once bee-queue has read its scripts: a Queue reads them on its first
 * ready, with real file I/O the virtual clock cannot wait for, so they are read here first (with
 * a client that has them all: nothing is sent anywhere).
 */
export async function loadBeeQueueSim(): Promise<SimSystem> {
  await lua.buildCache({ script: (...args: unknown[]) => (args.at(-1) as (err: null, exists: number[]) => void)(null, [1]) });
  return librarySim({ startProducer, startWorker });
}
