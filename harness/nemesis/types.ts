import type { RunEnvironment } from '../env/surface.ts';
import { faultKindOf, isCustom, type CustomFault } from './kind.ts';

export type Direction = 'upstream' | 'downstream';

/** One fault, as data: a fast-check value, printable and replayable. */
export type Fault =
  | { kind: 'latency'; link: string; stream: Direction; latencyMs: number; jitterMs: number }
  | { kind: 'bandwidth'; link: string; stream: Direction; rateKBps: number }
  | { kind: 'slow_close'; link: string; stream: Direction; delayMs: number }
  | { kind: 'timeout'; link: string; stream: Direction; timeoutMs: number }
  | { kind: 'reset_peer'; link: string; stream: Direction; timeoutMs: number }
  | { kind: 'slicer'; link: string; stream: Direction; averageSize: number; sizeVariation: number; delayUs: number }
  | { kind: 'limit_data'; link: string; stream: Direction; bytes: number }
  | { kind: 'down'; link: string }
  /** rejoin 'new': healed as a new consumer (a new name), as when names come from host and pid; its old work must be taken over */
  | { kind: 'kill'; process: string; rejoin?: Rejoin }
  | { kind: 'kill-executor'; worker: string }
  | { kind: 'pause'; process: string }
  | { kind: 'restart'; process: string }
  | { kind: 'redis-restart' }
  /**
   * A crash point: armed at the step's start, it fires the moment the role `watch` (a process, or
   * `<worker>-executor`) has had its `nth` command (of name `command`, or any when '*') executed by
   * Redis, before the reply reaches it, and then does `action` to `process` (kill, kill-executor,
   * pause) until the heal. Simulation only: live it is an empty step. With `then` (after an
   * executor kill, which leaves the worker running): a second trigger is armed the moment the
   * first fires, and stops the worker at its `then.nth` command from then on, while it recovers.
   */
  | { kind: 'crash-point'; process: string; watch: string; command: string; nth: number; action: CrashAction; rejoin?: Rejoin; then?: CrashThen }
  /** a fault of a kind a config added (kind.ts): `<namespace>:<name>` and its parameters */
  | CustomFault;

/** A crash point's second stop, armed when its first fired: the process stopped at a step of its recovery. */
export interface CrashThen {
  watch: string;
  command: string;
  nth: number;
  action: 'kill' | 'pause';
}

/** How a killed role comes back at its heal: under its own name (default) or as a new consumer. */
export type Rejoin = 'same' | 'new';
export type CrashAction = 'kill' | 'kill-executor' | 'pause';

/** A fault of a built-in kind (every kind but a config's own) */
export type BuiltinFault = Exclude<Fault, CustomFault>;
/** the built-in kinds */
export type FaultKind = BuiltinFault['kind'];

/** A timed step of a schedule: inject at `atMs` after the run starts, heal `durationMs` later. */
/** What an injection sees of its step: when it heals, and how to record a second fault it sets off within it. */
export interface StepWindow {
  healAt: Promise<void>;
  /** records a further fault of this step, in place from now until the step's heal (a crash point's `then`) */
  also?: (fault: Fault, detail?: Record<string, unknown>) => void;
}

export interface FaultStep {
  atMs: number;
  durationMs: number;
  fault: Fault;
}

export type Schedule = FaultStep[];

/** One fault kind: how to inject it and how to heal it (Toxiproxy style: one kind, one module). */
export interface FaultModule<F extends Fault = Fault> {
  /**
   * resolves with `{ empty: why }` when there was nothing to hit (the history records the step as
   * empty, not as a fault), `{ fired: true }` when it waited for a trigger and hit then (the step
   * starts at that instant, not when it was armed). `window.healAt` settles at the step's heal.
   */
  inject(env: RunEnvironment, fault: F, stepId: number, window: StepWindow): Promise<void | { empty: string } | { fired: true }>;
  heal(env: RunEnvironment, fault: F, stepId: number): Promise<void>;
}

export function targetOf(fault: Fault): string {
  if (isCustom(fault)) return faultKindOf(fault).target(fault);
  if ('link' in fault) return `link ${fault.link}`;
  if ('process' in fault) return fault.process;
  if ('worker' in fault) return `executor of ${fault.worker}`;
  return 'redis';
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
 * What a fault holds while it is in place, such that another step's heal would undo it: a link's
 * enabled flag (`down`), a process (`kill`, `pause`, `restart`, and `kill-executor` of a worker,
 * whose executor dies and freezes with it), or redis-server (`redis-restart`). Two steps on one
 * resource must not overlap: the first heal would re-enable the link, restart or SIGCONT the
 * process, or bring Redis back while the other step is meant to hold, and the printed schedule
 * would misstate what ran. Toxics have none (undefined): each step adds its own named toxic
 * (linkToxic.ts) and removes only that one, so toxics on one link nest correctly, and a link's
 * toxics are independent of its being down.
 */
export function resourceOf(fault: Fault): string | undefined {
  if (isCustom(fault)) return faultKindOf(fault).resource?.(fault);
  switch (fault.kind) {
    case 'down': return `link ${fault.link}`;
    case 'kill':
    case 'pause':
    case 'crash-point':
    case 'restart': return `process ${fault.process}`;
    case 'kill-executor': return `process ${fault.worker}`;
    case 'redis-restart': return 'redis';
    default: return undefined;
  }
}

/**
 * How long a step holds its resource: its whole window, except a step whose heal undoes nothing
 * (an executor kill, plain or at a crash point: the worker starts a new executor itself), which
 * holds the worker only at the instant it is placed. So a worker can be killed or paused while it
 * recovers from its executor's death (a compound fault), but not struck by both at one instant.
 */
export function holdMs(step: FaultStep): number {
  const f = step.fault;
  return f.kind === 'kill-executor' || (f.kind === 'crash-point' && f.action === 'kill-executor' && !f.then) ? 0 : step.durationMs;
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
