// This repository's registry as its own `npm run chaos` builds it: the built-ins and what the root
// chaos.config.ts adds, the example systems in examples/ (BullMQ, Bull, bee-queue).
import { PROJECT_ROOT } from '../../harness/env/binaries.ts';
import { loadConfig } from '../../harness/config/load.ts';
import { buildRegistry } from '../../harness/registry/build.ts';
import { systemNamed, type Registry } from '../../harness/registry/index.ts';
import type { SystemModule } from '../../harness/systems/types.ts';

export const REPO_REGISTRY: Registry = (await buildRegistry(await loadConfig(undefined, PROJECT_ROOT))).registry;

/** An example system's module by name (bullmq, bull, bee-queue). */
export async function exampleSystem(name: string): Promise<SystemModule> {
  const entry = systemNamed(REPO_REGISTRY, name);
  if (!entry) throw new Error(`no system "${name}" in this repository's chaos.config.ts`);
  return entry.load();
}
