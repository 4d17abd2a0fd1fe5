// Every system the harness can test (--system). A system is one module behind SystemModule
// (types.ts); the library systems are loaded only when asked for.

import { LIBRARY_SCENARIOS } from './library.ts';
import { reference } from './reference.ts';
import type { SystemModule } from './types.ts';

export const SYSTEM_NAMES = ['reference', 'bullmq', 'bee-queue', 'bull'] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];

export function isSystemName(s: string): s is SystemName {
  return (SYSTEM_NAMES as readonly string[]).includes(s);
}

/** The module of a system: the reference system at once, a library's on first use. */
export async function loadSystem(name: SystemName): Promise<SystemModule> {
  switch (name) {
    case 'reference': return reference;
    case 'bullmq': return (await import('./bullmq.ts')).bullmq;
    case 'bee-queue': return (await import('./bee-queue.ts')).beeQueue;
    case 'bull': return (await import('./bull.ts')).bull;
  }
}

/** Which scenarios make sense for a system, known before its module is loaded (the CLI checks a selection with it). */
export interface ScenarioSet {
  runs: 'all' | readonly string[];
  /** scenario → why it does not apply */
  skipped: Readonly<Record<string, string>>;
}

export function scenarioSetOf(name: SystemName): ScenarioSet {
  return name === 'reference' ? reference.scenarios : LIBRARY_SCENARIOS;
}

/** The reference system alone has planted bugs (`verify`), a simulated form (`--sim`) and container images (`--env docker`). */
export const onlyReference = (name: SystemName): boolean => name === 'reference';

export { reference };
export type { SystemModule, SystemShape, ProcessSpec, StartContext, Progress, Recording } from './types.ts';
