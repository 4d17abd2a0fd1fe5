import { describe, expect, it } from 'vitest';
import { eventsDecided } from '../../harness/checkers/eventsDecided.ts';
import type { EventQueueView, History, SnapshotEntry, TransitionEntry } from '../../harness/history/types.ts';
import { HistoryBuilder, job, shapeEntry, task } from './build.ts';

/** J-1 ran and completed: its two events (stream ids 100-0, 130-0) decided by the keeper */
function run(queue: (decided: TransitionEntry[]) => EventQueueView | undefined, extra: Partial<SnapshotEntry> = {}): History {
  const h = new HistoryBuilder();
  h.submit({ t: 90, key: 'k-1', payloads: [{ durationMs: 20, exitCode: 0, output: ['hi'] }], taskId: 'T-1', jobIds: ['J-1'] });
  const decided = [h.transition('J-1', 'queued', 'running', { t: 110, source: 'worker' }), h.transition('J-1', 'running', 'completed', { t: 140, exitCode: 0, output: 'hi\n' })];
  decided[0]!.eventId = '100-0';
  decided[1]!.eventId = '130-0';
  const snap = h.snapshot(300, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed', { exitCode: 0, output: 'hi\n' })])]);
  const q = queue(decided);
  if (q) snap.eventQueue = q;
  Object.assign(snap, extra);
  return h.build();
}

const ev = (id: string, type = 'running', source = 'worker') => ({ id, jobId: 'J-1', type, source, sourceId: `${source}-1` });
const held = (id: string, idleMs = 50, consumer = 'keeper-1') => ({ id, consumer, idleMs, deliveries: 1 });

describe('eventsDecided', () => {
  it('passes when every event the group let go of has a decision in the log', () => {
    const v = eventsDecided(run(() => ({ entries: [ev('100-0'), ev('130-0', 'completed', 'executor')], lastDeliveredId: '130-0', pending: [] })));
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ events: 2, letGo: 2, violations: 0 });
  });

  it('fails on an event delivered, no longer pending, and decided by no keeper (a dead consumer deleted with its pending events)', () => {
    const lost = ev('135-0', 'completed', 'worker');
    const v = eventsDecided(run(() => ({ entries: [ev('100-0'), ev('130-0', 'completed', 'executor'), lost], lastDeliveredId: '135-0', pending: [] })));
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ violations: 1, letGo: 3 });
    expect(v.evidence[0]).toMatchObject({ jobId: 'J-1' });
    expect(v.evidence[0]!.message).toContain('event 135-0 (completed from worker worker-1)');
  });

  it('fails on an event acknowledged without a decision even when its job reached the same state another way', () => {
    // the job is completed (the executor's event carried the news): only the queue's account shows the loss
    const v = eventsDecided(run(() => ({ entries: [ev('100-0'), ev('101-0', 'running', 'executor'), ev('130-0', 'completed', 'executor')], lastDeliveredId: '130-0', pending: [] })));
    expect(v.valid).toBe(false);
    expect(v.evidence.map((e) => e.message.split(' ')[1])).toEqual(['101-0']);
  });

  it('does not judge an event still pending or not yet delivered', () => {
    const v = eventsDecided(run(() => ({ entries: [ev('100-0'), ev('130-0', 'completed', 'executor'), ev('135-0'), ev('140-0')], lastDeliveredId: '135-0', pending: [held('135-0')] })));
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ letGo: 2, pending: 1, undelivered: 1 });
  });

  it('orders stream ids numerically, not as text', () => {
    // 99-0 < 130-0 although "99-0" > "130-0" as strings: it was delivered, let go of, and never decided
    const v = eventsDecided(run(() => ({ entries: [ev('99-0'), ev('100-0'), ev('130-0', 'completed', 'executor')], lastDeliveredId: '130-0', pending: [] })));
    expect(v.valid).toBe(false);
    expect(v.evidence[0]!.message).toContain('event 99-0');
  });

  it('passes a system with no events queue (nothing published, or a transport that is not a stream)', () => {
    expect(eventsDecided(run(() => undefined)).valid).toBe(true);
  });

  it('is unknown when the queue could not be read, and when there is no snapshot', () => {
    expect(eventsDecided(run(() => undefined, { unreadable: [{ key: 'sut:events', error: 'LOADING' }] })).valid).toBe('unknown');
    expect(eventsDecided(run(() => undefined).filter((e) => e.kind !== 'snapshot')).valid).toBe('unknown');
  });

  it('judges the final snapshot, not the first one', () => {
    const h = run(() => ({ entries: [ev('100-0'), ev('130-0', 'completed', 'executor')], lastDeliveredId: '130-0', pending: [] }));
    // a first snapshot (taken a quiet period earlier) that saw an event let go of undecided is not the final word
    const first: SnapshotEntry = { kind: 'snapshot', t: 250, first: true, tasks: [], runningSet: [], runningInfo: [], eventQueue: { entries: [ev('120-0')], lastDeliveredId: '120-0', pending: [] } };
    expect(eventsDecided([...h.slice(0, -1), first, h[h.length - 1]!]).valid).toBe(true);
  });

  describe('a pending event past the system\'s promise (stuck)', () => {
    const PROMISE = 24_000;
    /** the run above with a shape that promises PROMISE (or `promise`; null: none), a fault healed at healT, and a final snapshot at snapT whose queue holds `pending` */
    function stuckRun(o: { healT: number; snapT: number; pending: ReturnType<typeof held>[]; promise?: number | null }): History {
      const h = run(() => ({ entries: [ev('100-0'), ev('130-0', 'completed', 'executor'), ev('135-0')], lastDeliveredId: '135-0', pending: o.pending }));
      const snap = h.find((e): e is SnapshotEntry => e.kind === 'snapshot')!;
      snap.t = o.snapT;
      const shape = { ...shapeEntry(), ...(o.promise === null ? {} : { eventsDecidedWithinMs: o.promise ?? PROMISE }) };
      const faults: History = [
        { kind: 'nemesis', t: 200, type: 'start', stepId: 1, fault: 'kill', target: 'keeper-1' },
        { kind: 'nemesis', t: o.healT, type: 'end', stepId: 1, fault: 'kill', target: 'keeper-1' },
      ];
      return [shape, ...faults, ...h].sort((a, b) => a.t - b.t);
    }

    it('fails on an event left pending on a keeper past the promise, that long after the final heal (a reclaim that skips it)', () => {
      const v = eventsDecided(stuckRun({ healT: 1_000, snapT: 30_000, pending: [held('135-0', 28_000, 'keeper-1.1')] }));
      expect(v.valid).toBe(false);
      expect(v.stats).toMatchObject({ stuck: 1, violations: 1 });
      expect(v.evidence[0]!.message).toContain('event 135-0 (running from worker worker-1) for job J-1 is still pending on keeper-1.1');
    });

    it('does not call an event stuck while it has been pending less than the promise (it may be on its way)', () => {
      expect(eventsDecided(stuckRun({ healT: 1_000, snapT: 30_000, pending: [held('135-0', 23_999)] })).valid).toBe(true);
    });

    it('does not judge a pending event when the final snapshot came sooner after the final heal than the promise', () => {
      const v = eventsDecided(stuckRun({ healT: 10_000, snapT: 30_000, pending: [held('135-0', 28_000)] }));
      expect(v.valid).toBe(true);
      expect(v.stats).toMatchObject({ stuck: 0, pending: 1 });
    });

    it('does not judge a pending event for a system that makes no promise', () => {
      expect(eventsDecided(stuckRun({ healT: 1_000, snapT: 60_000, pending: [held('135-0', 58_000)], promise: null })).valid).toBe(true);
    });
  });
});
