// Determinism of the simulation: the same plan and seed give the same history, bit for bit,
// whatever ran before in the process. Every scenario's generated plans are run once in order
// and once in reverse, each history digested; a real timer or real I/O that escaped the
// scheduler would change the interleaving (or leave a run stuck) and fail this. The cases and
// the digest are shared with the library systems' test (determinism-cases.ts,
// test/examples/library-determinism.test.ts).
import { describe, expect, it } from 'vitest';
import { reference } from '../../harness/systems/reference.ts';
import { determinismCases, determinismFailures, digestsBothWays, historyDigest, simScenarios, type Case } from './determinism-cases.ts';

const SEEDS = [1, 2];
const PLANS_PER_SEED = 2;

describe('simulation determinism', () => {
  it(`gives every scenario's plans (${SEEDS.length} seeds × ${PLANS_PER_SEED}) the same history run in order and in reverse`, async () => {
    const scenarios = simScenarios(reference.name);
    const all = determinismCases(reference, scenarios, { seeds: SEEDS, plansPerSeed: PLANS_PER_SEED });
    const digests = await digestsBothWays(reference, all);
    expect(digests.forward.size).toBe(scenarios.length * SEEDS.length * PLANS_PER_SEED);
    // the same digest both ways, and digests of histories that differ from run to run (not one constant)
    expect(determinismFailures(all, digests)).toEqual({ mismatched: [], shared: [] });
  }, 300_000);

  it('is deterministic with a planted bug that makes runs fail', async () => {
    const reorder = simScenarios(reference.name).filter((s) => s.name === 'reorder');
    const all = determinismCases(reference, reorder, { seeds: SEEDS, plansPerSeed: PLANS_PER_SEED, bugs: ['lww-status'] });
    expect(all.length).toBeGreaterThan(0);
    for (const c of all) expect(await historyDigest(reference, c), c.label).toBe(await historyDigest(reference, c));
  }, 120_000);
});

describe('the determinism check', () => {
  const c = (label: string): Case => ({ label, shape: { workers: 1, keepers: 0, leaseMs: 1000, bugs: [] }, plan: { workload: { tasks: [] }, schedule: [], settleMs: 0 }, seed: 1 });
  const cases = ['a', 'b', 'c'].map(c);

  it('fails a case whose digest differs between the two passes', () => {
    const forward = new Map([['a', '1'], ['b', '2'], ['c', '3']]);
    expect(determinismFailures(cases, { forward, backward: new Map([['a', '1'], ['b', 'x'], ['c', '3']]) })).toEqual({ mismatched: ['b'], shared: [] });
    expect(determinismFailures(cases, { forward, backward: new Map([['a', '1'], ['b', '2']]) }).mismatched).toEqual(['c']);
  });

  it('fails cases whose different plans give one digest', () => {
    const forward = new Map([['a', '1'], ['b', '1'], ['c', '3']]);
    expect(determinismFailures(cases, { forward, backward: forward })).toEqual({ mismatched: [], shared: ['a', 'b'] });
  });
});
