import { describe, expect, it } from 'vitest';
import { CANCEL_POLL_MS, cancelEffective, ranAtLeast, SLACK_MS } from '../../harness/checkers/cancelEffective.ts';
import { checkersFor } from '../../harness/registry/applies.ts';
import { CHECKERS } from '../../harness/checkers/index.ts';
import type { ClientEntry, Payload, TransitionEntry } from '../../harness/history/types.ts';
import { HistoryBuilder, job, shapeEntry, task } from './build.ts';

const hang: Payload = { durationMs: 60_000, exitCode: 0, output: ['never'], hang: true };
const cancelled = job('J-1', 'cancelled', { reason: 'cancelled', exitCode: null, output: '' });

interface Options {
  /** the payload of J-1 (default: 300 ms, exit 0) */
  payload?: Payload;
  /** its timeout (default 30 s) */
  timeoutMs?: number;
  /** when the cancel is asked and answered; `status` other than 202: answered with an error */
  cancel?: { t: number; okT: number; status?: number };
  /** the payload starts (harness record and executions log) of attempt 1 on worker-1's executor */
  start?: number;
  /** the executor's outcome event for that start: completed / failed (exit code or null) / cancelled, decided at `t` */
  outcome?: { type: 'completed' | 'failed' | 'cancelled'; exitCode?: number | null; t: number };
  /** a fault step during the run */
  fault?: { t: number; end: number; fault: string; target: string; detail: Record<string, unknown>; effect: 'ends' | 'freezes' | 'cuts' | 'stalls' | 'delays' | 'erases' | 'none' };
  simulated?: boolean;
  /** the system's promise on cancels (default: the reference system's 100 ms); null: it makes none */
  promisedMs?: number | null;
  /** the system's promise to be back after a heal (ShapeEntry.recoveryWithinMs; default none) */
  recoveryMs?: number;
  /** the snapshot: absent (the run never settled), or with the executions log unreadable */
  snapshot?: 'none' | 'executions-unreadable';
}

/**
 * Task T-1 with job J-1 on a reference-shaped system (worker-1 runs payloads through
 * worker-1-executor): submitted at 100, a cancel, a start, the executor's outcome, the keeper's
 * applied cancel, a snapshot at 5000 with J-1 cancelled.
 */
function run(o: Options): HistoryBuilder {
  const h = new HistoryBuilder();
  const promised = o.promisedMs === undefined ? CANCEL_POLL_MS : o.promisedMs;
  h.entries.push(shapeEntry({ simulated: o.simulated ?? true, ...(promised !== null ? { cancelWithinMs: promised } : {}), ...(o.recoveryMs !== undefined ? { recoveryWithinMs: o.recoveryMs } : {}) }));
  const p = o.payload ?? { durationMs: 300, exitCode: 0, output: ['x'] };
  const sub = h.submit({ t: 100, key: 'k-1', payloads: [p], taskId: 'T-1', jobIds: ['J-1'] });
  (sub.invoke.value as { jobs: { timeoutMs: number }[] }).jobs[0]!.timeoutMs = o.timeoutMs ?? 30_000;
  h.transition('J-1', 'queued', 'running', { t: 120, source: 'worker', sourceId: 'worker-1' });
  if (o.start !== undefined) {
    h.execution('J-1', 1, o.start, 'worker-1-executor');
    h.entries.push({ kind: 'payload', t: o.start + 1, jobId: 'J-1', attempt: 1, executorId: 'worker-1-executor' });
  }
  if (o.fault) {
    const f = o.fault;
    h.nemesis(f.t, 'start', 7, f.fault, f.target, { detail: f.detail, effect: f.effect, outcome: 'ok' });
    h.nemesis(f.end, 'end', 7, f.fault, f.target);
  }
  if (o.cancel) {
    const c = o.cancel;
    h.entries.push({ kind: 'client', t: c.t, type: 'invoke', process: 'client-1', opId: 99, f: 'cancel', value: { jobId: 'J-1' } } satisfies ClientEntry);
    const status = c.status ?? 202;
    h.entries.push({ kind: 'client', t: c.okT, type: status === 202 ? 'ok' : 'fail', process: 'client-1', opId: 99, f: 'cancel', value: status === 202 ? { jobId: 'J-1' } : { error: `HTTP ${status}`, status } } satisfies ClientEntry);
    if (status === 202) h.transition('J-1', 'running', 'cancelled', { t: c.okT + 1, source: 'orchestrator', sourceId: 'orchestrator' });
  }
  if (o.outcome) {
    const stale = o.cancel && (o.cancel.status ?? 202) === 202;
    const e = h.transition('J-1', stale ? 'cancelled' : 'running', stale ? 'cancelled' : o.outcome.type, {
      t: o.outcome.t, sourceId: 'worker-1-executor', decision: stale ? 'ignored' : 'applied', reason: stale ? 'stale-terminal' : 'ok',
      ...(o.outcome.exitCode !== undefined ? { exitCode: o.outcome.exitCode } : {}),
    });
    (e as { type: string }).type = o.outcome.type;
  }
  if (o.snapshot !== 'none') {
    const s = h.snapshot(5000, [task('T-1', 'k-1', 'cancelled', [cancelled])]);
    if (o.snapshot === 'executions-unreadable') s.unreadable = [{ key: 'sut:executions', error: 'connection reset' }];
  }
  return h;
}

