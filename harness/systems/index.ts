// Every system the harness can test (--system). A system is one module behind SystemModule
// (types.ts); the library systems are loaded only when asked for.

import { reference } from './reference.ts';
import type { SystemModule } from './types.ts';

export const SYSTEM_NAMES = ['reference'] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];

export function isSystemName(s: string): s is SystemName {
  return (SYSTEM_NAMES as readonly string[]).includes(s);
}

/** The module of a system: the reference system at once, a library's on first use. */
export async function loadSystem(name: SystemName): Promise<SystemModule> {
  switch (name) {
    case 'reference': return reference;
  }
}

export { reference };
export type { SystemModule, SystemShape, ProcessSpec, StartContext, Progress, Recording } from './types.ts';
