// backAfterHeal on hand-made histories: once the final fault is healed, every request the client
// had in flight or sent later is answered within the system's promise (ShapeEntry.recoveryWithinMs).

import { describe, expect, it } from 'vitest';
import { backAfterHeal } from '../../harness/checkers/backAfterHeal.ts';
import { CHECKERS } from '../../harness/checkers/index.ts';
import type { ClientEntry, History, ProbeEntry } from '../../harness/history/types.ts';
import { reference } from '../../harness/systems/reference.ts';
import { HistoryBuilder, shapeEntry } from './build.ts';

const PROMISE = 2000;

/** a read sent at t and ended at `end` as `type` (an info with a status is an answer: a 5xx) */
function read(h: HistoryBuilder, opId: number, t: number, end: number, type: ClientEntry['type'] = 'ok', status?: number): void {
  h.entries.push({ kind: 'client', t, type: 'invoke', process: 'client-0', opId, f: 'read', value: { taskId: 'T-1' } });
  const value = type === 'ok' ? { taskId: 'T-1', status: 'completed', idempotencyKey: 'k', jobs: [] } : { error: type === 'info' && status === undefined ? 'TimeoutError: The operation was aborted due to timeout' : 'internal error', ...(status !== undefined ? { status } : {}) };
  h.entries.push({ kind: 'client', t: end, type, process: 'client-0', opId, f: 'read', value });
}

const probe = (frontDoorUp: boolean): ProbeEntry => ({ kind: 'probe', t: 30_000, boundMs: 5000, pickupMs: 1000, workers: ['worker-1'], down: [], rounds: 1, keys: [], taskIds: [], frontDoorUp, endedAt: 30_500 });

/** a Redis outage from 1 s to 11 s (healed at 11,000), then `build`'s requests */
function outage(build: (h: HistoryBuilder) => void, o: { promise?: number | null; frontDoorUp?: boolean } = {}): History {
  const h = new HistoryBuilder();
  h.entries.push(shapeEntry({ simulated: true, ...(o.promise === null ? {} : { recoveryWithinMs: o.promise ?? PROMISE }) }));
  h.nemesis(1000, 'start', 0, 'redis-restart', 'redis');
  h.nemesis(11_000, 'end', 0, 'redis-restart', 'redis');
  build(h);
  h.entries.push(probe(o.frontDoorUp ?? true));
  return h.build();
}

describe('backAfterHeal', () => {
  it('holds when every request after the heal is answered within the promise', () => {
    const v = backAfterHeal(outage((h) => {
      read(h, 1, 500, 510); // before the outage
      read(h, 2, 9000, 12_000); // in flight at the heal, answered 1 s after it
      read(h, 3, 12_500, 12_520);
      read(h, 4, 13_000, 14_900, 'info', 503); // an error status is an answer
    }));
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ violations: 0, requests: 3, slowestMs: 1900 });
  });

  it('fails on a request sent after the heal and answered past the promise', () => {
    const v = backAfterHeal(outage((h) => read(h, 1, 12_000, 17_500)));
    expect(v.valid).toBe(false);
    expect(v.evidence[0]!.message).toMatch(/request read .* was answered 5500 ms after it was sent \(t=12000ms\); the system promises an answer within 2000 ms/);
    expect(v.evidence[0]!.at).toBe(17_500);
  });

  it('measures a request in flight at the heal from the heal', () => {
    expect(backAfterHeal(outage((h) => read(h, 1, 8000, 12_900))).valid).toBe(true);
    const late = backAfterHeal(outage((h) => read(h, 1, 8000, 13_100)));
    expect(late.valid).toBe(false);
    expect(late.evidence[0]!.message).toMatch(/answered 2100 ms after the final heal \(t=11000ms; sent at t=8000ms\)/);
  });

  it('fails on a request left without an answer past the promise (the client gave up later)', () => {
    const v = backAfterHeal(outage((h) => read(h, 1, 11_500, 14_500, 'info')));
    expect(v.valid).toBe(false);
    expect(v.evidence[0]!.message).toMatch(/had no answer 3000 ms after it was sent .* when the client gave up \(TimeoutError/);
  });

  it('does not judge a request the client gave up on before the promise was due, nor one over before the heal', () => {
    const v = backAfterHeal(outage((h) => {
      read(h, 1, 11_500, 12_000, 'info'); // refused at once: given up 500 ms in
      read(h, 2, 7000, 10_000, 'info'); // timed out during the outage
    }));
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ requests: 0 });
  });

  it('judges nothing without a promise, without a heal, or with the front door left down', () => {
    const slow = (h: HistoryBuilder) => read(h, 1, 12_000, 17_500);
    expect(backAfterHeal(outage(slow, { promise: null })).valid).toBe(true);
    expect(backAfterHeal(outage(slow, { frontDoorUp: false })).valid).toBe(true);
    const h = new HistoryBuilder();
    h.entries.push(shapeEntry({ simulated: true, recoveryWithinMs: PROMISE }));
    read(h, 1, 12_000, 17_500);
    expect(backAfterHeal(h.build()).valid).toBe(true);
  });

  it('is one of the built-in checkers, and the reference system makes the promise', () => {
    expect(CHECKERS.map((c) => c.name)).toContain('backAfterHeal');
    // PROTOCOL.md: reconnect retry at most 500 ms, plus the handshake and a request's commands
    expect(reference.recoveryWithinMs).toBe(500 + 1_500);
  });
});

