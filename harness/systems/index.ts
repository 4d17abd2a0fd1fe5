// The systems the harness knows without a config: the reference system and three queue
// libraries' applications. A system is one module behind SystemModule (types.ts); a config file
// adds its own (harness/registry/). A library's module is loaded only when asked for.

import { LIBRARY_PROVIDES, LIBRARY_SKIP } from './library.ts';
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

const library = (name: string, load: () => Promise<SystemModule>): SystemEntry => ({ name, provides: LIBRARY_PROVIDES, skip: LIBRARY_SKIP, load });

export const BUILTIN_SYSTEMS: readonly SystemEntry[] = [
  entryOf(reference),
  library('bullmq', async () => (await import('./bullmq.ts')).bullmq),
  library('bee-queue', async () => (await import('./bee-queue.ts')).beeQueue),
  library('bull', async () => (await import('./bull.ts')).bull),
];

/** A built-in system's module by name (an environment started without a module of its own). */
export async function loadSystem(name: string): Promise<SystemModule> {
  const entry = BUILTIN_SYSTEMS.find((s) => s.name === name);
  if (!entry) throw new Error(`no built-in system "${name}" (known: ${BUILTIN_SYSTEMS.map((s) => s.name).join(', ')})`);
  return entry.load();
}

export { reference };
export type { SystemModule, SystemShape, ProcessSpec, StartContext, Progress, Recording, Provides, Capability, EvidenceKind } from './types.ts';
