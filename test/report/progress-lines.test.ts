// The plain progress lines (--ci, a pipe): what a scenario's start says it will run, and which
// runs get a line. A simulated search logs every hundredth passing run; live, every run is logged,
// also when a scenario may draw more runs while a coverage goal is unmet.
import { describe, expect, it } from 'vitest';
import { ProgressReporter } from '../../harness/report/reporters/progress.ts';
import type { RunRecord } from '../../harness/runner/property.ts';
import type { Scenario } from '../../harness/runner/scenario.ts';

const scenario = { name: 'front-door', summary: 'the front door faulted' } as Scenario;
const run = (index: number) => ({ index, outcome: 'pass', shrinking: false, durationMs: 2000, settleTookMs: 100, settleCapped: false, schedule: [], verdicts: [] }) as unknown as RunRecord;

function lines(plan: { runs: number; searchMs?: number; capRuns?: number }, runs: number): string[] {
  const out: string[] = [];
  const r = new ProgressReporter((l) => out.push(l));
  r.onBegin({ plain: true } as Parameters<ProgressReporter['onBegin']>[0]);
  r.onScenarioStart(scenario, plan);
  for (let i = 0; i < runs; i++) r.onRun(scenario, run(i));
  return out;
}

describe('plain progress lines', () => {
  it('live: says how many runs, and how many more a coverage goal may draw; logs every run', () => {
    const out = lines({ runs: 4, capRuns: 12 }, 5);
    expect(out[0]).toBe('[front-door] the front door faulted: 4 runs, up to 12 while a coverage goal is unmet');
    expect(out.slice(1)).toHaveLength(5);
    expect(out[5]).toMatch(/^\[front-door\] run 5: ok in 2\.0s/);
    expect(lines({ runs: 4 }, 1)[0]).toBe('[front-door] the front door faulted: up to 4 runs');
  });

  it('a simulated search: its share of the budget, and a line for every hundredth passing run only', () => {
    const out = lines({ runs: 3, searchMs: 1900 }, 150);
    expect(out[0]).toBe('[front-door] the front door faulted: searching for 1.9s (at least 3 runs)');
    expect(out.slice(1).map((l) => l.match(/run (\d+):/)![1])).toEqual(['100']);
  });
});
