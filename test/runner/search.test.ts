// A budgeted search (RunScenarioOptions.search, what --sim does with its budget): a scenario draws
// runs for its share of the budget, at least its minimum, and past the share while a coverage goal
// is unmet, up to the cap. No run is cut short: the check stops before the next one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { History } from '../../harness/history/types.ts';
import { runScenario, SEARCH_RECORDS_KEPT, type RunTarget } from '../../harness/runner/property.ts';
import type { Scenario } from '../../harness/runner/scenario.ts';
import type { Schedule } from '../../harness/nemesis/index.ts';

const SNAPSHOT: History = [{ kind: 'snapshot', t: 10, tasks: [], runningSet: [], runningInfo: [] }];

/** each run takes `ms` of real time; the n-th run (0-based) of `metFrom` on meets the goal */
function setup(ms: number, metFrom: number) {
  let started = 0;
  const target: RunTarget = {
    context: { workers: ['worker-1'], keepers: [], frontDoor: 'orchestrator', leaseMs: 1000, simulated: true, targets: { links: [], processes: ['orchestrator'], workers: ['worker-1'] } },
    checkers: 'all',
    run: async () => {
      started++;
      await new Promise((r) => setTimeout(r, ms));
      // the goal reads the run's stats: a run meets it by being late enough (faults counts nemesis starts)
      const history: History = started > metFrom
        ? [{ kind: 'nemesis', t: 1, type: 'start', stepId: 0, fault: 'kill', target: 'worker-1', outcome: 'ok' }, ...SNAPSHOT]
        : SNAPSHOT;
      return { history, durationMs: ms, settleTookMs: 0, settleCapped: false, collectMs: 0, resetMs: 0, restarted: false };
    },
  };
  const scenario: Scenario = {
    name: 'fake', summary: 'fake', env: {}, runs: 2,
    workload: () => fc.constant({ tasks: [] }),
    schedule: () => fc.constant([] as Schedule),
    goals: [{ name: 'a fault took effect', met: (s) => s.faults > 0 }],
  };
  return { target, scenario, started: () => started };
}

describe('a budgeted search', () => {
  it('draws runs until its share is spent once every goal is met', async () => {
    const { target, scenario, started } = setup(20, 0);
    const r = await runScenario(target, scenario, { runs: 2, seed: 1, search: { shareMs: 300, capMs: 900, minRuns: 2 } });
    expect(r.verdict).toBe('pass');
    // ~300 ms of 20 ms runs: far more than the minimum, and no run begun after the share was spent
    expect(r.runs).toBeGreaterThan(5);
    expect(r.durationMs).toBeLessThan(900);
    expect(started()).toBe(r.runs);
  });

  it('goes on past its share while a goal is unmet, and stops once it is met', async () => {
    const { target, scenario } = setup(20, 25);
    const r = await runScenario(target, scenario, { runs: 2, seed: 1, search: { shareMs: 100, capMs: 5000, minRuns: 2 } });
    expect(r.verdict).toBe('pass');
    expect(r.runs).toBe(26);
    expect(r.goals[0]!.metInRuns).toBe(1);
  });

  it('is vacuous at the cap when the goal is never met', async () => {
    const { target, scenario } = setup(20, Infinity);
    const r = await runScenario(target, scenario, { runs: 2, seed: 1, search: { shareMs: 100, capMs: 400, minRuns: 2 } });
    expect(r.verdict).toBe('vacuous');
    expect(r.durationMs).toBeGreaterThanOrEqual(400);
    expect(r.durationMs).toBeLessThan(2000);
  });

  it('keeps every run in its count but only the first passing ones (and any failing) in its records', async () => {
    const { target, scenario } = setup(0, 0);
    const r = await runScenario(target, scenario, { runs: 2, seed: 1, search: { shareMs: 1500, capMs: 3000, minRuns: 2 } });
    expect(r.runs).toBeGreaterThan(SEARCH_RECORDS_KEPT);
    expect(r.records).toHaveLength(SEARCH_RECORDS_KEPT);
    expect(r.recordsOmitted).toBe(r.runs - SEARCH_RECORDS_KEPT);
    expect(r.goals[0]!.metInRuns).toBe(r.runs);
  });

  it('with a goal unmet, goes on past its cap in time until it has drawn its cap in runs: a short budget is not VACUOUS by the chance of a few runs', async () => {
    // the goal is met from the 8th run on; the share and the cap in time are spent after the first
    const late = setup(20, 7);
    const r = await runScenario(late.target, late.scenario, { runs: 2, seed: 1, search: { shareMs: 1, capMs: 1, minRuns: 2, capRuns: 10 } });
    expect(r.verdict).toBe('pass');
    expect(r.runs).toBe(8);
    // never met: VACUOUS once both caps are reached, at exactly the cap in runs
    const never = setup(20, Infinity);
    const v = await runScenario(never.target, never.scenario, { runs: 2, seed: 1, search: { shareMs: 1, capMs: 1, minRuns: 2, capRuns: 6 } });
    expect(v.verdict).toBe('vacuous');
    expect(v.runs).toBe(6);
  });

  it('runs its minimum even when the share is spent at once', async () => {
    const { target, scenario } = setup(60, 0);
    const r = await runScenario(target, scenario, { runs: 2, seed: 1, search: { shareMs: 1, capMs: 1, minRuns: 4 } });
    expect(r.runs).toBe(4);
  });
});
