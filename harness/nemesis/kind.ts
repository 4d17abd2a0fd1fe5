// A fault kind: one module that says how to inject and heal it, what it holds and how it reads,
// and (optionally) how the search draws it, how long it holds a message, its family and colour.
// The built-in kinds are modules of this interface (kinds/, listed in kinds/index.ts); a config
// adds its own (`faultKinds`). Their faults are data like the built-ins' (printed in the
// schedule, shrunk, replayed from a seed), so a config's kind is namespaced: `acme:clock-skew`.
// It speaks the same controls as the built-ins (RunEnvironment: processes, links, Redis), so it
// runs live and in simulation alike.
import type { Arbitrary } from 'fast-check';
import type { RunEnvironment } from '../env/surface.ts';
import type { Targets } from './arbitraries.ts';
import type { Fault, StepWindow } from './types.ts';
import type { FaultEffect } from '../history/types.ts';

/** A fault of a kind of your own: its kind (`<namespace>:<name>`) and its parameters, all plain data. */
export interface CustomFault {
  kind: `${string}:${string}`;
  [param: string]: unknown;
}

/**
 * What a fault family says of every kind in it, for the checkers (through the history's nemesis
 * start entries) and the report: `process` (a kill, pause or restart of a process: judged at the
 * instant it began, when the process held work or not), `link` (a link slowed, cut or down: judged
 * over its window), `redis` (Redis itself).
 */
export type FaultFamily = 'link' | 'process' | 'redis';

export interface FaultKindModule<F extends { kind: string } = CustomFault> {
  /** the `kind` of its faults: `<namespace>:<name>` for a config's own, a plain name for a built-in */
  kind: F['kind'];
  /** one line: what it does */
  summary: string;
  /** what a step of it names as its target in the schedule and the report ("link worker-1", "worker-2", "redis") */
  target(fault: F): string;
  /**
   * What a step holds while it is in place, so that no other step on it overlaps (a second kill of
   * one process, a heal that would end another step early): `process <id>`, `link <name>`, `redis`.
   * Absent or undefined: it holds nothing (it nests with every other step, as a toxic does).
   */
  resource?(fault: F): string | undefined;
  /**
   * Puts the fault in place; `{ empty: why }` when there was nothing to hit (recorded as such, not
   * as a fault); `{ fired: true }` when it waited for a trigger and hit then (the step starts at
   * that instant, not when it was armed). `window.healAt` settles at the step's heal.
   */
  inject(env: RunEnvironment, fault: F, stepId: number, window: StepWindow): Promise<void | { empty: string } | Fired>;
  /** undoes it at the step's heal (the run's final heal brings every process, link and Redis back regardless) */
  heal(env: RunEnvironment, fault: F, stepId: number): Promise<void>;
  /** its family (recorded on the step's start entry, read by the checkers); absent: none of them (judged over its window) */
  family?: FaultFamily;
  /**
   * what a step of it does to what it strikes (recorded on the start entry, read by the checkers:
   * which deviations it can explain, e.g. a job run again after a link `cuts`); absent: nothing,
   * so no deviation is excused by it
   */
  effect?: FaultEffect;
  /** how the search draws one of its faults on these targets (faultArb, scheduleArb); absent: only a scenario's own arbitrary draws it */
  arbitrary?(targets: Targets): Arbitrary<F>;
  /** how long a step holds its resource (see holdMs in types.ts); absent: its whole window */
  holdMs?(step: { atMs: number; durationMs: number; fault: F }): number;
  /** the longest it may hold one message of `messageBytes` on its link (the run waits that long past the heal); absent: 0 */
  maxDelayMs?(fault: F, messageBytes: number): number;
  /** its colour in the report's charts (CSS hex); absent: the toxics' orange */
  colour?: string;
  /**
   * Why a fault of it has no live form, when it has none (a simulated run with it prints no live
   * replay): e.g. a trigger on a command reaching Redis, which only the simulation sees. Absent or
   * undefined: the same seed and path replay it on real processes.
   */
  simulationOnly?(fault: F): string | undefined;
  /**
   * What the history records for a step of it, when that is another fault (a crash point is
   * recorded as the kill, pause or executor kill it did), and details for the start entry.
   * Absent: the fault itself.
   */
  recordedAs?(fault: F): { fault: Fault; detail?: Record<string, unknown> };
}

/**
 * A triggered step that hit: it starts at that instant. With `as`, what it did, when only its
 * trigger could say (a poison job: the kill of whichever worker ran the job first): the step is
 * recorded as that fault (not as its own kind, nor its `recordedAs`), and ends when `ended`
 * settles if that comes before the step's heal (the struck worker back before the step is over).
 */
export interface Fired {
  fired: true;
  as?: { fault: Fault; detail?: Record<string, unknown>; ended?: Promise<void> };
}

const KIND = /^[a-z0-9][a-z0-9-]*:[a-z0-9][a-z0-9-]*$/;

/** The fault kinds a config added: one table for the process, filled once when the config is read. */
const kinds = new Map<string, FaultKindModule>();

/** Adds fault kinds (a config's `faultKinds`); a second kind of one name is refused. */
export function registerFaultKinds(list: readonly FaultKindModule[]): void {
  for (const k of list) {
    if (!KIND.test(k.kind)) throw new Error(`fault kind "${k.kind}" must be <namespace>:<name> in lower case (like acme:clock-skew), so it never clashes with a built-in`);
    const known = kinds.get(k.kind);
    if (known && known !== k) throw new Error(`fault kind "${k.kind}" is defined twice`);
    kinds.set(k.kind, k);
  }
}

/** The module of a custom fault's kind; an error that names the kind when no config added it. */
export function faultKindOf(fault: CustomFault): FaultKindModule {
  const k = kinds.get(fault.kind);
  if (!k) throw new Error(`no fault kind "${fault.kind}" (add it to the config's faultKinds)`);
  return k;
}

/** The module of a config's kind, or undefined when no config added it. */
export const customKind = (kind: string): FaultKindModule | undefined => kinds.get(kind);

/** Whether a fault is of a kind of your own (built-in kinds have no namespace). */
export const isCustom = (fault: { kind: string }): fault is CustomFault => fault.kind.includes(':');
