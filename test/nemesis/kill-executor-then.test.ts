// An executor kill with a second stop (`then`, simulation only): the worker is stopped again at a
// step of its recovery from its executor's death, recorded as a fault of its own, and brought back
// at the step's heal; the correct system still finishes every job.
import { describe, expect, it } from 'vitest';
import { checkRun } from '../../harness/checkers/index.ts';
import type { NemesisEntry } from '../../harness/history/types.ts';
import type { RunPlan } from '../../harness/runner/run.ts';
import { simRunOnce } from '../../harness/sim/run.ts';
import { reference } from '../../harness/systems/reference.ts';

const job = (durationMs: number) => ({ description: 'step', payload: { durationMs, exitCode: 0, output: ['done'] }, timeoutMs: 20_000 });
const shape = { workers: 2, keepers: 1, leaseMs: 2000, bugs: [] };
const workload = { tasks: [0, 100, 200].map((atMs) => ({ atMs, description: 'jobs', jobs: [job(600), job(300)] })) };

describe('an executor kill with a second stop, simulated', () => {
  it('kills the worker at its first command after the executor died, records both, and heals it', async () => {
    const plan: RunPlan = {
      workload,
      schedule: [{ atMs: 150, durationMs: 2000, fault: { kind: 'kill-executor', worker: 'worker-1', then: { watch: 'worker-1', command: '*', nth: 1, action: 'kill' } } }],
      settleMs: 10_000,
    };
    const out = await simRunOnce(reference, shape, plan, 5);
    const nemesis = out.history.filter((e): e is NemesisEntry => e.kind === 'nemesis');
    const starts = nemesis.filter((e) => e.type === 'start');
    expect(starts.map((e) => [e.stepId, e.fault, e.target, e.outcome])).toEqual([[0, 'kill-executor', 'executor of worker-1', 'ok'], [1, 'kill', 'worker-1', 'ok']]);
    expect(starts[1]!.t).toBeGreaterThanOrEqual(starts[0]!.t);
    expect(starts[1]!.detail).toMatchObject({ trigger: { watch: 'worker-1', command: '*', nth: 1, after: 'executor kill' } });
    // the executor kill is recorded as one, without its second stop's parameters
    expect(starts[0]!.detail).not.toHaveProperty('then');
    expect(nemesis.filter((e) => e.type === 'end').map((e) => e.stepId).sort()).toEqual([0, 1]);
    const { verdicts } = checkRun(out.history);
    expect(verdicts.filter((v) => v.valid !== true).map((v) => `${v.checker}: ${v.evidence[0]?.message}`)).toEqual([]);
  }, 60_000);
});
