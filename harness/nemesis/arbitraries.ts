import fc from 'fast-check';
import type { CustomFault } from './kind.ts';
import { findFaultKind } from './kinds/index.ts';
import { withoutOverlaps, type Fault, type FaultKind, type FaultStep, type Schedule } from './types.ts';

// Schedules are composed from small arbitraries, so a failing schedule shrinks by itself:
// fewer steps, shorter durations, smaller parameters. No schedule arbitrary gives two steps that
// overlap on one resource (a link's down state, a process, Redis; see resourceOf): the first
// heal would end the other step early, and the printed schedule would misstate what ran.

export interface Targets {
  links: string[];
  /** SUT processes that may be killed, paused or restarted */
  processes: string[];
  workers: string[];
  /** each worker's executor, by the name its commands are counted under (crash points may watch it) */
  executors?: Record<string, string>;
  /** links that are not one process's own, and the ids (executors) whose traffic each carries (SystemShape.sharedLinks) */
  sharedLinks?: Record<string, readonly string[]>;
  /** the commands each process or executor sends, by id (SystemShape.commands): what a crash point may wait for by name */
  commands?: Record<string, readonly string[]>;
  /** the runs happen in simulation: a fault may carry what only the simulation plays (a second stop triggered by a command) */
  simulated?: boolean;
}

export { TRIGGER_COMMANDS } from './kinds/index.ts';

/**
 * One fault of a kind, drawn by its module's arbitrary (kinds/ for the built-ins; a config's own
 * kind when it has one). The built-ins' arbitraries keep the parameters and draw order they had
 * when they were one switch here, so a seed gives the same schedules.
 */
export function faultArb(kind: FaultKind | CustomFault['kind'], t: Targets): fc.Arbitrary<Fault> {
  const k = findFaultKind(kind);
  if (!k) throw new Error(`no fault kind "${kind}"${kind.includes(':') ? " (add it to the config's faultKinds)" : ''}`);
  if (!k.arbitrary) throw new Error(`fault kind "${kind}" has no arbitrary: its scenarios draw its faults themselves`);
  return k.arbitrary(t);
}

export interface StepOptions {
  /** steps start within [fromMs, windowMs] (default from 0) */
  fromMs?: number;
  windowMs: number;
  minDurationMs: number;
  maxDurationMs: number;
}

export function stepArb(fault: fc.Arbitrary<Fault>, o: StepOptions): fc.Arbitrary<FaultStep> {
  return fc.record({
    atMs: fc.integer({ min: o.fromMs ?? 0, max: o.windowMs }),
    durationMs: fc.integer({ min: o.minDurationMs, max: o.maxDurationMs }),
    fault,
  });
}

/**
 * 1..maxSteps steps ordered by start time, none overlapping another on its resource (a step that
 * would is dropped, see fromSlots). A failing schedule shrinks by dropping steps: each of
 * maxSteps slots holds a step or nothing, and shrinking empties slots one at a time, so any
 * step can go (an array shrinks by cutting its length, and can get stuck keeping a step that
 * does not matter next to one that does). The steps themselves do not shrink, because every
 * shrink attempt is a live run of several seconds and the number of steps is what makes a
 * counterexample readable.
 */
export function scheduleOf(step: fc.Arbitrary<FaultStep>, maxSteps: number): fc.Arbitrary<Schedule> {
  return fromSlots(fc.array(slot(step, 2), { minLength: maxSteps, maxLength: maxSteps }));
}

/**
 * One slot per key (a link, a process), each holding a step for that key nearly always:
 * "fault every one of these at once", and still shrinking to the steps that matter. Steps of two
 * keys that overlap on one resource are normalised like scheduleOf's.
 */
export function schedulePer(keys: readonly string[], stepFor: (key: string) => fc.Arbitrary<FaultStep>): fc.Arbitrary<Schedule> {
  return fromSlots(fc.tuple(...keys.map((k) => slot(stepFor(k), 10))));
}

/** a step, or (one time in `freq`) nothing; shrinks to nothing */
function slot(step: fc.Arbitrary<FaultStep>, freq: number): fc.Arbitrary<FaultStep | undefined> {
  return fc.option(fc.noShrink(step), { nil: undefined, freq });
}

/**
 * The filled slots' steps sorted by start, without any step that overlaps an earlier kept one on
 * the same resource (withoutOverlaps: the earlier step stays). The schedule is a function of the
 * slots alone, so shrinking and replay from a seed and path see the same schedule; emptying the
 * slot of a kept step during shrinking can let a step it had displaced back in. At least one
 * slot is filled, and the earliest step is always kept, so a schedule is never empty.
 */
function fromSlots(slots: fc.Arbitrary<(FaultStep | undefined)[]>): fc.Arbitrary<Schedule> {
  return slots
    .filter((xs) => xs.some((s) => s !== undefined))
    .map((xs) => withoutOverlaps(xs.filter((s): s is FaultStep => s !== undefined)));
}

/** A schedule of 1..maxSteps steps drawn from the given fault kinds (none overlapping another on its resource). */
export function scheduleArb(kinds: (FaultKind | CustomFault['kind'])[], targets: Targets, o: StepOptions & { maxSteps: number }): fc.Arbitrary<Schedule> {
  const fault = fc.oneof(...kinds.map((k) => faultArb(k, targets)));
  return scheduleOf(stepArb(fault, o), o.maxSteps);
}

/**
 * The links that carry a process's traffic to Redis: its own (a link is named by the process it
 * belongs to), and for a worker, its executor's own link or a shared link that carries it.
 */
export function linksCarrying(id: string, t: Targets): string[] {
  const ids = [id, ...(t.executors?.[id] !== undefined ? [t.executors[id]] : [])];
  const own = t.links.filter((l) => ids.includes(l));
  const shared = Object.entries(t.sharedLinks ?? {}).filter(([l, carried]) => t.links.includes(l) && carried.some((c) => ids.includes(c))).map(([l]) => l);
  return [...own, ...shared];
}
