import { describe, expect, it } from 'vitest';
import { runStats } from '../../harness/checkers/coverage.ts';
import { payloadOutcome } from '../../harness/checkers/payloadOutcome.ts';
import { expectedOutcome } from '../../harness/checkers/spec.ts';
import type { Payload } from '../../harness/history/types.ts';
import { HistoryBuilder, healthyRun, job, payload, shapeEntry, task } from './build.ts';

const hang: Payload = { durationMs: 60_000, exitCode: 0, output: ['never'], hang: true };

/** one task T-1 with job J-1 running `p` (timeout 30 s unless the payload hangs: then 400 ms), ended as `end` */
function oneJob(p: Payload, end: ReturnType<typeof job>, o: { cancel?: boolean; fault?: 'worker' | 'keeper' | 'link' } = {}): HistoryBuilder {
  const h = new HistoryBuilder();
  const sub = h.submit({ t: 100, key: 'k-1', payloads: [p], taskId: 'T-1', jobIds: ['J-1'] });
  if (p.hang) (sub.invoke.value as { jobs: { timeoutMs: number }[] }).jobs[0]!.timeoutMs = 400;
  if (o.cancel) h.entries.push({ kind: 'client', t: 150, type: 'invoke', process: 'client-1', opId: 99, f: 'cancel', value: { jobId: 'J-1' } });
  if (o.fault === 'worker') {
    h.nemesis(200, 'start', 0, 'pause', 'worker-1', { detail: { kind: 'pause', process: 'worker-1' } });
    h.nemesis(900, 'end', 0, 'pause', 'worker-1');
  }
  if (o.fault === 'link') {
    h.nemesis(200, 'start', 0, 'latency', 'link worker-1', { detail: { kind: 'latency', link: 'worker-1' } });
    h.nemesis(900, 'end', 0, 'latency', 'link worker-1');
  }
  if (o.fault === 'keeper') {
    h.nemesis(200, 'start', 0, 'pause', 'keeper-1', { detail: { kind: 'pause', process: 'keeper-1' } });
    h.nemesis(900, 'end', 0, 'pause', 'keeper-1');
  }
  h.transition('J-1', 'queued', 'running', { t: 110, source: 'worker' });
  h.transition('J-1', 'running', end.state, { t: 1000 });
  h.snapshot(2000, [task('T-1', 'k-1', end.state, [end])]);
  return h;
}

describe('expectedOutcome', () => {
  it('is completed, failed by exit code, or failed by timeout, and undecided near the timeout', () => {
    expect(expectedOutcome(payload(['a']), 30_000)).toEqual({ state: 'completed', reason: null, exitCode: 0 });
    expect(expectedOutcome(payload(['a'], 3), 30_000)).toEqual({ state: 'failed', reason: 'exit', exitCode: 3 });
    expect(expectedOutcome(hang, 400)).toEqual({ state: 'failed', reason: 'timeout', exitCode: null });
    expect(expectedOutcome({ durationMs: 1000, exitCode: 0, output: [] }, 500)).toEqual({ state: 'failed', reason: 'timeout', exitCode: null });
    expect(expectedOutcome({ durationMs: 1000, exitCode: 0, output: [] }, 1100)).toBeUndefined();
  });
});

