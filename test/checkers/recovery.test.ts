// Recovery paths (recovery.ts): a job taken over from a worker that died holding it, and a
// keeper's events taken over after it came back as a new consumer. Hand-made histories, with
// the ones that must not count.
import { describe, expect, it } from 'vitest';
import { faultReach } from '../../harness/checkers/faultReach.ts';
import { observe } from '../../harness/checkers/observations.ts';
import { recoveryStats } from '../../harness/checkers/recovery.ts';
import type { History } from '../../harness/history/types.ts';
import { HistoryBuilder, payload } from './build.ts';

const stats = (h: History) => {
  const obs = observe(h);
  return recoveryStats(h, obs, faultReach(h, obs));
};

describe('jobTakeovers', () => {
  it('counts a job whose worker was killed during its attempt and that ran again on another worker', () => {
    const b = new HistoryBuilder();
    b.execution('j1', 1, 100, 'worker-1');
    b.nemesis(200, 'start', 0, 'kill', 'worker-1');
    b.nemesis(300, 'end', 0, 'kill', 'worker-1');
    b.execution('j1', 2, 3500, 'worker-2');
    expect(stats(b.build()).jobTakeovers).toBe(1);
  });

  it('counts the same worker taking it again only when it came back as a new consumer', () => {
    const same = new HistoryBuilder();
    same.execution('j1', 1, 100, 'worker-1');
    same.nemesis(200, 'start', 0, 'kill', 'worker-1', { detail: { kind: 'kill', process: 'worker-1', rejoin: 'same' } });
    same.nemesis(300, 'end', 0, 'kill', 'worker-1');
    same.execution('j1', 2, 400, 'worker-1');
    expect(stats(same.build()).jobTakeovers).toBe(0);

    const renamed = new HistoryBuilder();
    renamed.execution('j1', 1, 100, 'worker-1');
    renamed.nemesis(200, 'start', 0, 'kill', 'worker-1', { detail: { kind: 'kill', process: 'worker-1', rejoin: 'new' } });
    renamed.nemesis(300, 'end', 0, 'kill', 'worker-1');
    renamed.execution('j1', 2, 3500, 'worker-1');
    expect(stats(renamed.build()).jobTakeovers).toBe(1);
  });

  it('does not count a rerun without a death of its holder between the two starts', () => {
    const b = new HistoryBuilder();
    b.nemesis(50, 'start', 0, 'kill', 'worker-1');
    b.nemesis(60, 'end', 0, 'kill', 'worker-1');
    b.execution('j1', 1, 100, 'worker-1');
    b.nemesis(200, 'start', 1, 'kill', 'worker-2');
    b.nemesis(300, 'end', 1, 'kill', 'worker-2');
    b.execution('j1', 2, 3500, 'worker-2');
    expect(stats(b.build()).jobTakeovers).toBe(0);
  });

  it('does not count a kill that found nothing to hit', () => {
    const b = new HistoryBuilder();
    b.execution('j1', 1, 100, 'worker-1');
    b.nemesis(200, 'start', 0, 'kill', 'worker-1', { outcome: 'empty' });
    b.nemesis(300, 'end', 0, 'kill', 'worker-1');
    b.execution('j1', 2, 3500, 'worker-2');
    expect(stats(b.build()).jobTakeovers).toBe(0);
  });
});

describe('keeperTakeovers', () => {
  it('counts a keeper killed while events flowed and healed as a new consumer', () => {
    const b = new HistoryBuilder();
    b.nemesis(200, 'start', 0, 'kill', 'keeper-1', { detail: { kind: 'kill', process: 'keeper-1', rejoin: 'new' } });
    b.transition('j1', 'queued', 'running', { t: 250 });
    b.nemesis(300, 'end', 0, 'kill', 'keeper-1');
    expect(stats(b.build()).keeperTakeovers).toBe(1);
  });

  it('does not count a keeper killed with nothing in hand, nor one healed under its own name', () => {
    const b = new HistoryBuilder();
    b.nemesis(200, 'start', 0, 'kill', 'keeper-1', { detail: { kind: 'kill', process: 'keeper-1', rejoin: 'new' } });
    b.nemesis(300, 'end', 0, 'kill', 'keeper-1');
    b.nemesis(400, 'start', 1, 'kill', 'keeper-2', { detail: { kind: 'kill', process: 'keeper-2', rejoin: 'same' } });
    b.nemesis(500, 'end', 1, 'kill', 'keeper-2');
    expect(stats(b.build()).keeperTakeovers).toBe(0);
  });
});

