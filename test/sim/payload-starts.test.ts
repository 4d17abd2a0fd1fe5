// The harness's own record of payload starts in simulation: the world records every payload its
// payload edge starts, so a run's history has one start (kind 'payload') per start the system
// logged, with the same (jobId, attempt, executorId), including the rerun after an executor was
// killed under its payload; and the same run gives the same starts at the same times.
import { describe, expect, it } from 'vitest';
import type { RunPlan } from '../../harness/runner/run.ts';
import { simRunOnce } from '../../harness/sim/run.ts';
import { reference } from '../../harness/systems/reference.ts';
import type { ExecutionEntry, History, NemesisEntry, PayloadStartEntry } from '../../harness/history/types.ts';

const shape = { workers: 2, keepers: 1, leaseMs: 2000, bugs: [] };
const job = (durationMs: number) => ({ description: 'job', payload: { durationMs, exitCode: 0, output: ['ok'] }, timeoutMs: 10_000 });
const plan: RunPlan = {
  workload: {
    tasks: [
      { atMs: 0, description: 'slow', jobs: [job(1500)] },
      { atMs: 50, description: 'quick', jobs: [job(20), job(20), job(20)] },
    ],
  },
  // both executors: whichever runs the slow job is killed under it
  schedule: [
    { atMs: 700, durationMs: 100, fault: { kind: 'kill-executor', worker: 'worker-1' } },
    { atMs: 700, durationMs: 100, fault: { kind: 'kill-executor', worker: 'worker-2' } },
  ],
  settleMs: 5000,
};

const key = (e: { jobId: string; attempt: number; executorId: string }) => `${e.jobId}/${e.attempt}/${e.executorId}`;
const starts = (h: History) => h.filter((e): e is PayloadStartEntry => e.kind === 'payload');

describe('harness-recorded payload starts (simulated)', () => {
  it('records one start per start the system logged, with the same ids, the rerun after a killed executor included', async () => {
    const { history } = await simRunOnce(reference, shape, plan, 1);
    const ours = starts(history);
    const logged = new Set(history.filter((e): e is ExecutionEntry => e.kind === 'execution').map(key));
    expect(ours.length).toBe(logged.size);
    expect(new Set(ours.map(key))).toEqual(logged);
    // the slow job is the one that ran twice
    const rerun = ours.find((s) => s.attempt === 2);
    const slow = ours.filter((s) => s.jobId === rerun?.jobId).sort((a, b) => a.attempt - b.attempt);
    expect(slow.map((s) => s.attempt)).toEqual([1, 2]);
    const kill = history.find((e): e is NemesisEntry => e.kind === 'nemesis' && e.type === 'start')!;
    expect(slow[0]!.t).toBeLessThan(kill.t);
    expect(slow[1]!.t).toBeGreaterThan(kill.t);
    expect(ours.every((s) => /^worker-[12]-executor$/.test(s.executorId))).toBe(true);
  });

  it('is deterministic: the same plan and seed give the same starts at the same times', async () => {
    const a = starts((await simRunOnce(reference, shape, plan, 2)).history);
    const b = starts((await simRunOnce(reference, shape, plan, 2)).history);
    expect(a.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  });
});
