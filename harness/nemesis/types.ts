import type { CustomFault, FaultKindModule } from './kind.ts';
import { findFaultKind, kindOf, type BuiltinFault } from './kinds/index.ts';

export type Direction = 'upstream' | 'downstream';

/**
 * One fault, as data: a fast-check value, printable and replayable. A fault of a built-in kind
 * (each kind's module under kinds/ declares its fault's type: toxics.ts, down.ts, kill.ts,
 * killExecutor.ts, pause.ts, restart.ts, redisRestart.ts, redisWipe.ts, crashPoint.ts, lostReply.ts,
 * poisonJob.ts), or of a kind a config
 * added (kind.ts): `<namespace>:<name>` and its parameters.
 */
export type Fault = BuiltinFault | CustomFault;

/** How a killed role comes back at its heal: under its own name (default) or as a new consumer. */
export type Rejoin = 'same' | 'new';
export type { CrashAction, CrashThen } from './kinds/index.ts';
export type { BuiltinFault } from './kinds/index.ts';
/** the built-in kinds */
export type FaultKind = BuiltinFault['kind'];

/** What an injection sees of its step: when it heals, and how to record a second fault it sets off within it. */
export interface StepWindow {
  healAt: Promise<void>;
  /**
   * records a further fault of this step (a crash point's `then`, a poison job's later strikes), in
   * place from now until `end()` or the step's heal, whichever comes first; a step may record several
   */
  also?: (fault: Fault, detail?: Record<string, unknown>) => { end(): void };
}

/** A timed step of a schedule: inject at `atMs` after the run starts, heal `durationMs` later. */
export interface FaultStep {
  atMs: number;
  durationMs: number;
  fault: Fault;
}

export type Schedule = FaultStep[];

/** How a fault kind injects and heals (the part of its module, FaultKindModule in kind.ts, that plays a step). */
export type FaultModule<F extends Fault = Fault> = Pick<FaultKindModule<F>, 'inject' | 'heal'>;

/** what a step of this fault names as its target (its kind's module says) */
export function targetOf(fault: Fault): string {
  return kindOf(fault).target(fault);
}

export function describeStep(step: FaultStep): string {
  const { fault } = step;
  const params = Object.entries(fault)
    .filter(([k, v]) => !['kind', 'link', 'process', 'worker'].includes(k) && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? `(${Object.entries(v).map(([a, b]) => `${a}=${b}`).join(' ')})` : v}`)
    .join(' ');
  return `at ${step.atMs} ms for ${step.durationMs} ms: ${fault.kind} on ${targetOf(fault)}${params ? ` (${params})` : ''}`;
}

/**
 * What a fault holds while it is in place (its kind's module says: `resource`), such that another step's heal would undo it: a link's
 * enabled flag (`down`), a process (`kill`, `pause`, `restart`, and `kill-executor` of a worker,
 * whose executor dies and freezes with it), or redis-server (`redis-restart`). Two steps on one
 * resource must not overlap: the first heal would re-enable the link, restart or SIGCONT the
 * process, or bring Redis back while the other step is meant to hold, and the printed schedule
 * would misstate what ran. Toxics have none (undefined): each step adds its own named toxic
 * (kinds/toxics.ts) and removes only that one, so toxics on one link nest correctly, and a link's
 * toxics are independent of its being down.
 */
export function resourceOf(fault: Fault): string | undefined {
  return kindOf(fault).resource?.(fault);
}

/**
 * How long a step holds its resource (its kind's module says: `holdMs`): its whole window, except a step whose heal undoes nothing
 * (an executor kill, plain or at a crash point: the worker starts a new executor itself), which
 * holds the worker only at the instant it is placed. So a worker can be killed or paused while it
 * recovers from its executor's death (a compound fault), but not struck by both at one instant.
 */
export function holdMs(step: FaultStep): number {
  return findFaultKind(step.fault.kind)?.holdMs?.(step) ?? step.durationMs;
}

/**
 * Whether two steps hold the same resource at some moment (holdMs). Windows are closed,
 * [atMs, atMs + durationMs]: a step that starts the very millisecond another heals races that
 * heal (two timers), so it counts as overlapping, as do two zero-length steps at the same time.
 */
export function stepsClash(a: FaultStep, b: FaultStep): boolean {
  const r = resourceOf(a.fault);
  return r !== undefined && r === resourceOf(b.fault) && a.atMs <= b.atMs + holdMs(b) && b.atMs <= a.atMs + holdMs(a);
}

/** The first pair of steps (earlier start first) that overlap on one resource, if any. */
export function findClash(schedule: Schedule): [FaultStep, FaultStep] | undefined {
  const sorted = [...schedule].sort((a, b) => a.atMs - b.atMs);
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      if (stepsClash(sorted[i]!, sorted[j]!)) return [sorted[i]!, sorted[j]!];
    }
  }
  return undefined;
}

/**
 * The schedule sorted by start, without every step that overlaps an earlier kept step on the
 * same resource (see resourceOf): the earlier step wins. A deterministic function of the
 * schedule, so a generated schedule, its shrinks and its replay from a seed and path are all
 * normalised the same way. Steps without a resource (toxics) are always kept.
 */
export function withoutOverlaps(schedule: Schedule): Schedule {
  const sorted = [...schedule].sort((a, b) => a.atMs - b.atMs);
  // kept steps on one resource are disjoint and sorted by start, so the last one ends last
  const lastEnd = new Map<string, number>();
  return sorted.filter((step) => {
    const r = resourceOf(step.fault);
    if (r === undefined) return true;
    const end = lastEnd.get(r);
    if (end !== undefined && step.atMs <= end) return false;
    lastEnd.set(r, step.atMs + holdMs(step));
    return true;
  });
}
