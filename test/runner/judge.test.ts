// What the runner hands the judge: reads through the whole run, a settle period that follows the
// system, and a final state read by the harness itself. Real servers and processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRun } from '../../harness/checkers/index.ts';
import { Environment } from '../../harness/env/environment.ts';
import type { ClientEntry, History, ProbeEntry, SnapshotEntry } from '../../harness/history/types.ts';
import { HistoryRecorder } from '../../harness/history/recorder.ts';
import { collectRun, runOnce, type RunPlan } from '../../harness/runner/run.ts';
import { Client, pollUntilSettled } from '../../harness/workload/client.ts';
import { reference } from '../../harness/systems/reference.ts';

let env: Environment;

const job = (durationMs: number) => ({ description: 'step', payload: { durationMs, exitCode: 0, output: ['done'] }, timeoutMs: 20_000 });
/** four jobs of 700 ms on one worker: ~2.8 s of steady progress after the submission */
const steady: RunPlan['workload'] = { tasks: [{ atMs: 0, description: 'steady', jobs: [job(700), job(700), job(700), job(700)] }] };

const verdictsOf = (history: History) => Object.fromEntries(checkRun(history).verdicts.map((v) => [v.checker, v.valid]));
/** the final snapshot, without the liveness probes' tasks (they follow the settle) */
function snapshotOf(history: History): SnapshotEntry {
  const final = history.filter((e): e is SnapshotEntry => e.kind === 'snapshot').at(-1)!;
  const probes = new Set(history.find((e): e is ProbeEntry => e.kind === 'probe')?.taskIds ?? []);
  return { ...final, tasks: final.tasks.filter((t) => !probes.has(t.taskId)) };
}

describe('the runner on real servers', () => {
  beforeAll(async () => {
    env = await Environment.start({ system: reference, workers: 1, keepers: 1 });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });

  it('keeps settling while the system makes progress, past a settle period shorter than the work left', async () => {
    const out = await runOnce(env, { workload: steady, schedule: [], settleMs: 1000 });
    const snapshot = snapshotOf(out.history);
    expect(snapshot.tasks).toHaveLength(1);
    expect(snapshot.tasks[0]!.jobs.map((j) => j.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(verdictsOf(out.history)).toMatchObject({ totalQueue: true, terminalStable: true });
    expect(out.settleTookMs).toBeGreaterThan(1000);
    expect(out.settleCapped).toBe(false);
  });

  it('keeps reading through the settle period, not only until the last submission returns', async () => {
    const out = await runOnce(env, { workload: steady, schedule: [], settleMs: 1000 });
    const reads = out.history.filter((e): e is ClientEntry => e.kind === 'client' && e.f === 'read' && e.type === 'ok');
    const submitted = out.history.find((e): e is ClientEntry => e.kind === 'client' && e.f === 'submit' && e.type === 'ok')!;
    // the jobs run ~2.8 s after the submission returned: reads must go on meanwhile
    expect(reads.filter((r) => r.t > submitted.t + 1500).length).toBeGreaterThan(2);
    // they watched the jobs finish one by one
    const completedSeen = new Set(reads.map((r) => (r.value as { jobs: { state: string }[] }).jobs.filter((j) => j.state === 'completed').length));
    expect(completedSeen.size).toBeGreaterThan(2);
  });

  it('stops at its cap when progress never ends in time, and says so', async () => {
    const out = await runOnce(env, { workload: steady, schedule: [], settleMs: 1000, settleCapMs: 1200 });
    expect(out.settleCapped).toBe(true);
    expect(out.settleTookMs).toBeLessThan(2500);
    // the jobs still running at the cap are judged after the liveness probes: late, here, not lost
    expect(snapshotOf(out.history).tasks[0]!.jobs.map((j) => j.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
  });

  it('reads the final state over its own connection: an orchestrator that cannot answer loses no task from the snapshot', async () => {
    await env.reset({ reuseProcesses: false }); // a fresh, flushed system
    const history = new HistoryRecorder();
    const client = new Client(env.orchestratorUrl, history);
    const submitted = await client.submit({ idempotencyKey: 'frozen-api', description: 'before the freeze', jobs: [job(50), job(50)] });
    expect(submitted).toBeDefined();
    await pollUntilSettled(client, [submitted!.taskId], 20_000);
    const orchestrator = env.process('orchestrator');
    orchestrator.signal('SIGSTOP'); // the API hangs: every read through it would time out
    try {
      await collectRun(env, history);
    } finally {
      orchestrator.signal('SIGCONT');
    }
    const snapshot = snapshotOf(history.entries);
    expect(snapshot.unreadable ?? []).toEqual([]);
    expect(snapshot.tasks.map((t) => t.taskId)).toEqual([submitted!.taskId]);
    expect(snapshot.tasks[0]!.jobs.map((j) => j.state)).toEqual(['completed', 'completed']);
    expect(verdictsOf(history.entries)).toMatchObject({ totalQueue: true, terminalStable: true, runningSetConsistent: true });
  });
});
