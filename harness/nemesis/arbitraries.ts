import fc from 'fast-check';
import { withoutOverlaps, type CrashAction, type CrashThen, type Direction, type Fault, type FaultKind, type FaultStep, type Rejoin, type Schedule } from './types.ts';

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
  /** the commands each process or executor sends, by id (SystemShape.commands): what a crash point may wait for by name */
  commands?: Record<string, readonly string[]>;
}

/**
 * Commands a crash point may wait for by name when the system does not say what its roles send
 * (Targets.commands): the steps of a Redis job system's protocol where a crash leaves the most to
 * recover — after a read of new work, a takeover, an acknowledgement, a script, a write, a
 * transaction's end.
 */
export const TRIGGER_COMMANDS = ['XREADGROUP', 'XAUTOCLAIM', 'XCLAIM', 'XACK', 'XADD', 'EVALSHA', 'EVAL', 'HSET', 'SET', 'EXEC', 'PUBLISH'] as const;

const direction: fc.Arbitrary<Direction> = fc.constantFrom('upstream', 'downstream');
/** how a killed role comes back: shrinks to its own name */
const rejoin: fc.Arbitrary<Rejoin> = fc.constantFrom('same', 'new');

/**
 * A crash point on one process: it watches the process itself or (a worker) its executor, counts
 * any command or one named one, and then kills or pauses the process or kills its executor.
 */
function crashPointArb(t: Targets): fc.Arbitrary<Fault> {
  return fc.constantFrom(...t.processes).chain((process) => {
    const executor = t.executors?.[process];
    const isWorker = t.workers.includes(process);
    const actions: CrashAction[] = isWorker && executor ? ['kill', 'kill-executor', 'pause'] : ['kill', 'pause'];
    const watched = (watch: string) => {
      const named = t.commands?.[watch] ?? TRIGGER_COMMANDS;
      // mostly any command (every boundary a candidate, the early ones most often: a role idle at a
      // blocking read sends few), sometimes a named step of the protocol
      return fc.oneof(
        { weight: 3, arbitrary: fc.record({ watch: fc.constant(watch), command: fc.constant('*'), nth: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 40 })) }) },
        { weight: 2, arbitrary: fc.record({ watch: fc.constant(watch), command: fc.constantFrom<string>(...named), nth: fc.integer({ min: 1, max: 3 }) }) },
      );
    };
    const watchable = executor ? [process, executor] : [process];
    // after an executor kill (the worker goes on), half the time a second stop while the worker
    // recovers: at its next commands, or a named step of them (a crash during recovery)
    const then: fc.Arbitrary<CrashThen | undefined> = fc.option(
      fc.record({ counted: fc.constantFrom(...watchable).chain(watched), action: fc.constantFrom<'kill' | 'pause'>('kill', 'pause') })
        .map(({ counted, action }) => ({ watch: counted.watch, command: counted.command, nth: counted.nth, action })),
      { nil: undefined, freq: 2 },
    );
    return fc.record({
      kind: fc.constant('crash-point' as const),
      process: fc.constant(process),
      counted: fc.constantFrom(...watchable).chain(watched),
      action: fc.constantFrom(...actions),
      rejoin,
      then,
    }).map(({ counted, rejoin: r, then: t, ...f }) => {
      const second = f.action === 'kill-executor' ? t : undefined;
      return { ...f, ...counted, ...(f.action === 'kill' || second?.action === 'kill' ? { rejoin: r } : {}), ...(second ? { then: second } : {}) };
    });
  });
}

export function faultArb(kind: FaultKind, t: Targets): fc.Arbitrary<Fault> {
  const link = fc.constantFrom(...t.links);
  const proc = fc.constantFrom(...t.processes);
  switch (kind) {
    case 'latency':
      return fc.record({ kind: fc.constant(kind), link, stream: direction, latencyMs: fc.integer({ min: 10, max: 1000 }), jitterMs: fc.integer({ min: 0, max: 200 }) });
    case 'bandwidth':
      return fc.record({ kind: fc.constant(kind), link, stream: direction, rateKBps: fc.integer({ min: 1, max: 100 }) });
    case 'slow_close':
      return fc.record({ kind: fc.constant(kind), link, stream: direction, delayMs: fc.integer({ min: 10, max: 1000 }) });
    case 'timeout':
      return fc.record({ kind: fc.constant(kind), link, stream: direction, timeoutMs: fc.integer({ min: 0, max: 1000 }) });
    case 'reset_peer':
      return fc.record({ kind: fc.constant(kind), link, stream: direction, timeoutMs: fc.integer({ min: 0, max: 500 }) });
    case 'slicer':
      return fc.record({ kind: fc.constant(kind), link, stream: direction, averageSize: fc.integer({ min: 1, max: 64 }), sizeVariation: fc.integer({ min: 0, max: 0 }), delayUs: fc.integer({ min: 0, max: 5000 }) });
    case 'limit_data':
      return fc.record({ kind: fc.constant(kind), link, stream: direction, bytes: fc.integer({ min: 1, max: 4096 }) });
    case 'down':
      return fc.record({ kind: fc.constant(kind), link });
    case 'kill':
      return fc.record({ kind: fc.constant(kind), process: proc, rejoin });
    case 'kill-executor':
      return fc.record({ kind: fc.constant(kind), worker: fc.constantFrom(...t.workers) });
    case 'pause':
      return fc.record({ kind: fc.constant(kind), process: proc });
    case 'restart':
      return fc.record({ kind: fc.constant(kind), process: proc });
    case 'redis-restart':
      return fc.constant({ kind });
    case 'crash-point':
      return crashPointArb(t);
  }
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
export function scheduleArb(kinds: FaultKind[], targets: Targets, o: StepOptions & { maxSteps: number }): fc.Arbitrary<Schedule> {
  const fault = fc.oneof(...kinds.map((k) => faultArb(k, targets)));
  return scheduleOf(stepArb(fault, o), o.maxSteps);
}
