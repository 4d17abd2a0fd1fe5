// A poison job in simulation: whichever worker runs the job dies, each time its payload starts,
// up to the fault's strikes. The history holds each strike as a kill of the worker whose
// executor had just started that job's payload, all of one job, one strike per attempt; every
// struck worker is back (as a new consumer) by the step's heal; the correct system takes the job
// over each time and finishes it, and the takeover scenario draws poison jobs in simulation only.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { History, NemesisEntry, PayloadStartEntry } from '../../harness/history/types.ts';
import { checkRun } from '../../harness/checkers/index.ts';
import type { RunPlan } from '../../harness/runner/run.ts';
import { contextOf } from '../../harness/runner/property.ts';
import { simRunOnce } from '../../harness/sim/run.ts';
import { reference } from '../../harness/systems/reference.ts';
import { takeover } from '../../scenarios/takeover.ts';

const shape = { workers: 2, keepers: 1, leaseMs: 2000, bugs: [] };
const job = (durationMs: number) => ({ description: 'job', payload: { durationMs, exitCode: 0, output: ['ok'] }, timeoutMs: 20_000 });
const plan = (strikes: number): RunPlan => ({
  workload: {
    tasks: [
      { atMs: 0, description: 'poisoned', jobs: [job(1200)] },
      { atMs: 100, description: 'others', jobs: [job(300), job(300)] },
    ],
  },
  schedule: [{ atMs: 50, durationMs: 14_000, fault: { kind: 'poison-job', strikes, afterMs: 100, downMs: 600, rejoin: 'new' } }],
  settleMs: 10_000,
});

const strikesOf = (h: History) => h.filter((e): e is NemesisEntry => e.kind === 'nemesis' && e.type === 'start' && e.outcome === 'ok');
const starts = (h: History) => h.filter((e): e is PayloadStartEntry => e.kind === 'payload');

describe('a poison job (simulated)', () => {
  it('kills whichever worker started its payload, once per start, up to its strikes; the correct system still finishes the job', async () => {
    const { history } = await simRunOnce(reference, shape, plan(3), 1);
    const strikes = strikesOf(history);
    expect(strikes).toHaveLength(3);
    const poison = strikes.map((s) => s.detail!.poison as { jobId: string; attempt: number; strike: number; of: number });
    // one job, struck at attempts one after another
    expect(new Set(poison.map((p) => p.jobId)).size).toBe(1);
    expect(poison.map((p) => p.strike)).toEqual([1, 2, 3]);
    expect(poison.every((p) => p.of === 3)).toBe(true);
    const attempts = poison.map((p) => p.attempt);
    expect([...attempts].sort((a, b) => a - b)).toEqual(attempts);
    expect(new Set(attempts).size).toBe(3);
    const jobId = poison[0]!.jobId;
    for (const [i, s] of strikes.entries()) {
      expect(s.fault).toBe('kill');
      expect(s.family).toBe('process');
      expect(s.detail!.rejoin).toBe('new');
      // the worker struck is the one whose executor started that attempt's payload, afterMs before
      const start = starts(history).find((p) => p.jobId === jobId && p.attempt === poison[i]!.attempt)!;
      expect(start.executorId).toBe(`${s.target}-executor`);
      expect(s.t - start.t).toBeCloseTo(100, 0);
      // and it is running again downMs later (once started), before the step's heal
      const end = history.find((e): e is NemesisEntry => e.kind === 'nemesis' && e.type === 'end' && e.stepId === s.stepId)!;
      expect(end.t - s.t).toBeGreaterThanOrEqual(600);
      expect(end.t - s.t).toBeLessThan(700);
    }
    // the job was taken over each time and finished: every checker holds
    expect(starts(history).filter((p) => p.jobId === jobId).length).toBeGreaterThanOrEqual(4);
    const bad = checkRun(history).verdicts.filter((v) => v.valid === false);
    expect(bad.map((v) => v.checker)).toEqual([]);
  }, 60_000);

  it('strikes no more than its strikes', async () => {
    const { history } = await simRunOnce(reference, shape, plan(1), 1);
    expect(strikesOf(history)).toHaveLength(1);
  }, 60_000);

  it('is drawn by takeover for its workers in simulation only, as new consumers', () => {
    const parts = reference.shape({ workers: 2, keepers: 2 });
    const simulated = fc.sample(takeover.schedule(contextOf(parts, 2000, true)), { seed: 4, numRuns: 300 }).flat();
    const poisons = simulated.filter((s) => s.fault.kind === 'poison-job');
    expect(poisons.length / simulated.length).toBeGreaterThan(0.1);
    for (const p of poisons) {
      expect(p.fault).toMatchObject({ rejoin: 'new' });
      expect(p.durationMs).toBeGreaterThanOrEqual(4000);
    }
    const live = fc.sample(takeover.schedule(contextOf(parts, 2000, false)), { seed: 4, numRuns: 300 }).flat();
    expect(live.map((s) => s.fault.kind).filter((k) => k !== 'kill')).toEqual([]);
  });
});

describe('a poison job whose restart of a struck worker another step kills (simulated)', () => {
  // Found by the simulated soak (takeover, suite seed -1000548687): a crash point killed worker-2
  // while the poison job was starting it again; the restart's failure had no handler until the
  // step's heal, and the process died of an unhandled rejection. The plan is the one the search drew.
  it('runs to its end: the worker is that step\'s to bring back, and every checker holds', async () => {
    const drawn = JSON.parse(readFileSync(new URL('./fixtures/poison-restart-killed.json', import.meta.url), 'utf8')) as Pick<RunPlan, 'workload' | 'schedule'>;
    const kinds = drawn.schedule.map((s) => s.fault.kind);
    expect(kinds).toEqual(expect.arrayContaining(['poison-job', 'crash-point']));
    const { history } = await simRunOnce(reference, { ...shape, workers: 2, keepers: 1 }, { ...drawn, settleMs: takeover.settleMs ?? 10_000 }, -1000548687);
    const { verdicts } = checkRun(history);
    expect(verdicts.filter((v) => v.valid !== true).map((v) => `${v.checker}: ${v.evidence[0]?.message}`)).toEqual([]);
    // worker-2 was struck, killed again while it started, and ran again after the heal
    expect(strikesOf(history).filter((s) => s.target === 'worker-2').length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
