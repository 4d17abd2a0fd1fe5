// Which scenarios and checkers apply to a system, decided from what the scenario or checker needs
// and what the system provides (SystemModule.provides), never from names.
import type { CheckerDef } from '../checkers/index.ts';
import type { Scenario } from '../runner/scenario.ts';
import type { Capability, Provides } from '../systems/types.ts';
import type { Registry, SystemEntry } from './index.ts';

/** each capability as a reason reads it: "it needs <this>" */
const NEEDED: Record<Capability, string> = {
  keepers: 'keepers (processes that decide events)',
  executors: 'an executor process per worker',
  'event-sources': 'two event sources per job (a worker and its executor)',
  'consumer-names': 'consumer names kept across a restart (a takeover is then a choice)',
  cancels: 'a front door that cancels jobs (a cancel answered 202 stops the payload)',
  concurrency: 'workers that run several jobs at once',
  'planted-bugs': 'planted bugs',
  simulation: 'a simulated form',
  containers: 'container images',
};

/** Why a scenario does not apply to a system, or undefined when it does. */
export function whyNot(scenario: Scenario, system: Pick<SystemEntry, 'name' | 'provides' | 'skip'>): string | undefined {
  const missing = (scenario.needs ?? []).filter((c) => !system.provides.capabilities.includes(c));
  if (missing.length) return `it needs ${missing.map((c) => NEEDED[c]).join(' and ')}, which ${system.name} does not provide`;
  if (scenario.simOnly && !system.provides.capabilities.includes('simulation')) return `it runs in simulation only (${scenario.simOnly}), and ${system.name} has no simulated form`;
  return system.skip?.[scenario.name];
}

/** The checkers whose evidence a system provides (the others would judge what it never records). */
export function checkersFor(provides: Provides, checkers: readonly CheckerDef[]): CheckerDef[] {
  return checkers.filter((c) => (c.needs ?? []).every((e) => provides.evidence.includes(e)));
}

/** The systems that provide a capability, for a message that says where it can be had. */
export function providing(r: Registry, capability: Capability): string[] {
  return r.systems.filter((s) => s.provides.capabilities.includes(capability)).map((s) => s.name);
}