describe('backAfterHeal: the workers', () => {
  /** healed at 11,000; J-1 acknowledged at 12,000; `build` adds starts and outcomes */
  function afterOutage(build: (h: HistoryBuilder) => void, o: { simulated?: boolean; cancel?: boolean; ackT?: number } = {}): History {
    const h = new HistoryBuilder();
    h.entries.push(shapeEntry({ simulated: o.simulated ?? true, recoveryWithinMs: PROMISE }));
    h.nemesis(1000, 'start', 0, 'redis-restart', 'redis');
    h.nemesis(11_000, 'end', 0, 'redis-restart', 'redis');
    h.submit({ t: (o.ackT ?? 12_000) - 5, okT: o.ackT ?? 12_000, key: 'k-1', payloads: [{ durationMs: 20, exitCode: 0, output: ['a'] }], taskId: 'T-1', jobIds: ['J-1'] });
    if (o.cancel) h.entries.push({ kind: 'client', t: 12_100, type: 'invoke', process: 'client-1', opId: 99, f: 'cancel', value: { jobId: 'J-1' } });
    build(h);
    h.entries.push(probe(true));
    h.snapshot(40_000, []);
    return h.build();
  }
  const start = (h: HistoryBuilder, jobId: string, t: number, executorId = 'worker-1-executor') => h.entries.push({ kind: 'payload', t, jobId, attempt: 1, executorId });
  const outcome = (h: HistoryBuilder, jobId: string, t: number, executorId = 'worker-1-executor') => h.transition(jobId, 'running', 'completed', { t, sourceId: executorId });

  it('holds when a job acknowledged after the heal starts within the promise', () => {
    const v = backAfterHeal(afterOutage((h) => {
      start(h, 'J-1', 12_500);
      outcome(h, 'J-1', 12_600);
    }));
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ idleWithWorkMs: 500 });
  });

  it('fails when the fleet sits idle with the job waiting past the promise', () => {
    const v = backAfterHeal(afterOutage((h) => {
      start(h, 'J-1', 16_000);
      outcome(h, 'J-1', 16_100);
    }));
    expect(v.valid).toBe(false);
    expect(v.evidence[0]!.message).toMatch(/the workers were not back in time after the final heal \(t=11000ms\): from t=12000ms job J-1 \(acknowledged after the heal\) waited while no payload ran anywhere, and none started until job J-1 started on worker-1-executor at t=16000ms: 4000 ms/);
  });

  it('fails when the job never starts at all', () => {
    const v = backAfterHeal(afterOutage((h) => {
      start(h, 'J-0', 500); // before the outage: the harness records starts in this run
      outcome(h, 'J-0', 600);
    }));
    expect(v.valid).toBe(false);
    expect(v.evidence[0]!.message).toMatch(/none started until t=40000ms, when the history ends/);
  });

  it('counts from the moment a hand is free: a payload running (or never reporting) keeps the fleet busy', () => {
    const busy = backAfterHeal(afterOutage((h) => {
      start(h, 'J-0', 11_500, 'worker-2-executor');
      outcome(h, 'J-0', 15_000, 'worker-2-executor');
      start(h, 'J-1', 15_100);
      outcome(h, 'J-1', 15_200);
    }));
    expect(busy.valid).toBe(true);
    expect(busy.stats).toMatchObject({ idleWithWorkMs: 100 });
    const late = backAfterHeal(afterOutage((h) => {
      start(h, 'J-0', 11_500, 'worker-2-executor');
      outcome(h, 'J-0', 15_000, 'worker-2-executor');
      start(h, 'J-1', 17_500);
    }));
    expect(late.valid).toBe(false);
    expect(late.evidence[0]!.message).toMatch(/from t=15000ms job J-1/);
    const never = backAfterHeal(afterOutage((h) => {
      start(h, 'J-0', 11_500, 'worker-2-executor'); // never reports
      start(h, 'J-1', 30_000);
    }));
    expect(never.valid).toBe(true);
    // ... unless its worker died under it: that payload is no longer running
    const died = backAfterHeal(afterOutage((h) => {
      start(h, 'J-0', 5000, 'worker-2-executor');
      h.nemesis(6000, 'start', 1, 'kill', 'worker-2', { effect: 'ends', family: 'process', detail: { kind: 'kill', process: 'worker-2' } });
      h.nemesis(7000, 'end', 1, 'kill', 'worker-2');
      start(h, 'J-1', 30_000);
    }));
    expect(died.valid).toBe(false);
  });

  it('does not judge a job a cancel was asked for, one acknowledged before a Redis restart (it may be gone), or a run without the harness\'s starts', () => {
    expect(backAfterHeal(afterOutage((h) => start(h, 'J-1', 20_000), { cancel: true })).valid).toBe(true);
    expect(backAfterHeal(afterOutage((h) => start(h, 'J-1', 20_000), { ackT: 10_000 })).valid).toBe(true);
    expect(backAfterHeal(afterOutage((h) => h.execution('J-1', 1, 20_000, 'worker-1-executor'))).valid).toBe(true);
  });

  it('widens the promise live by clock margins for the wrapper\'s record of a start', () => {
    // 2,000 + 20 × 100 ms
    expect(backAfterHeal(afterOutage((h) => start(h, 'J-1', 15_900), { simulated: false })).valid).toBe(true);
    expect(backAfterHeal(afterOutage((h) => start(h, 'J-1', 16_100), { simulated: false })).valid).toBe(false);
  });
});

