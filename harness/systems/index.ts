// The systems the harness knows without a config: the reference system. A system is one module
// behind SystemModule (types.ts); a config file adds its own (harness/registry/), as this
// repository's chaos.config.ts adds the example applications on BullMQ, Bull and bee-queue.

import { reference } from './reference.ts';
import type { Provides, SystemModule } from './types.ts';

/** A system as the registry lists it: what it provides is known before its module is loaded (the command line is checked with it). */
export interface SystemEntry {
  name: string;
  provides: Provides;
  skip?: Readonly<Record<string, string>>;
  load(): Promise<SystemModule>;
}

/** An entry for a module already loaded (the reference system, a config's own system). */
export const entryOf = (system: SystemModule): SystemEntry => ({
  name: system.name, provides: system.provides, ...(system.skip ? { skip: system.skip } : {}), load: async () => system,
});

export const BUILTIN_SYSTEMS: readonly SystemEntry[] = [entryOf(reference)];

/** A built-in system's module by name (an environment started without a module of its own). */
export async function loadSystem(name: string): Promise<SystemModule> {
  const entry = BUILTIN_SYSTEMS.find((s) => s.name === name);
  if (!entry) throw new Error(`no built-in system "${name}" (known: ${BUILTIN_SYSTEMS.map((s) => s.name).join(', ')})`);
  return entry.load();
}

export { reference };
export type { SystemModule, SystemShape, ProcessSpec, StartContext, Progress, Recording, Provides, Capability, EvidenceKind } from './types.ts';