describe('payloadOutcome', () => {
  it('accepts a correct run: a completed job and a job that exited 3', () => {
    const v = payloadOutcome(healthyRun().build());
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ judged: 2, failuresJudged: 1, timeoutsJudged: 0 });
  });

  it("counts a job a queue library failed for stalling too often (reason stalled) as its contract, not a wrong outcome; any other reason for the same job is one", () => {
    const stalled = payloadOutcome(oneJob(payload(['a']), job('J-1', 'failed', { reason: 'stalled', exitCode: null, output: '' }), { fault: 'link' }).build());
    expect(stalled.valid).toBe(true);
    expect(stalled.stats).toMatchObject({ stalledOut: 1, judged: 0 });
    const other = payloadOutcome(oneJob(payload(['a']), job('J-1', 'failed', { reason: 'lost its lock', exitCode: null, output: '' }), { fault: 'link' }).build());
    expect(other.valid).toBe(false);
    expect(other.stats).toMatchObject({ stalledOut: 0, judged: 1 });
  });

  it('accepts a hung payload that failed by its timeout, and counts it a timeout judged', () => {
    const v = payloadOutcome(oneJob(hang, job('J-1', 'failed', { reason: 'timeout', exitCode: null, output: '' })).build());
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ judged: 1, failuresJudged: 1, timeoutsJudged: 1 });
  });

  it('rejects a hung payload reported completed (a timeout read as success), with no fault to explain it', () => {
    const v = payloadOutcome(oneJob(hang, job('J-1', 'completed', { exitCode: 0, output: '' })).build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0].jobId).toBe('J-1');
    expect(v.evidence[0].message).toMatch(/should end failed \(timeout\) but ended completed \(exit 0\), with no fault on worker-1 \(process, executor or link\) during that attempt/);
  });

  it('rejects a non-zero exit reported completed, and a wrong exit code', () => {
    expect(payloadOutcome(oneJob(payload(['x'], 2), job('J-1', 'completed', { exitCode: 0, output: 'x\n' })).build()).valid).toBe(false);
    expect(payloadOutcome(oneJob(payload(['x'], 2), job('J-1', 'failed', { reason: 'exit', exitCode: 137, output: '' })).build()).valid).toBe(false);
  });

  it('rejects a job cancelled although nobody asked, accepts it when a cancel was asked for', () => {
    const cancelled = job('J-1', 'cancelled', { reason: 'cancelled', exitCode: null, output: '' });
    expect(payloadOutcome(oneJob(payload(['x']), cancelled).build()).valid).toBe(false);
    expect(payloadOutcome(oneJob(payload(['x']), cancelled, { cancel: true }).build()).valid).toBe(true);
  });

  it('lets a fault on the job\'s worker explain a different outcome (a payload paused past its timeout), not a fault on a keeper', () => {
    const timedOut = job('J-1', 'failed', { reason: 'timeout', exitCode: null, output: '' });
    const byWorker = payloadOutcome(oneJob(payload(['x']), timedOut, { fault: 'worker' }).build());
    expect(byWorker.valid).toBe(true);
    expect(byWorker.stats).toMatchObject({ explained: 1 });
    expect(payloadOutcome(oneJob(payload(['x']), timedOut, { fault: 'keeper' }).build()).valid).toBe(false);
    // a slow link delays what is reported, not what the payload did
    expect(payloadOutcome(oneJob(payload(['x']), timedOut, { fault: 'link' }).build()).valid).toBe(false);
  });

  it('feeds the coverage goals: judged outcomes and judged failures', () => {
    const s = runStats(oneJob(hang, job('J-1', 'failed', { reason: 'timeout', exitCode: null, output: '' })).build());
    expect(s).toMatchObject({ outcomesJudged: 1, failuresJudged: 1 });
  });

  describe('no excuse without a cause: only a fault on what ran that attempt, during it, that can cause that deviation', () => {
    /** J-1 (payload p) run as attempt 1 by worker-1's executor from t=300, its outcome `end` reported at t=1000; `faults` placed before that */
    function attemptRun(p: Payload, end: ReturnType<typeof job>, faults: (h: HistoryBuilder) => void): HistoryBuilder {
      const h = new HistoryBuilder();
      h.entries.push(shapeEntry({ simulated: true }));
      const sub = h.submit({ t: 100, key: 'k-1', payloads: [p], taskId: 'T-1', jobIds: ['J-1'] });
      if (p.hang) (sub.invoke.value as { jobs: { timeoutMs: number }[] }).jobs[0]!.timeoutMs = 400;
      faults(h);
      h.transition('J-1', 'queued', 'running', { t: 290, source: 'worker', sourceId: 'worker-1' });
      h.execution('J-1', 1, 300, 'worker-1-executor');
      h.transition('J-1', 'running', end.state, { t: 1000, sourceId: 'worker-1-executor' });
      h.snapshot(2000, [task('T-1', 'k-1', end.state, [end])]);
      return h;
    }
    const fault = (h: HistoryBuilder, kind: string, detail: Record<string, string>, from: number, until: number) => {
      const target = detail.link ? `link ${detail.link}` : detail.worker ? `executor of ${detail.worker}` : detail.process!;
      h.nemesis(from, 'start', h.entries.length, kind, target, { detail: { kind, ...detail } });
      h.nemesis(until, 'end', h.entries.length - 1, kind, target);
    };
    const completed = job('J-1', 'completed', { exitCode: 0, output: '' });
    const timedOut = job('J-1', 'failed', { reason: 'timeout', exitCode: null, output: '' });

    it('rejects a hanging payload reported completed on worker-1 although worker-2 was paused during its life', () => {
      const v = payloadOutcome(attemptRun(hang, completed, (h) => fault(h, 'pause', { process: 'worker-2' }, 500, 510)).build());
      expect(v.valid).toBe(false);
      expect(v.stats).toMatchObject({ explained: 0 });
    });

    it('never excuses completed for a payload that hangs or exits non-zero, even with its own worker paused or killed', () => {
      expect(payloadOutcome(attemptRun(hang, completed, (h) => fault(h, 'pause', { process: 'worker-1' }, 500, 900)).build()).valid).toBe(false);
      expect(payloadOutcome(attemptRun(payload(['x'], 2), completed, (h) => fault(h, 'kill-executor', { worker: 'worker-1' }, 500, 600)).build()).valid).toBe(false);
    });

    it('excuses a timeout by a pause of the worker that ran the attempt during it, not before the attempt began, not by a latency', () => {
      expect(payloadOutcome(attemptRun(payload(['x']), timedOut, (h) => fault(h, 'pause', { process: 'worker-1' }, 500, 900)).build()).valid).toBe(true);
      expect(payloadOutcome(attemptRun(payload(['x']), timedOut, (h) => fault(h, 'pause', { process: 'worker-1' }, 150, 250)).build()).valid).toBe(false);
      expect(payloadOutcome(attemptRun(payload(['x']), timedOut, (h) => fault(h, 'latency', { link: 'executor' }, 400, 900)).build()).valid).toBe(false);
    });

    it('excuses exit 128+signal by a kill of the executor that ran the attempt, not another exit code', () => {
      const killed = job('J-1', 'failed', { reason: 'exit', exitCode: 137, output: '' });
      expect(payloadOutcome(attemptRun(payload(['x']), killed, (h) => fault(h, 'kill-executor', { worker: 'worker-1' }, 500, 600)).build()).valid).toBe(true);
      expect(payloadOutcome(attemptRun(payload(['x']), killed, (h) => fault(h, 'kill-executor', { worker: 'worker-2' }, 500, 600)).build()).valid).toBe(false);
      const exit3 = job('J-1', 'failed', { reason: 'exit', exitCode: 3, output: '' });
      expect(payloadOutcome(attemptRun(payload(['x']), exit3, (h) => fault(h, 'kill-executor', { worker: 'worker-1' }, 500, 600)).build()).valid).toBe(false);
    });

    it('rejects a reason outside the protocol even when a fault could explain a timeout', () => {
      const odd = job('J-1', 'failed', { reason: 'timed-out', exitCode: null, output: '' });
      const v = payloadOutcome(attemptRun(hang, odd, (h) => fault(h, 'pause', { process: 'worker-1' }, 500, 900)).build());
      expect(v.valid).toBe(false);
      expect(v.stats).toMatchObject({ badReasons: 1 });
      expect(v.evidence[0].message).toMatch(/should end a reason of exit, timeout, spawn-error, stalled/);
    });
  });
});