const verdict = (o: Options) => cancelEffective(run(o).build());

describe('cancelEffective', () => {
  it('passes a cancel that stopped a running payload: the executor reported cancelled', () => {
    const v = verdict({ start: 200, cancel: { t: 300, okT: 302 }, outcome: { type: 'cancelled', exitCode: null, t: 380 } });
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ cancelsAcked: 1, startsJudged: 1, violations: 0 });
  });

  it('passes a payload that ran to its end before the ack, and a cancel of a job that never started', () => {
    expect(verdict({ start: 200, cancel: { t: 600, okT: 602 }, outcome: { type: 'completed', exitCode: 0, t: 510 } }).valid).toBe(true);
    const never = verdict({ cancel: { t: 300, okT: 302 } });
    expect(never.valid).toBe(true);
    expect(never.stats).toMatchObject({ cancelsAcked: 1, startsJudged: 0 });
  });

  it('allows a start just after the ack: its flag check reached Redis before the cancel', () => {
    // the executor checked at ~300, the cancel's flag was set at 301, the start was logged at 305
    const v = verdict({ start: 305, cancel: { t: 300, okT: 302 }, outcome: { type: 'cancelled', exitCode: null, t: 400 } });
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ lateStartsAllowed: 1, violations: 0 });
  });

  it("allows a payload that ended before the executor's next poll of the flag (its poll interval plus slack)", () => {
    // started at 200, runs 300 ms: ends at 500 (the start's earliest record is the log's, at 200); the ack at 420
    const v = verdict({ start: 200, cancel: { t: 418, okT: 420 }, outcome: { type: 'completed', exitCode: 0, t: 505 } });
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ lateEndsAllowed: 1, violations: 0 });
  });

  it('fails a payload that started well after the ack, with the ack and the start as evidence', () => {
    const v = verdict({ start: 900, cancel: { t: 300, okT: 302 }, outcome: { type: 'completed', exitCode: 0, t: 1210 } });
    expect(v.valid).toBe(false);
    expect(v.evidence).toHaveLength(1);
    expect(v.evidence[0]!.jobId).toBe('J-1');
    expect(v.evidence[0]!.taskId).toBe('T-1');
    expect(v.evidence[0]!.message).toMatch(/^job J-1 \(task T-1\): cancelled \(202 at t=302ms, asked at t=300ms\), its payload started at t=900ms \(attempt 1, executor worker-1-executor\), 598 ms after the ack: an executor checks the cancel flag before it starts a payload \(allowed: 50 ms\), and no fault on worker-1/);
    expect(v.evidence[0]!.entries?.map((e) => e.kind)).toEqual(['client', 'client', 'execution']);
  });

  it('fails a payload that ran on to its end long after the ack (the flag was never seen)', () => {
    // started at 200, a 2 s payload: it ran until 2200 at least, the ack came at 302
    const v = verdict({ payload: { durationMs: 2000, exitCode: 0, output: ['x'] }, start: 200, cancel: { t: 300, okT: 302 }, outcome: { type: 'completed', exitCode: 0, t: 2210 } });
    expect(v.valid).toBe(false);
    expect(v.evidence[0]!.message).toMatch(/its payload \(started at t=200ms, attempt 1, executor worker-1-executor\) ran on to its end: its executor reported it completed \(exit 0\) at t=2210ms, so it ran until t=2200ms at least, 1898 ms after the ack: the system promises a cancelled payload stops within 100 ms \(allowed: 150 ms\)/);
    expect(v.evidence[0]!.entries?.map((e) => e.kind)).toEqual(['client', 'client', 'execution', 'transition']);
  });

  it('fails a hung payload that ran until its timeout after the ack, and one that exited non-zero at its end', () => {
    const timedOut = verdict({ payload: hang, timeoutMs: 400, start: 200, cancel: { t: 250, okT: 252 }, outcome: { type: 'failed', exitCode: null, t: 610 } });
    expect(timedOut.valid).toBe(false);
    expect(timedOut.evidence[0]!.message).toMatch(/reported it failed \(no exit code: killed at its timeout\) at t=610ms, so it ran until t=600ms at least/);
    const exited = verdict({ payload: { durationMs: 1000, exitCode: 3, output: [] }, start: 200, cancel: { t: 300, okT: 302 }, outcome: { type: 'failed', exitCode: 3, t: 1205 } });
    expect(exited.valid).toBe(false);
  });

  it('does not judge a payload killed by a signal (a fault killed it, not the end of its work)', () => {
    const v = verdict({ payload: { durationMs: 2000, exitCode: 0, output: ['x'] }, start: 200, cancel: { t: 300, okT: 302 }, outcome: { type: 'failed', exitCode: 137, t: 1500 } });
    expect(v.valid).toBe(true);
  });

  it('excuses a late start or end when what ran it was paused, cut off or killed, or Redis restarted, during the job', () => {
    const long = { payload: { durationMs: 2000, exitCode: 0, output: ['x'] }, start: 200, cancel: { t: 300, okT: 302 }, outcome: { type: 'completed' as const, exitCode: 0, t: 2210 } };
    const pause = { t: 250, end: 1500, fault: 'pause', target: 'worker-1', detail: { process: 'worker-1' }, effect: 'freezes' as const };
    const cut = { t: 150, end: 400, fault: 'timeout', target: 'link executor', detail: { link: 'executor' }, effect: 'cuts' as const };
    const redis = { t: 1000, end: 1200, fault: 'redis-restart', target: 'redis', detail: {}, effect: 'ends' as const };
    for (const fault of [pause, cut, redis]) {
      const v = verdict({ ...long, fault });
      expect(v.valid).toBe(true);
      expect(v.stats).toMatchObject({ explained: 1 });
    }
    const lateStart = verdict({ start: 900, cancel: { t: 300, okT: 302 }, fault: { ...pause, t: 280, end: 880 } });
    expect(lateStart.valid).toBe(true);
    expect(lateStart.stats).toMatchObject({ explained: 1 });
  });

  it('excuses by a fault only while it could still hide the flag: in place, or healed less than the recovery promise before; an erasure after the flag, for good', () => {
    // the payload runs 8 s; the cancel is acknowledged at 302; the executor's link is cut from 150
    const long = { payload: { durationMs: 8000, exitCode: 0, output: ['x'] }, start: 200, cancel: { t: 300, okT: 302 }, outcome: { type: 'completed' as const, exitCode: 0, t: 8210 }, recoveryMs: 2000 };
    const cut = (end: number) => ({ t: 150, end, fault: 'timeout', target: 'link executor', detail: { link: 'executor' }, effect: 'cuts' as const });
    // healed at 3000: back by 5000 at the latest, yet the payload ran on to 8200 (the cancel-flag-expires mistake)
    const stale = verdict({ ...long, fault: cut(3000) });
    expect(stale.valid).toBe(false);
    expect(stale.evidence[0]!.message).toMatch(/none was in place within 2000 ms before/);
    // healed at 6500: it may still have been reconnecting when the payload had to be stopped
    expect(verdict({ ...long, fault: cut(6500) })).toMatchObject({ valid: true, stats: { explained: 1 } });
    // a system that promises no recovery bound: any fault during the job's life, as before
    expect(verdict({ ...long, recoveryMs: undefined, fault: cut(3000) })).toMatchObject({ valid: true, stats: { explained: 1 } });
    // a late start: what ran it was paused until 3000, the start came at 6000
    const pause = (end: number) => ({ t: 250, end, fault: 'pause', target: 'worker-1', detail: { process: 'worker-1' }, effect: 'freezes' as const });
    expect(verdict({ start: 6000, cancel: { t: 300, okT: 302 }, recoveryMs: 2000, fault: pause(3000) }).valid).toBe(false);
    expect(verdict({ start: 6000, cancel: { t: 300, okT: 302 }, recoveryMs: 2000, fault: pause(4500) })).toMatchObject({ valid: true, stats: { explained: 1 } });
    // Redis wiped after the flag was set: the flag is gone for good; restarted (its files kept): back within the promise
    const redis = (effect: 'erases' | 'ends') => ({ t: 1000, end: 1200, fault: effect === 'erases' ? 'redis-wipe' : 'redis-restart', target: 'redis', detail: {}, effect });
    expect(verdict({ ...long, fault: redis('erases') })).toMatchObject({ valid: true, stats: { explained: 1 } });
    expect(verdict({ ...long, fault: redis('ends') }).valid).toBe(false);
  });

  it('counts a cancel across an outage: a running payload, a fault holding its executor off the flag at the ack, healed (plus the promises) before the payload would end', () => {
    // the payload would run 8 s from 200; the executor's link is cut from 150; the cancel comes at 302; the executor stops it at 3100 once back
    const base = { payload: { durationMs: 8000, exitCode: 0, output: ['x'] }, start: 200, cancel: { t: 300, okT: 302 }, outcome: { type: 'cancelled' as const, exitCode: null, t: 3100 }, recoveryMs: 2000 };
    const cut = (end: number, o: Partial<{ t: number; effect: 'cuts' | 'freezes' | 'ends' | 'delays'; fault: string; target: string; detail: Record<string, unknown> }> = {}) =>
      ({ t: 150, end, fault: 'down', target: 'link executor', detail: { link: 'executor' }, effect: 'cuts' as const, ...o });
    const across = (o: Partial<Options>) => verdict({ ...base, ...o }).stats?.acrossOutage;
    expect(across({ fault: cut(3000) })).toBe(1);
    // a pause holds it off as well
    expect(across({ fault: cut(3000, { fault: 'pause', target: 'worker-1', detail: { process: 'worker-1' }, effect: 'freezes' }) })).toBe(1);
    // healed at 6200: with the recovery and cancel promises (6200 + 2000 + 100) that is past the payload's own end at 8200
    expect(across({ fault: cut(6200) })).toBe(0);
    // the fault was over before the cancel, or began after it
    expect(across({ fault: cut(250) })).toBe(0);
    expect(across({ fault: cut(3000, { t: 400 }) })).toBe(0);
    // a kill takes the payload with it, and a slowed link hides no flag
    expect(across({ fault: cut(3000, { fault: 'kill', target: 'worker-1', detail: { process: 'worker-1' }, effect: 'ends' }) })).toBe(0);
    expect(across({ fault: cut(3000, { fault: 'latency', effect: 'delays' }) })).toBe(0);
    // a fault on another worker does not hold this executor off
    expect(across({ fault: cut(3000, { target: 'link worker-2', detail: { link: 'worker-2' } }) })).toBe(0);
    // a payload not yet started when the cancel came is not across an outage
    expect(across({ start: 400, fault: cut(3000) })).toBe(0);
  });

  it('does not excuse by a fault on another worker, a keeper or the front door, or one that ended before the job', () => {
    const long = { payload: { durationMs: 2000, exitCode: 0, output: ['x'] }, start: 200, cancel: { t: 300, okT: 302 }, outcome: { type: 'completed' as const, exitCode: 0, t: 2210 } };
    const faults = [
      { t: 250, end: 1500, fault: 'pause', target: 'worker-2', detail: { process: 'worker-2' }, effect: 'freezes' as const },
      { t: 250, end: 1500, fault: 'pause', target: 'keeper-1', detail: { process: 'keeper-1' }, effect: 'freezes' as const },
      { t: 250, end: 1500, fault: 'kill', target: 'orchestrator', detail: { process: 'orchestrator' }, effect: 'ends' as const },
      { t: 10, end: 90, fault: 'pause', target: 'worker-1', detail: { process: 'worker-1' }, effect: 'freezes' as const },
    ];
    for (const fault of faults) expect(verdict({ ...long, fault }).valid).toBe(false);
  });

  it("lengthens the allowance by a slowed link's delay on the executor's messages instead of excusing it", () => {
    const latency = (latencyMs: number) => ({ t: 150, end: 3000, fault: 'latency', target: 'link executor', detail: { link: 'executor', latencyMs, jitterMs: 20 }, effect: 'delays' as const });
    // the payload ran until 700, 398 ms after the ack: within 100 + 50 + 4 × (80 + 20)
    const base = { payload: { durationMs: 500, exitCode: 0, output: ['x'] }, start: 200, cancel: { t: 300, okT: 302 }, outcome: { type: 'completed' as const, exitCode: 0, t: 900 } };
    expect(verdict({ ...base, fault: latency(80) }).valid).toBe(true);
    const v = verdict({ ...base, fault: latency(30) });
    expect(v.valid).toBe(false);
    expect(v.evidence[0]!.message).toMatch(/allowed: 350 ms/);
  });

  it('is more lenient live, where clocks differ and processes are scheduled on a loaded machine', () => {
    // the same 398 ms: a violation in simulation, within the live slack
    const o = { payload: { durationMs: 500, exitCode: 0, output: ['x'] }, start: 200, cancel: { t: 300, okT: 302 }, outcome: { type: 'completed' as const, exitCode: 0, t: 900 } };
    expect(verdict(o).valid).toBe(false);
    expect(verdict({ ...o, simulated: false }).valid).toBe(true);
    expect(CANCEL_POLL_MS + SLACK_MS).toBe(150);
    // a payload that ran on for seconds after the ack is a violation live too
    const long = { payload: { durationMs: 5000, exitCode: 0, output: ['x'] }, start: 200, cancel: { t: 300, okT: 302 }, outcome: { type: 'completed' as const, exitCode: 0, t: 5300 } };
    expect(verdict({ ...long, simulated: false }).valid).toBe(false);
  });

  it("holds a system to the bound it promises, and one that promises none to nothing", () => {
    // a payload that ran on 598 ms after the ack: past 100 ms + slack, within a promise of 1 s
    const late = { payload: { durationMs: 700, exitCode: 0, output: ['x'] }, start: 200, cancel: { t: 300, okT: 302 }, outcome: { type: 'completed' as const, exitCode: 0, t: 910 } };
    const v = verdict(late);
    expect(v.valid).toBe(false);
    expect(v.evidence[0]!.message).toMatch(/promises a cancelled payload stops within 100 ms/);
    expect(verdict({ ...late, promisedMs: 1000 }).valid).toBe(true);
    const none = verdict({ ...late, promisedMs: null });
    expect(none.valid).toBe(true);
    expect(none.stats).toMatchObject({ cancelsAcked: 1, startsJudged: 0, promisedMs: -1 });
  });

  it('judges nothing when the cancel was not acknowledged (failed, 405 from a system that cannot cancel)', () => {
    const v = verdict({ payload: { durationMs: 2000, exitCode: 0, output: ['x'] }, start: 900, cancel: { t: 300, okT: 302, status: 405 }, outcome: { type: 'completed', exitCode: 0, t: 2910 } });
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ cancelsAcked: 0, startsJudged: 0 });
  });

  it('judges from the recorded cancel when no 202 came: the system says cancelled, so the payload must stop', () => {
    // the front door recorded the cancel (its event applied at 350) and died before it answered: the client saw no answer
    const recorded = (o: Options, cancelAt = 350) => {
      const h = run(o);
      h.entries.push({ kind: 'client', t: 300, type: 'invoke', process: 'client-1', opId: 99, f: 'cancel', value: { jobId: 'J-1' } } satisfies ClientEntry);
      h.entries.push({ kind: 'client', t: 3300, type: 'info', process: 'client-1', opId: 99, f: 'cancel', value: { error: 'TimeoutError: The operation was aborted due to timeout' } } satisfies ClientEntry);
      h.transition('J-1', 'running', 'cancelled', { t: cancelAt, source: 'orchestrator', sourceId: 'orchestrator' });
      return cancelEffective(h.build());
    };
    const ranOn = recorded({ payload: { durationMs: 2000, exitCode: 0, output: ['x'] }, start: 200, outcome: { type: 'completed', exitCode: 0, t: 2210 } });
    expect(ranOn.valid).toBe(false);
    expect(ranOn.stats).toMatchObject({ cancelsAcked: 0, cancelsRecorded: 1, violations: 1 });
    expect(ranOn.evidence[0]!.message).toMatch(/^job J-1 \(task T-1\): recorded cancelled at t=350ms \(orchestrator orchestrator's event, its cancel never answered 202\), its payload \(started at t=200ms, attempt 1, executor worker-1-executor\) ran on to its end: .* 1850 ms after it was recorded cancelled: the system promises a cancelled payload stops within 100 ms/);
    expect(ranOn.evidence[0]!.entries?.map((e) => e.kind)).toEqual(['transition', 'execution', 'transition']);
    // stopped by its executor within the poll: nothing wrong
    expect(recorded({ start: 200, outcome: { type: 'cancelled', exitCode: null, t: 420 } }).valid).toBe(true);
    // a 202 that came later does not move the cancel later: it took effect when it was recorded
    const h = run({ payload: { durationMs: 2000, exitCode: 0, output: ['x'] }, start: 200, cancel: { t: 300, okT: 1500 }, outcome: { type: 'completed', exitCode: 0, t: 2210 } });
    h.transition('J-1', 'running', 'cancelled', { t: 350, source: 'orchestrator', sourceId: 'orchestrator' });
    expect(cancelEffective(h.build()).evidence[0]!.message).toMatch(/recorded cancelled at t=350ms \(orchestrator orchestrator's event; 202 at t=1500ms, asked at t=300ms\).* 1850 ms after it was recorded cancelled/);
  });

  it("does not take an executor's own report of cancelled for a cancel's word", () => {
    // the executor reported cancelled (it saw a flag): that is the cancel's effect; no cancel was asked or recorded by the front door
    const v = verdict({ start: 200, outcome: { type: 'cancelled', exitCode: null, t: 400 } });
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ cancelsAcked: 0, cancelsRecorded: 0, startsJudged: 0 });
  });

  it('is unknown when a cancel was acknowledged but the executions log could not be read, or the run never settled', () => {
    for (const snapshot of ['executions-unreadable', 'none'] as const) {
      const v = verdict({ cancel: { t: 300, okT: 302 }, snapshot });
      expect(v.valid).toBe('unknown');
      expect(v.evidence[0]!.message).toMatch(/whether a payload started or ran on after its cancel is unknown/);
    }
    // without a cancel there is nothing to decide
    expect(verdict({ start: 200, snapshot: 'none' }).valid).toBe(true);
  });

  it('applies only to systems with both logs: the library applications (executions log alone, cancel answered 405) are not judged by it', () => {
    const names = (evidence: ('transition-log' | 'running-set' | 'task-status' | 'executions-log')[]) => checkersFor({ capabilities: [], evidence }, CHECKERS).map((c) => c.name);
    expect(names(['executions-log'])).not.toContain('cancelEffective');
    expect(names(['executions-log', 'transition-log'])).toContain('cancelEffective');
  });
});

