// The determinism check of the simulation, for any system that simulates (test/sim/determinism.test.ts
// for the reference system, test/examples/library-determinism.test.ts for the library applications):
// every scenario's generated plans, each run and its history digested, once in order and once in
// reverse. The same plan and seed must give the same digest whatever ran before in the process; a
// real timer or real I/O that escaped the scheduler would change the interleaving (or leave a run
// stuck) and fail it. The scenarios are those `chaos --sim --system <name>` runs by default.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { defaultScenarios } from '../../harness/config/options.ts';
import { DEFAULT_ENV_OPTIONS } from '../../harness/env/environment.ts';
import { BUILTINS, type Registry } from '../../harness/registry/index.ts';
import type { RunPlan } from '../../harness/runner/run.ts';
import type { Scenario } from '../../harness/runner/scenario.ts';
import { simRunOnce, simTarget } from '../../harness/sim/run.ts';
import type { SimShape } from '../../harness/sim/world.ts';
import type { SystemModule } from '../../harness/systems/types.ts';

export interface Case {
  label: string;
  shape: SimShape;
  plan: RunPlan;
  seed: number;
}

/** The scenarios `chaos --sim --system <name>` runs by default: those whose needs the system provides, and not in its skip list. */
export const simScenarios = (system: string, registry: Registry = BUILTINS): Scenario[] => defaultScenarios(system, true, registry);

/** Every scenario's plans: `plansPerSeed` plans per seed, drawn as the scenario's generators draw them, at its default shape. */
export function determinismCases(system: SystemModule, scenarios: readonly Scenario[], o: { seeds: readonly number[]; plansPerSeed: number; bugs?: string[] }): Case[] {
  const out: Case[] = [];
  for (const scenario of scenarios) {
    const shape = { ...DEFAULT_ENV_OPTIONS, ...scenario.env, bugs: o.bugs ?? [] };
    for (const seed of o.seeds) {
      const ctx = simTarget(system, shape, seed).context;
      const plans = fc.sample(fc.tuple(scenario.workload(ctx), scenario.schedule(ctx)), { seed, numRuns: o.plansPerSeed });
      const settleMs = scenario.settleMs ?? shape.leaseMs * 2 + 6000;
      plans.forEach(([workload, schedule], i) => out.push({ label: `${scenario.name} seed ${seed} #${i}`, shape, plan: { workload, schedule, settleMs }, seed }));
    }
  }
  return out;
}

/** sha256 of a simulated run's history. */
export async function historyDigest(system: SystemModule, c: Case): Promise<string> {
  const out = await simRunOnce(system, c.shape, c.plan, c.seed);
  return createHash('sha256').update(JSON.stringify(out.history)).digest('hex');
}

/** Every case's digest, run in order and then in reverse. */
export async function digestsBothWays(system: SystemModule, cases: readonly Case[]): Promise<{ forward: Map<string, string>; backward: Map<string, string> }> {
  const forward = new Map<string, string>();
  for (const c of cases) forward.set(c.label, await historyDigest(system, c));
  const backward = new Map<string, string>();
  for (const c of [...cases].reverse()) backward.set(c.label, await historyDigest(system, c));
  return { forward, backward };
}

/**
 * What differs between the two passes, and the labels whose digest another case shares (the
 * digests must be of histories that differ from plan to plan, not one constant): both empty when
 * the system is deterministic.
 */
export function determinismFailures(cases: readonly Case[], d: { forward: Map<string, string>; backward: Map<string, string> }): { mismatched: string[]; shared: string[] } {
  const mismatched = cases.filter((c) => d.forward.get(c.label) === undefined || d.backward.get(c.label) !== d.forward.get(c.label)).map((c) => c.label);
  const byDigest = new Map<string, string[]>();
  for (const c of cases) {
    const h = d.forward.get(c.label)!;
    byDigest.set(h, [...(byDigest.get(h) ?? []), c.label]);
  }
  const shared = [...byDigest.values()].filter((labels) => labels.length > 1).flat();
  return { mismatched, shared };
}
