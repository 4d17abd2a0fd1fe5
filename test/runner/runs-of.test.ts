import { describe, expect, it } from 'vitest';
import { runsOf, type Scenario } from '../../harness/runner/scenario.ts';
import { SCENARIOS } from '../../scenarios/index.ts';

const explore = SCENARIOS.find((s) => s.name === 'explore')!;
const latency = SCENARIOS.find((s) => s.name === 'latency')!;

describe('runsOf', () => {
  it('--runs wins; else explore fills a --budget, runs its soak number under --soak, its own number otherwise', () => {
    expect(runsOf(explore, { runs: 2, budgetMs: 60_000, soak: true })).toBe(2);
    expect(runsOf(explore, { budgetMs: 60_000 })).toBeGreaterThan(1000);
    expect(runsOf(explore, { soak: true })).toBe(explore.soakRuns);
    expect(explore.soakRuns!).toBeGreaterThan(explore.runs);
    expect(runsOf(explore, {})).toBe(explore.runs);
  });

  it('a scenario without a soak number or budget filling keeps its own under both', () => {
    expect(latency.fillsBudget).toBeFalsy();
    expect(runsOf(latency, { budgetMs: 60_000, soak: true })).toBe(latency.runs);
    const s: Scenario = { ...latency, soakRuns: 9 };
    expect(runsOf(s, { soak: true })).toBe(9);
  });
});
