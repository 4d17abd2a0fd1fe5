// The harness's own record of payload starts on real servers and processes: a run's history has
// one harness-recorded start (kind 'payload') per start the system logged (sut:executions), with
// the same (jobId, attempt, executorId); a start stays on record when the executor is SIGKILLed
// under its payload, and the rerun's start is recorded too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Environment } from '../../harness/env/environment.ts';
import { runOnce, type RunPlan } from '../../harness/runner/run.ts';
import type { ClientEntry, ExecutionEntry, History, NemesisEntry, PayloadStartEntry, ProbeEntry } from '../../harness/history/types.ts';
import { reference } from '../../harness/systems/reference.ts';

let env: Environment;

const job = (durationMs: number) => ({ description: 'job', payload: { durationMs, exitCode: 0, output: ['ok'] }, timeoutMs: 10_000 });
const key = (e: { jobId: string; attempt: number; executorId: string }) => `${e.jobId}/${e.attempt}/${e.executorId}`;
/** the jobs of the plan's own tasks, not of the liveness probes that follow the settle */
function workloadJobs(h: History): Set<string> {
  const probeKeys = new Set(h.find((e): e is ProbeEntry => e.kind === 'probe')?.keys ?? []);
  const invokes = new Map(h.filter((e): e is ClientEntry => e.kind === 'client' && e.f === 'submit' && e.type === 'invoke').map((e) => [`${e.process}/${e.opId}`, e]));
  const ids = new Set<string>();
  for (const e of h) {
    if (e.kind !== 'client' || e.f !== 'submit' || e.type !== 'ok') continue;
    const invoke = invokes.get(`${e.process}/${e.opId}`)?.value as { idempotencyKey?: string } | undefined;
    if (invoke?.idempotencyKey && probeKeys.has(invoke.idempotencyKey)) continue;
    for (const id of (e.value as { jobIds: string[] }).jobIds) ids.add(id);
  }
  return ids;
}
const starts = (h: History) => h.filter((e): e is PayloadStartEntry => e.kind === 'payload' && workloadJobs(h).has(e.jobId));
/** the system's log can repeat a start after a reconnect: (jobId, attempt) names one */
const logged = (h: History) => new Set(h.filter((e): e is ExecutionEntry => e.kind === 'execution' && workloadJobs(h).has(e.jobId)).map(key));

describe('harness-recorded payload starts (live)', () => {
  beforeAll(async () => {
    // one worker: the kill below hits the executor that runs the job
    env = await Environment.start({ system: reference, workers: 1, keepers: 1 });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });

  it('records one start per start the system logged, with the same ids, on the run timeline', async () => {
    const plan: RunPlan = {
      workload: { tasks: [{ atMs: 0, description: 'a', jobs: [job(20), job(20)] }, { atMs: 100, description: 'b', jobs: [job(20)] }] },
      schedule: [],
      settleMs: 5000,
    };
    const { history, durationMs } = await runOnce(env, plan);
    const ours = starts(history);
    expect(ours).toHaveLength(3);
    expect(new Set(ours.map(key))).toEqual(logged(history));
    expect(ours.every((s) => s.executorId === 'worker-1-executor' && s.attempt === 1)).toBe(true);
    for (const s of ours) {
      expect(s.t).toBeGreaterThanOrEqual(0);
      expect(s.t).toBeLessThanOrEqual(durationMs);
    }
  });

  it('keeps a start whose executor was SIGKILLed under its payload, and records the rerun', async () => {
    const plan: RunPlan = {
      workload: { tasks: [{ atMs: 0, description: 'slow', jobs: [job(1500)] }] },
      schedule: [{ atMs: 700, durationMs: 100, fault: { kind: 'kill-executor', worker: env.parts.workers[0]! } }],
      settleMs: 5000,
    };
    const { history } = await runOnce(env, plan);
    const kill = history.find((e): e is NemesisEntry => e.kind === 'nemesis' && e.type === 'start');
    expect(kill?.outcome ?? 'ok').toBe('ok');
    const ours = starts(history).sort((a, b) => a.attempt - b.attempt);
    // nothing of the first run: the record was emptied by reset
    expect(ours.map((s) => s.attempt)).toEqual([1, 2]);
    expect(new Set(ours.map(key))).toEqual(logged(history));
    // the first attempt's start was recorded before the kill, the rerun's after it
    expect(ours[0]!.t).toBeLessThan(kill!.t);
    expect(ours[1]!.t).toBeGreaterThan(kill!.t);
  });
});