describe('payloadOutcome: a timeout is never early', () => {
  /** J-1 (timeout 5 s) started by worker-1-executor at t=1000 as the harness saw it, failed (timeout) `afterMs` later; a pause of worker-1 over all of it */
  function timedOut(p: Payload, afterMs: number, o: { simulated?: boolean; started?: boolean } = {}) {
    const h = new HistoryBuilder();
    h.entries.push(shapeEntry({ simulated: o.simulated ?? true }));
    const sub = h.submit({ t: 100, key: 'k-1', payloads: [p], taskId: 'T-1', jobIds: ['J-1'] });
    (sub.invoke.value as { jobs: { timeoutMs: number }[] }).jobs[0]!.timeoutMs = 5000;
    h.nemesis(200, 'start', 0, 'pause', 'worker-1', { effect: 'freezes', family: 'process', detail: { kind: 'pause', process: 'worker-1' } });
    h.transition('J-1', 'queued', 'running', { t: 990, source: 'worker', sourceId: 'worker-1' });
    if (o.started ?? true) h.entries.push({ kind: 'payload', t: 1000, jobId: 'J-1', attempt: 1, executorId: 'worker-1-executor' });
    h.transition('J-1', 'running', 'failed', { t: 1000 + afterMs, sourceId: 'worker-1-executor' });
    h.nemesis(1000 + afterMs + 100, 'end', 0, 'pause', 'worker-1');
    h.snapshot(1000 + afterMs + 1000, [task('T-1', 'k-1', 'failed', [job('J-1', 'failed', { reason: 'timeout', exitCode: null, output: '' })])]);
    return payloadOutcome(h.build());
  }

  it('rejects a job failed (timeout) long before its timeout, even with a pause over the attempt, and whatever its payload did', () => {
    const v = timedOut(hang, 12);
    expect(v.valid).toBe(false);
    expect(v.evidence[0]!.message).toMatch(/was failed \(timeout\) 12 ms after its payload started \(t=1000ms, attempt 1 on worker-1-executor\), before its timeout of 5000 ms: no fault brings a timeout forward/);
    // a payload of 200 ms that a pause could have held past its timeout: excused when late, not when early
    const short: Payload = { durationMs: 200, exitCode: 0, output: ['ok'] };
    expect(timedOut(short, 12).valid).toBe(false);
    expect(timedOut(short, 6000).valid).toBe(true);
  });

  it('accepts a timeout at its time, within the outcome margin in simulation and within clock margins live', () => {
    expect(timedOut(hang, 5000).valid).toBe(true);
    expect(timedOut(hang, 4800).valid).toBe(true); // within the 250 ms margin
    expect(timedOut(hang, 4700).valid).toBe(false);
    const live = timedOut(hang, 2800, { simulated: false }); // 5000 - 250 - 20 × 100 = 2750
    expect(live.valid).toBe(true);
    expect(live.stats).toMatchObject({ timeoutsTimed: 1 });
    expect(timedOut(hang, 2700, { simulated: false }).valid).toBe(false);
  });

  it('does not time a timeout whose payload start the harness did not see', () => {
    const v = timedOut(hang, 12, { started: false });
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ timeoutsTimed: 0 });
  });
});
