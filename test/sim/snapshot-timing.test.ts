// When the runner reads the final state: not the moment every job is terminal, but once the
// system is quiet and nothing is in flight, and once more a quiet period later. Simulated runs
// (deterministic: the same plan and seed give the same history).
import { describe, expect, it } from 'vitest';
import { checkRun } from '../../harness/checkers/index.ts';
import type { SnapshotEntry, TransitionEntry } from '../../harness/history/types.ts';
import type { RunPlan } from '../../harness/runner/run.ts';
import { simRunOnce } from '../../harness/sim/run.ts';
import { reference } from '../../harness/systems/reference.ts';

const job = (durationMs: number) => ({ description: 'step', payload: { durationMs, exitCode: 0, output: ['done'] }, timeoutMs: 20_000 });
const snapshots = (history: readonly { kind: string }[]) => history.filter((e): e is SnapshotEntry => e.kind === 'snapshot');

describe('the final state is read once nothing is in flight', () => {
  it("judges a stale write that lands after every job is terminal (lww-status: a late running over completed, resent after the settle ended)", async () => {
    // The only worker's link slows its commands by 1.5 s from the start: the worker reads the job,
    // then sends three slowed commands (read the job hash, count the attempt, publish `running`),
    // forking the executor after the second (~3 s). The executor's link is not slowed, so its
    // `completed` is applied ~0.3 s after the fork. The worker's `running` is still held by the
    // latency when its link goes down (3.05 s): the reset loses it, and the worker's client
    // resends it once it reconnects after the heal (3.6 s; its retry backoff brings it back ~0.2 s
    // later). Every job is terminal at the heal, and the settle finds so at once; the stale
    // `running` lands after it and the lww-status keeper writes it over `completed`, after a
    // runner that read the final state the moment every job was terminal had read it. (The
    // latency's removal alone would not do it: Toxiproxy, as the simulation, lets what a removed
    // latency held go on at once, here at 3.4 s, before the link is back.)
    const plan: RunPlan = {
      workload: { tasks: [{ atMs: 0, description: 'one job', jobs: [job(300)] }] },
      schedule: [
        { atMs: 0, durationMs: 3400, fault: { kind: 'latency', link: 'worker-1', stream: 'upstream', latencyMs: 1500, jitterMs: 0 } },
        { atMs: 3050, durationMs: 550, fault: { kind: 'down', link: 'worker-1' } },
      ],
      settleMs: 5000,
    };
    const out = await simRunOnce(reference, { workers: 1, keepers: 1, leaseMs: 5000, bugs: ['lww-status'] }, plan, 1);
    const { verdicts } = checkRun(out.history);
    const terminalStable = verdicts.find((v) => v.checker === 'terminalStable')!;
    expect(terminalStable.valid).toBe(false);
    expect(terminalStable.evidence.map((e) => e.message).join('\n')).toMatch(/applied completed→running .* after terminal completed/);
    // the overwrite happened after the settle had found every job terminal
    const heal = out.history.filter((e) => e.kind === 'nemesis').reduce((t, e) => Math.max(t, e.t), 0);
    const overwrite = out.history.find((e): e is TransitionEntry => e.kind === 'transition' && e.from === 'completed' && e.decision === 'applied')!;
    expect(overwrite.t).toBeGreaterThan(heal + out.settleTookMs);
    // both snapshots were taken after it, and both show it
    const [first, final] = snapshots(out.history);
    expect(first?.first).toBe(true);
    expect(final?.first).toBeUndefined();
    for (const s of [first!, final!]) {
      expect(s.t).toBeGreaterThan(overwrite.t);
      expect(s.tasks.flatMap((t) => t.jobs).find((j) => j.jobId === overwrite.jobId)?.state).toBe('running');
    }
  }, 60_000);

  it('takes two snapshots of a correct run, the first marked, a quiet period apart, and finds nothing changed', async () => {
    const plan: RunPlan = {
      workload: { tasks: [{ atMs: 0, description: 'two jobs', jobs: [job(200), job(300)] }] },
      schedule: [{ atMs: 0, durationMs: 400, fault: { kind: 'latency', link: 'worker-1', stream: 'upstream', latencyMs: 150, jitterMs: 20 } }],
      settleMs: 5000,
    };
    const out = await simRunOnce(reference, { workers: 2, keepers: 1, leaseMs: 2000, bugs: [] }, plan, 3);
    const [first, final, ...more] = snapshots(out.history);
    expect(more).toEqual([]);
    expect(first?.first).toBe(true);
    expect(final!.t - first!.t).toBeGreaterThanOrEqual(400);
    expect(final!.tasks).toEqual(first!.tasks);
    const { verdicts } = checkRun(out.history);
    const stable = verdicts.find((v) => v.checker === 'snapshotStable')!;
    expect(stable).toMatchObject({ valid: true, stats: { violations: 0, late: 0 } });
    expect(stable.stats!.compared).toBeGreaterThanOrEqual(2);
    expect(verdicts.every((v) => v.valid === true)).toBe(true);
  }, 60_000);
});