describe('ranAtLeast', () => {
  const outcome = (type: string, exitCode: number | null): TransitionEntry => ({
    kind: 'transition', t: 0, logId: '0-0', jobId: 'J-1', eventId: 'e', type, source: 'executor', sourceId: 'x', attempt: 1,
    from: 'running', to: 'completed', decision: 'applied', reason: 'ok', keeper: 'k', exitCode,
  });
  it('is the payload duration for its own end, its timeout for one killed at it, undefined for a stopped payload', () => {
    const p = { durationMs: 300, exitCode: 0, output: [] };
    expect(ranAtLeast(outcome('completed', 0), p, 30_000)).toBe(300);
    expect(ranAtLeast(outcome('failed', 4), { ...p, exitCode: 4 }, 30_000)).toBe(300);
    expect(ranAtLeast(outcome('failed', 137), p, 30_000)).toBeUndefined();
    expect(ranAtLeast(outcome('failed', null), hang, 400)).toBe(400);
    expect(ranAtLeast(outcome('failed', null), p, 30_000)).toBeUndefined();
    expect(ranAtLeast(outcome('cancelled', null), p, 30_000)).toBeUndefined();
    expect(ranAtLeast(outcome('completed', 0), hang, 400)).toBeUndefined();
  });
});

describe('the reference system declares the bound its executor keeps', () => {
  it('cancelWithinMs is the executor poll interval', async () => {
    const { reference } = await import('../../harness/systems/reference.ts');
    const { CANCEL_POLL_MS: executorPoll } = await import('../../system-under-test/executor.ts');
    expect(reference.cancelWithinMs).toBe(executorPoll);
    expect(CANCEL_POLL_MS).toBe(executorPoll);
  });
});
