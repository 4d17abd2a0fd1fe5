// A fault kind of your own, from a config file (`faultKinds`): one module that says how to inject
// and heal it, what it holds and how it reads. Its faults are data like the built-ins' (printed in
// the schedule, shrunk, replayed from a seed), so its kind is namespaced: `acme:clock-skew`.
// It speaks the same controls as the built-ins (RunEnvironment: processes, links, Redis), so it
// runs live and in simulation alike.
import type { RunEnvironment } from '../env/surface.ts';
import type { StepWindow } from './types.ts';

/** A fault of a kind of your own: its kind (`<namespace>:<name>`) and its parameters, all plain data. */
export interface CustomFault {
  kind: `${string}:${string}`;
  [param: string]: unknown;
}

export interface FaultKindModule<F extends CustomFault = CustomFault> {
  /** `<namespace>:<name>`, the `kind` of its faults */
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
  /** puts the fault in place; `{ empty: why }` when there was nothing to hit (recorded as such, not as a fault) */
  inject(env: RunEnvironment, fault: F, stepId: number, window: StepWindow): Promise<void | { empty: string }>;
  /** undoes it at the step's heal (the run's final heal brings every process, link and Redis back regardless) */
  heal(env: RunEnvironment, fault: F, stepId: number): Promise<void>;
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

/** Whether a fault is of a kind of your own (built-in kinds have no namespace). */
export const isCustom = (fault: { kind: string }): fault is CustomFault => fault.kind.includes(':');
