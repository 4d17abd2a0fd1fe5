// Determinism of the simulation for every library application that simulates (capability
// 'simulation' in this repository's registry, as chaos.config.ts lists them: BullMQ, Bull,
// bee-queue, and any that gains a simulated form), over every scenario `chaos --sim --system <name>`
// runs by default (a scenario that needs keepers, executors, ... is left out as the suite leaves it
// out): each scenario's plans (2 seeds × 2 plans) run in order and in reverse give the same history
// digest, and different plans give different digests. The same check as the reference system's
// (test/sim/determinism.test.ts, determinism-cases.ts). A library run is as cheap as a reference run
// in simulation (about 0.1 s), so the full set of 2 × 2 plans per scenario is kept: 5 to 14 s per
// library on a shared 2-core machine at load 4 (both passes), under 30 s for the three.
import { describe, expect, it } from 'vitest';
import { REPO_REGISTRY } from '../systems/examples.ts';
import { determinismCases, determinismFailures, digestsBothWays, simScenarios } from '../sim/determinism-cases.ts';

const SEEDS = [1, 2];
const PLANS_PER_SEED = 2;

const LIBRARIES = REPO_REGISTRY.systems.filter((s) => s.name !== 'reference' && s.provides.capabilities.includes('simulation'));

describe('library systems that simulate', () => {
  it('include the ones this repository simulates today', () => {
    expect(LIBRARIES.map((s) => s.name)).toEqual(expect.arrayContaining(['bullmq', 'bull']));
  });
});

describe.each(LIBRARIES.map((entry) => ({ name: entry.name, entry })))('$name: simulation determinism', ({ name, entry }) => {
  it(`gives every scenario's plans (${SEEDS.length} seeds × ${PLANS_PER_SEED}) the same history run in order and in reverse`, async () => {
    const system = await entry.load();
    const scenarios = simScenarios(name, REPO_REGISTRY);
    expect(scenarios.length).toBeGreaterThan(0);
    const all = determinismCases(system, scenarios, { seeds: SEEDS, plansPerSeed: PLANS_PER_SEED });
    const digests = await digestsBothWays(system, all);
    expect(digests.forward.size).toBe(scenarios.length * SEEDS.length * PLANS_PER_SEED);
    expect(determinismFailures(all, digests)).toEqual({ mismatched: [], shared: [] });
  }, 240_000);
});
