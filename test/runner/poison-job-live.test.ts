// A poison job on real servers and processes: the live payload trigger reads the harness's own
// record of payload starts (the wrapper's file) as it grows, so whichever worker's executor started
// the job's payload is SIGKILLed, and again at the job's next start on the worker that took it
// over. Each strike is recorded as the kill of that worker, the job and attempt its executor had
// just started; the struck workers come back as new consumers and the correct system finishes the job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Environment } from '../../harness/env/environment.ts';
import { checkRun } from '../../harness/checkers/index.ts';
import { runOnce, type RunPlan } from '../../harness/runner/run.ts';
import type { History, NemesisEntry, PayloadStartEntry } from '../../harness/history/types.ts';
import { reference } from '../../harness/systems/reference.ts';

let env: Environment;

const job = (durationMs: number) => ({ description: 'job', payload: { durationMs, exitCode: 0, output: ['ok'] }, timeoutMs: 20_000 });
const strikesOf = (h: History) => h.filter((e): e is NemesisEntry => e.kind === 'nemesis' && e.type === 'start' && e.outcome === 'ok' && e.detail?.poison !== undefined);
const starts = (h: History) => h.filter((e): e is PayloadStartEntry => e.kind === 'payload');

describe('a poison job (live)', () => {
  beforeAll(async () => {
    env = await Environment.start({ system: reference, workers: 2, keepers: 1 });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });

  it('kills the worker whose executor started the job, at each start, as a real SIGKILL; the job is taken over and finished', async () => {
    const plan: RunPlan = {
      workload: { tasks: [{ atMs: 0, description: 'poisoned', jobs: [job(1500)] }] },
      schedule: [{ atMs: 0, durationMs: 15_000, fault: { kind: 'poison-job', strikes: 2, afterMs: 200, downMs: 500, rejoin: 'new' } }],
      settleMs: 15_000,
    };
    const { history } = await runOnce(env, plan);
    const strikes = strikesOf(history);
    // the first start, and the takeover's after the lease (2 s) ran out on the dead worker's claim
    expect(strikes).toHaveLength(2);
    const poison = strikes.map((s) => s.detail!.poison as { jobId: string; attempt: number; strike: number });
    expect(poison.map((p) => p.strike)).toEqual([1, 2]);
    expect(poison[1]!.jobId).toBe(poison[0]!.jobId);
    expect(poison[1]!.attempt).toBeGreaterThan(poison[0]!.attempt);
    for (const [i, s] of strikes.entries()) {
      expect(s.fault).toBe('kill');
      const start = starts(history).find((p) => p.jobId === poison[i]!.jobId && p.attempt === poison[i]!.attempt)!;
      // the struck worker is the one whose executor started that attempt, and it was struck after the start
      expect(start.executorId).toBe(`${s.target}-executor`);
      expect(s.t).toBeGreaterThan(start.t);
    }
    // a dead worker does not finish a job: the one started after the second strike did, and every checker holds
    const bad = checkRun(history).verdicts.filter((v) => v.valid === false);
    expect(bad.map((v) => v.checker)).toEqual([]);
    expect(starts(history).filter((p) => p.jobId === poison[0]!.jobId).length).toBeGreaterThanOrEqual(3);
  }, 120_000);
});
