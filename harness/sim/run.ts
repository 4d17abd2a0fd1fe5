// A simulated run: a fresh world on a fresh virtual clock, the live runner (runOnce) played on it
// by the scheduler, and the world thrown away. Everything in it comes from the plan and the seed:
// the clock starts at the same instant, ids and the network's choices come from a PRNG seeded
// with a digest of both, so the same plan and seed give the same history, bit for bit.

import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { contextOf, type RunTarget } from '../runner/property.ts';
import { runOnce, type RunOutcome, type RunPlan } from '../runner/run.ts';
import { drain, VirtualClock } from './clock.ts';
import { seedEntropy } from './entropy.ts';
import { simConnectorFor } from './redis/connection.ts';
import { SimRedis } from './redis/engine.ts';
import { Scheduler } from './scheduler.ts';
import type { SimSystem } from './embedding.ts';
import { SimWorld, type SimShape } from './world.ts';
import type { Schedule } from '../nemesis/types.ts';
import type { SystemModule } from '../systems/types.ts';

/** Every simulated run starts at this instant (2026-01-01T00:00:00Z). */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);
/** A run that has not ended after this much virtual time is a harness failure, not a verdict. */
const MAX_VIRTUAL_MS = 30 * 60_000;

export interface SimRunStats {
  /** scheduler steps: messages delivered, timers fired */
  steps: number;
  /** virtual ms the run took */
  virtualMs: number;
  /** the last log lines of the system's roles */
  logs: string[];
}

/** The run's PRNG seed: a digest of the scenario seed and the plan. */
export function runSeed(seed: number, plan: RunPlan): number {
  return createHash('sha256').update(`${seed}\n${JSON.stringify(plan)}`).digest().readInt32LE(0);
}

/**
 * Whether a schedule can pause a process: a pause, a crash point or a second stop that pauses,
 * or a fault of a kind a config added (`<namespace>:<name>`, whose play may pause). Only such a
 * run tells its roles' timers apart, so that a pause freezes them (SimWorld's `pausable`).
 */
export function canPause(schedule: Schedule): boolean {
  return schedule.some(({ fault }) => fault.kind.includes(':')) || JSON.stringify(schedule).includes('"pause"');
}

let warmedUp: Promise<void> | undefined;

/**
 * ioredis reads its own package.json with real asynchronous I/O the first time a client connects
 * in a process (for CLIENT SETINFO LIB-VER) and caches it. That read must not happen inside a
 * simulated run, where nothing real may be waited on: one client connects here first, on real
 * time, to an in-process Redis of its own.
 */
export function warmUp(): Promise<void> {
  warmedUp ??= (async () => {
    const client = new Redis({ ...simConnectorFor(new SimRedis({ now: () => Date.now() })), lazyConnect: true, retryStrategy: () => null });
    try {
      await client.connect();
      await client.ping();
    } finally {
      client.disconnect();
    }
  })();
  return warmedUp;
}

/** each system's simulated forms by the embedding module asked for ('' its own), loaded once per process */
const simForms = new WeakMap<SystemModule, Map<string, Promise<SimSystem>>>();

/**
 * The system's simulated form a shape asks for (its own, or SimShape.embed's), loaded on real time
 * before a run installs its virtual clock: a module load is real I/O. Loaded once per process and
 * system: a simulated form is what starts a run's processes, and holds no run's state (each start
 * makes its own); a dynamic import each run went through the module loader's resolve hooks (tsx's,
 * on another thread), ~3% of a run's CPU.
 */
export function simSystemOf(system: SystemModule, shape: SimShape): Promise<SimSystem> {
  if (!system.simulation) throw new Error(`${system.name} has no simulated form`);
  let forms = simForms.get(system);
  if (!forms) simForms.set(system, (forms = new Map()));
  const key = shape.embed ?? '';
  let form = forms.get(key);
  if (!form) {
    forms.set(key, (form = system.simulation({ embed: shape.embed })));
    // a load that failed is tried again by the next run (as it was before this cache)
    form.catch(() => forms.delete(key));
  }
  return form;
}

export async function simRunOnce(system: SystemModule, shape: SimShape, plan: RunPlan, seed: number): Promise<RunOutcome & { sim: SimRunStats }> {
  await warmUp();
  const sim = await simSystemOf(system, shape);
  const digest = runSeed(seed, plan);
  const rng = xoroshiro128plus(digest);
  const random = () => uniformFloat64(rng);
  const clock = new VirtualClock(SIM_EPOCH_MS);
  // the processes' own randomness on a stream of its own (the world's draws stay as they were)
  const unseed = seedEntropy(digest ^ 0x5eed);
  try {
    const world = new SimWorld(shape, clock, random, { system, sim }, canPause(plan.schedule));
    const scheduler = new Scheduler(clock, world.network, world.engine);
    let outcome: RunOutcome | undefined;
    let failure: unknown;
    let finished = false;
    void (async () => {
      await world.start();
      return runOnce(world, { ...plan, runKey: plan.runKey ?? `sim${(digest >>> 0).toString(16)}` });
    })().then((o) => (outcome = o), (e: unknown) => (failure = e)).finally(() => (finished = true));
    await scheduler.runUntil(SIM_EPOCH_MS + MAX_VIRTUAL_MS, () => finished);
    const virtualMs = clock.now() - SIM_EPOCH_MS;
    if (!finished) {
      const stuck = clock.now() < SIM_EPOCH_MS + MAX_VIRTUAL_MS ? `stuck at t=${virtualMs} ms with nothing left to run (a wait outside the virtual clock?)` : `still running after ${MAX_VIRTUAL_MS / 60_000} virtual minutes`;
      throw new Error(`simulated run did not end: ${stuck}; last log: ${world.logs.slice(-3).join(' | ') || 'none'}`);
    }
    // The world is not stopped: it is thrown away. A graceful stop (every role's QUIT and its
    // cleanups, a few hundred scheduler steps) came after the history's last entry and was ~5% of
    // a run's CPU. Nothing of the world can run once the run has ended: its waits are on this
    // virtual clock, which goes with it, or on replies that never come. One drain first lets
    // whatever it had already queued (microtasks, nextTicks) run while the virtual clock is still
    // installed, so no timer of it lands on the real event loop or on the next run's clock.
    await drain();
    if (failure !== undefined) throw failure;
    return { ...outcome!, sim: { steps: scheduler.steps, virtualMs, logs: world.logs.slice(-50) } };
  } finally {
    unseed();
    clock.uninstall();
  }
}

/** Runs of a scenario in simulation: the shape of the live environment, each run its own world. */
export function simTarget(system: SystemModule, shape: SimShape, seed: number): RunTarget {
  // CHAOS_SIM_EMBED points the simulation at another copy's embedding module, as CHAOS_SUT_COMMAND
  // points live runs at another command (the mutants bench runs `chaos --sim` against each mutant this way)
  const embed = shape.embed ?? (process.env.CHAOS_SIM_EMBED?.trim() || undefined);
  const s = embed ? { ...shape, embed } : shape;
  return { context: contextOf(system.shape(s), s.leaseMs, true), checkers: 'all', run: (plan) => simRunOnce(system, s, plan, seed), deterministic: true };
}