describe('jobsAfterHeal', () => {
  it('counts jobs acknowledged after the last heal that reached a terminal state, and no other', () => {
    const b = new HistoryBuilder();
    b.submit({ t: 10, key: 'before', payloads: [payload(['a'])], taskId: 't0', jobIds: ['t0-1'] });
    b.nemesis(100, 'start', 0, 'redis-restart', 'redis');
    b.nemesis(6000, 'end', 0, 'redis-restart', 'redis');
    b.submit({ t: 6500, key: 'after', payloads: [payload(['b']), payload(['c'])], taskId: 't1', jobIds: ['t1-1', 't1-2'] });
    for (const j of ['t0-1', 't1-1']) {
      b.transition(j, 'queued', 'running', { t: 6600 });
      b.transition(j, 'running', 'completed', { t: 6700, source: 'executor' });
    }
    // t1-2 never finished: not counted
    expect(stats(b.build()).jobsAfterHeal).toBe(1);
  });

  it('is 0 without any fault', () => {
    const b = new HistoryBuilder();
    b.submit({ t: 10, key: 'k', payloads: [payload(['a'])], taskId: 't0', jobIds: ['t0-1'] });
    b.transition('t0-1', 'queued', 'completed', { t: 50, source: 'executor' });
    expect(stats(b.build()).jobsAfterHeal).toBe(0);
  });
});

describe('outcomesBeforeAck', () => {
  it('counts a job whose worker reported its outcome, then died, and that was delivered again', () => {
    const b = new HistoryBuilder();
    b.execution('j1', 1, 100, 'worker-1');
    b.transition('j1', 'running', 'completed', { t: 300, sourceId: 'worker-1' });
    b.nemesis(400, 'start', 0, 'kill', 'worker-1');
    b.nemesis(500, 'end', 0, 'kill', 'worker-1');
    b.execution('j1', 2, 3000, 'worker-2');
    expect(stats(b.build()).outcomesBeforeAck).toBe(1);
  });

  it('counts a pause past the lease the same way, but not an executor kill (the worker acknowledges, not its executor)', () => {
    const paused = new HistoryBuilder();
    paused.execution('j1', 1, 100, 'worker-1');
    paused.transition('j1', 'running', 'failed', { t: 300, sourceId: 'worker-1' });
    paused.nemesis(310, 'start', 0, 'pause', 'worker-1');
    paused.nemesis(5000, 'end', 0, 'pause', 'worker-1');
    paused.execution('j1', 2, 3000, 'worker-2');
    expect(stats(paused.build()).outcomesBeforeAck).toBe(1);

    const executor = new HistoryBuilder();
    executor.execution('j1', 1, 100, 'worker-1');
    executor.transition('j1', 'running', 'completed', { t: 300, sourceId: 'worker-1' });
    executor.nemesis(400, 'start', 0, 'kill-executor', 'executor of worker-1');
    executor.nemesis(500, 'end', 0, 'kill-executor', 'executor of worker-1');
    executor.execution('j1', 2, 3000, 'worker-2');
    expect(stats(executor.build()).outcomesBeforeAck).toBe(0);
  });

  it('does not count a death before the outcome, one without a later delivery, nor a later attempt begun before the death', () => {
    const before = new HistoryBuilder();
    before.execution('j1', 1, 100, 'worker-1');
    before.nemesis(200, 'start', 0, 'kill', 'worker-1');
    before.nemesis(250, 'end', 0, 'kill', 'worker-1');
    before.transition('j1', 'running', 'completed', { t: 300, sourceId: 'worker-1' });
    before.execution('j1', 2, 3000, 'worker-2');
    expect(stats(before.build()).outcomesBeforeAck).toBe(0);

    const acked = new HistoryBuilder();
    acked.execution('j1', 1, 100, 'worker-1');
    acked.transition('j1', 'running', 'completed', { t: 300, sourceId: 'worker-1' });
    acked.nemesis(400, 'start', 0, 'kill', 'worker-1');
    acked.nemesis(500, 'end', 0, 'kill', 'worker-1');
    expect(stats(acked.build()).outcomesBeforeAck).toBe(0);

    const earlier = new HistoryBuilder();
    earlier.execution('j1', 1, 100, 'worker-1');
    earlier.transition('j1', 'running', 'completed', { t: 300, sourceId: 'worker-1' });
    earlier.execution('j1', 2, 350, 'worker-2');
    earlier.nemesis(400, 'start', 0, 'kill', 'worker-1');
    earlier.nemesis(500, 'end', 0, 'kill', 'worker-1');
    expect(stats(earlier.build()).outcomesBeforeAck).toBe(0);
  });
});
