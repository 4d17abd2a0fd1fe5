// A role killed while it is still starting (a kill step right after the heal that restarted it)
// must die as a whole. Found by the simulated soak (worker-crash, seed 1981158209): the killed
// incarnation went on starting as a zombie, took the executor meant for the next one, and the
// next heal never ended ("simulated run did not end: still running after 30 virtual minutes").
import { describe, expect, it } from 'vitest';
import { checkRun } from '../../harness/checkers/index.ts';
import type { RunPlan } from '../../harness/runner/run.ts';
import { simRunOnce } from '../../harness/sim/run.ts';
import { reference } from '../../harness/systems/reference.ts';

const job = (durationMs: number) => ({ description: 'step', payload: { durationMs, exitCode: 0, output: ['done'] }, timeoutMs: 20_000 });

describe('a simulated role killed while it is still starting', () => {
  it.each([1, 2, 3, 4])('dies as a whole and comes back whole at the next heal (second kill %i ms after the restart)', async (gapMs) => {
    const plan: RunPlan = {
      workload: { tasks: [0, 150, 300, 600, 900].map((atMs) => ({ atMs, description: 'jobs', jobs: [job(120), job(200)] })) },
      schedule: [
        { atMs: 200, durationMs: 300, fault: { kind: 'kill', process: 'worker-2' } },
        { atMs: 500 + gapMs, durationMs: 1000, fault: { kind: 'kill', process: 'worker-2' } },
      ],
      settleMs: 5000,
    };
    const out = await simRunOnce(reference, { workers: 2, keepers: 1, leaseMs: 2000, bugs: [] }, plan, 7);
    const { verdicts } = checkRun(out.history);
    expect(verdicts.filter((v) => v.valid !== true).map((v) => `${v.checker}: ${v.evidence[0]?.message}`)).toEqual([]);
    // both kills took effect, and worker-2 took probe work after the last heal
    expect(out.history.filter((e) => e.kind === 'nemesis' && e.type === 'start' && e.outcome === 'ok')).toHaveLength(2);
    expect(verdicts.find((v) => v.checker === 'progress')?.valid).toBe(true);
  }, 60_000);
});
