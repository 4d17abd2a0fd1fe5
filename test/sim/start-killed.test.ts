// A role killed while it is still starting: a restart's heal starts the orchestrator while its link
// is down (it waits for Redis), and the next restart strikes before it is ready. The first start
// must fail, as a live process that exits before its ready line does. It used to wait forever (a
// connection cut while it reconnects never says so), so the run never ended: "still running after
// 30 virtual minutes", found by the mutants bench's control (seed 2, front-door, run 47).
import { describe, expect, it } from 'vitest';
import { checkRun } from '../../harness/checkers/index.ts';
import type { NemesisEntry } from '../../harness/history/types.ts';
import type { RunPlan } from '../../harness/runner/run.ts';
import { simRunOnce } from '../../harness/sim/run.ts';
import { reference } from '../../harness/systems/reference.ts';

const job = (durationMs: number) => ({ description: 'step', payload: { durationMs, exitCode: 0, output: ['done'] }, timeoutMs: 20_000 });
const shape = { workers: 2, keepers: 1, leaseMs: 2000, bugs: [] };
const workload = { tasks: [0, 300, 1500, 2500].map((atMs) => ({ atMs, description: 'jobs', jobs: [job(200), job(100)] })) };

describe('a simulated role killed while starting', () => {
  it('fails that start, and the run ends with the front door back', async () => {
    const plan: RunPlan = {
      workload,
      schedule: [
        { atMs: 102, durationMs: 1039, fault: { kind: 'restart', process: 'orchestrator' } },
        { atMs: 829, durationMs: 1191, fault: { kind: 'down', link: 'orchestrator' } },
        { atMs: 1249, durationMs: 759, fault: { kind: 'restart', process: 'orchestrator' } },
      ],
      settleMs: 8000,
    };
    const out = await simRunOnce(reference, shape, plan, 2);
    const ends = out.history.filter((e): e is NemesisEntry => e.kind === 'nemesis' && e.type === 'end');
    expect(ends).toHaveLength(3);
    // the first restart's heal started a process that the second restart killed before it was ready
    const firstHeal = ends.find((e) => e.stepId === 0)!;
    expect(String(firstHeal.detail?.error)).toMatch(/orchestrator is gone/);
    const { verdicts } = checkRun(out.history);
    expect(verdicts.filter((v) => v.valid !== true).map((v) => `${v.checker}: ${v.evidence[0]?.message}`)).toEqual([]);
  }, 60_000);
});