describe('backAfterHeal: jobs left from before the heal', () => {
  const LEASE = 2000;
  /**
   * J-1 acknowledged at 2,000 and started on worker-1 at 2,500; worker-1 killed at 3,000 (its
   * payload dies with it) and healed at 11,000 (the final heal): J-1 is anybody's from 13,000
   */
  function leftByDeadWorker(build: (h: HistoryBuilder) => void, o: { lease?: boolean; redisRestart?: boolean } = {}): History {
    const h = new HistoryBuilder();
    h.entries.push(shapeEntry({ simulated: true, recoveryWithinMs: PROMISE, ...(o.lease === false ? {} : { leaseMs: LEASE }) }));
    h.submit({ t: 1995, okT: 2000, key: 'k-1', payloads: [{ durationMs: 5000, exitCode: 0, output: ['a'] }], taskId: 'T-1', jobIds: ['J-1'] });
    h.entries.push({ kind: 'payload', t: 2500, jobId: 'J-1', attempt: 1, executorId: 'worker-1-executor' });
    h.nemesis(3000, 'start', 0, 'kill', 'worker-1', { effect: 'ends', family: 'process', detail: { kind: 'kill', process: 'worker-1' } });
    h.nemesis(11_000, 'end', 0, 'kill', 'worker-1');
    if (o.redisRestart) {
      h.nemesis(4000, 'start', 1, 'redis-restart', 'redis', { effect: 'ends', family: 'redis' });
      h.nemesis(5000, 'end', 1, 'redis-restart', 'redis');
    }
    build(h);
    h.entries.push(probe(true));
    h.snapshot(40_000, []);
    return h.build();
  }
  const takeOver = (h: HistoryBuilder, t: number, attempt = 2) => {
    h.entries.push({ kind: 'payload', t, jobId: 'J-1', attempt, executorId: 'worker-2-executor' });
    h.transition('J-1', 'running', 'completed', { t: t + 5000, sourceId: 'worker-2-executor', attempt });
  };

  it('holds when another worker takes a dead worker\'s job over within a lease and the promise of the heal', () => {
    const v = backAfterHeal(leftByDeadWorker((h) => takeOver(h, 14_500)));
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ idleWithWorkMs: 1500 });
  });

  it('fails when the fleet sits idle and nobody takes it over until new work wakes a worker', () => {
    const v = backAfterHeal(leftByDeadWorker((h) => takeOver(h, 21_000)));
    expect(v.valid).toBe(false);
    expect(v.evidence[0]!.message).toMatch(/from t=13000ms job J-1 \(left from before the heal, anybody's to take a lease after it, from t=13000ms\) waited while no payload ran anywhere, and none started until job J-1 started on worker-2-executor at t=21000ms: 8000 ms/);
    expect(backAfterHeal(leftByDeadWorker(() => undefined)).valid).toBe(false); // never taken over
  });

  it('does not judge it while it still runs, once its outcome was reported, without a lease, or when Redis restarted after it was acknowledged', () => {
    // its own worker's executor started it again before the lease was up, and it still runs
    expect(backAfterHeal(leftByDeadWorker((h) => h.entries.push({ kind: 'payload', t: 12_000, jobId: 'J-1', attempt: 2, executorId: 'worker-1-executor' }))).valid).toBe(true);
    // its outcome was reported before the kill (and not applied): it waits for a keeper, not for a worker
    expect(backAfterHeal(leftByDeadWorker((h) => Object.assign(h.transition('J-1', 'queued', 'queued', { t: 2900, sourceId: 'worker-1-executor', decision: 'ignored', reason: 'illegal' }), { type: 'completed' as const }))).valid).toBe(true);
    expect(backAfterHeal(leftByDeadWorker((h) => takeOver(h, 21_000), { lease: false })).valid).toBe(true);
    expect(backAfterHeal(leftByDeadWorker((h) => takeOver(h, 21_000), { redisRestart: true })).valid).toBe(true);
  });
});
