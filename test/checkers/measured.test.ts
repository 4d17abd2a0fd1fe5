// Measured steps (harness/env/starvation.ts): a role starved of CPU is read like a pause of it by
// the judgments, and is no fault the search drew (it reaches no coverage goal).
import { describe, expect, it } from 'vitest';
import { runStats } from '../../harness/checkers/coverage.ts';
import { reexecution } from '../../harness/checkers/reexecution.ts';
import { HistoryBuilder } from './build.ts';

/** J-1 delivered to worker-1, started by its executor at 100, started again by worker-2's at 2500 */
function runTwice(h: HistoryBuilder): HistoryBuilder {
  h.execution('J-1', 1, 100, 'worker-1-executor');
  h.execution('J-1', 2, 2500, 'worker-2-executor');
  h.transition('J-1', 'running', 'completed', { t: 3000, source: 'executor', sourceId: 'worker-2-executor', attempt: 2 });
  return h;
}

const starved = (h: HistoryBuilder, who: string, measured = true) => {
  h.nemesis(200, 'start', 1_000_000, 'cpu-starved', who, { family: 'process', effect: 'freezes', detail: { kind: 'cpu-starved', process: who, ...(measured ? { measured: true } : {}), waitMs: 1900 } });
  h.nemesis(2200, 'end', 1_000_000, 'cpu-starved', who);
  return h;
};

describe('a measured starvation', () => {
  it('explains a rerun as a pause of the worker that held the job would', () => {
    expect(reexecution(runTwice(new HistoryBuilder()).build()).valid).toBe(false);
    const v = reexecution(runTwice(starved(new HistoryBuilder(), 'worker-1')).build());
    expect(v).toMatchObject({ valid: true, stats: { reexecutions: 1, explained: 1 } });
  });

  it('of another role explains nothing', () => {
    expect(reexecution(runTwice(starved(new HistoryBuilder(), 'keeper-1')).build()).valid).toBe(false);
  });

  it('is no fault of the search: no effective step, none while work was in hand', () => {
    const measured = runStats(runTwice(starved(new HistoryBuilder(), 'worker-1')).build());
    expect(measured).toMatchObject({ faults: 0, faultsWhileInFlight: 0 });
    // the same step drawn by the nemesis counts
    const drawn = runStats(runTwice(starved(new HistoryBuilder(), 'worker-1', false)).build());
    expect(drawn.faults).toBe(1);
  });
});
