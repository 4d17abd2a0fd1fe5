// How the judge handles the evidence itself (issue 21, point 4): malformed keys are violations,
// an unread key leaves undecided only the jobs it could hold, orphan job hashes are reported, and
// a read must see an acknowledged write.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { totalQueue } from '../../harness/checkers/totalQueue.ts';
import { readFinalState } from '../../harness/history/collect.ts';
import { parseEntry, serializeEntry } from '../../harness/history/jsonl.ts';
import { HistoryRecorder } from '../../harness/history/recorder.ts';
import type { ClientEntry, SnapshotEntry } from '../../harness/history/types.ts';
import { simConnectorFor } from '../../harness/sim/redis/connection.ts';
import { SimRedis } from '../../harness/sim/redis/engine.ts';
import { Client } from '../../harness/workload/client.ts';
import { HistoryBuilder, healthyRun, job, payload, task } from './build.ts';

/** A read of taskId answered 404 (as the client records it): its invoke and its fail. */
function notFoundRead(h: HistoryBuilder, taskId: string, t: number, opId: number, process = 'client-2'): { invoke: ClientEntry; fail: ClientEntry } {
  const invoke: ClientEntry = { kind: 'client', t, type: 'invoke', process, opId, f: 'read', value: { taskId } };
  const fail: ClientEntry = { kind: 'client', t: t + 2, type: 'fail', process, opId, f: 'read', value: { status: 404, error: `unknown task ${taskId}` } };
  h.entries.push(invoke, fail);
  return { invoke, fail };
}

let redis: Redis | undefined;
afterEach(() => {
  redis?.disconnect();
  redis = undefined;
});

/** A Redis of the simulation's (in process), holding what `fill` writes. */
async function simRedis(fill: (r: Redis) => Promise<unknown>): Promise<Redis> {
  redis = new Redis({ ...simConnectorFor(new SimRedis({ now: () => Date.now() })), lazyConnect: true, retryStrategy: () => null });
  await redis.connect();
  await fill(redis);
  return redis;
}

describe('malformed evidence is a violation, not unreadable', () => {
  it('reports a job hash with a state outside the protocol as malformed, once, not also lost', () => {
    const h = new HistoryBuilder();
    const ack = h.submit({ t: 100, key: 'k-1', payloads: [payload(['a']), payload(['b'])], taskId: 'T-1', jobIds: ['J-1', 'J-2'] });
    const snap = h.snapshot(500, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed')])]);
    snap.malformed = [{ key: 'sut:job:J-2', jobId: 'J-2', taskId: 'T-1', problem: 'state "canceled" is not a job state' }];
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ malformed: 1, lost: 0 });
    expect(v.evidence).toHaveLength(1);
    expect(v.evidence[0]).toMatchObject({ jobId: 'J-2', taskId: 'T-1', at: 500 });
    expect(v.evidence[0].message).toMatch(/job J-2 \(task T-1\): sut:job:J-2 is malformed .*"canceled" is not a job state; acknowledged by submit op 1/);
    expect(v.evidence[0].entries).toEqual([ack.invoke, ack.completion, expect.objectContaining({ kind: 'snapshot', malformed: snap.malformed })]);
  });

  it('four lost jobs and one garbage hash: five violations, not unknown', () => {
    const h = new HistoryBuilder();
    const ids = ['J-1', 'J-2', 'J-3', 'J-4', 'J-5'];
    h.submit({ t: 100, key: 'k-1', payloads: ids.map(() => payload(['a'])), taskId: 'T-1', jobIds: ids });
    const snap = h.snapshot(500, [task('T-1', 'k-1', 'queued', [])]);
    snap.malformed = [{ key: 'sut:job:J-5', jobId: 'J-5', taskId: 'T-1', problem: 'state "canceled" is not a job state' }];
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ lost: 4, malformed: 1, undecided: 0, violations: 5 });
  });

  it('reports a task hash whose jobIds are no list as malformed, naming the acknowledged jobs it hides', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'] });
    const snap = h.snapshot(500, []);
    snap.malformed = [{ key: 'sut:task:T-1', taskId: 'T-1', problem: 'jobIds "oops" is not a JSON array of job ids' }];
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ malformed: 1, lost: 0 });
    expect(v.evidence[0].message).toMatch(/task T-1: sut:task:T-1 is malformed .*its job\(s\) J-1, acknowledged by submit op 1/);
  });

  it('the final state read files a job hash with an unknown state as malformed, not unreadable', async () => {
    const r = await simRedis((r) => r.multi()
      .hset('sut:task:T-1', 'id', 'T-1', 'idempotencyKey', 'k-1', 'jobIds', JSON.stringify(['T-1-0', 'T-1-1']))
      .hset('sut:job:T-1-0', 'id', 'T-1-0', 'taskId', 'T-1', 'state', 'completed', 'attempt', '1', 'output', 'a\n')
      .hset('sut:job:T-1-1', 'id', 'T-1-1', 'taskId', 'T-1', 'state', 'canceled', 'attempt', '1')
      .exec());
    const { snapshot } = await readFinalState(r, new HistoryRecorder());
    expect(snapshot.unreadable).toBeUndefined();
    expect(snapshot.malformed).toEqual([{ key: 'sut:job:T-1-1', jobId: 'T-1-1', taskId: 'T-1', problem: 'state "canceled" is not a job state' }]);
    expect(snapshot.tasks[0]?.jobs.map((j) => j.jobId)).toEqual(['T-1-0']);
    expect(snapshot.orphans).toBeUndefined();
    // the snapshot stays a valid history line
    expect(parseEntry(serializeEntry(snapshot), 1)).toEqual(snapshot);
  });
});

describe('an unread key leaves undecided only the jobs it could hold', () => {
  it('reports an absent acknowledged job as lost although an unrelated key could not be read', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'] });
    h.submit({ t: 110, key: 'k-2', payloads: [payload(['b'])], taskId: 'T-2', jobIds: ['J-2'] });
    const snap = h.snapshot(500, []);
    snap.unreadable = [
      { key: 'sut:job:J-9', jobId: 'J-9', taskId: 'T-9', error: 'WRONGTYPE' },
      { key: 'sut:running', error: 'WRONGTYPE' },
      { key: 'sut:task:T-2', taskId: 'T-2', error: 'timed out' },
    ];
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ lost: 1, undecided: 1 });
    expect(v.evidence.find((e) => /lost/.test(e.message))?.jobId).toBe('J-1');
    // only the key that hid a job is named
    expect(v.evidence.filter((e) => /could not read/.test(e.message)).map((e) => e.message)).toEqual(['could not read sut:task:T-2: timed out']);
  });

  it('stays undecided when the job hash itself, its task hash or everything could not be read', () => {
    for (const u of [
      { key: 'sut:job:J-1', jobId: 'J-1', error: 'WRONGTYPE' },
      { key: 'sut:task:T-1', taskId: 'T-1', error: 'timed out' },
      { key: '*', error: 'connection refused' },
    ]) {
      const h = new HistoryBuilder();
      h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'] });
      h.snapshot(500, []).unreadable = [u];
      const v = totalQueue(h.build());
      expect(v.valid, u.key).toBe('unknown');
      expect(v.stats).toMatchObject({ lost: 0, undecided: 1 });
    }
  });
});

describe('orphans: job hashes no task lists', () => {
  it('reports a job hash that no task lists and no submit acknowledged', () => {
    const h = healthyRun();
    const snap = h.entries.filter((e): e is SnapshotEntry => e.kind === 'snapshot').at(-1)!;
    snap.orphans = [{ key: 'sut:job:J-X', jobId: 'J-X', taskId: 'T-X', state: 'queued' }];
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ orphans: 1, lost: 0 });
    expect(v.evidence[0]).toMatchObject({ jobId: 'J-X', taskId: 'T-X' });
    expect(v.evidence[0].message).toMatch(/job J-X: sut:job:J-X \(state queued, naming task T-X\) is listed by no task .*no submit acknowledged it/);
    expect(v.evidence[0].entries).toEqual([expect.objectContaining({ kind: 'snapshot', orphans: snap.orphans })]);
  });

  it('reports an acknowledged job its task does not list once, as an orphan, not also as lost', () => {
    const h = new HistoryBuilder();
    const ack = h.submit({ t: 100, key: 'k-1', payloads: [payload(['a']), payload(['b'])], taskId: 'T-1', jobIds: ['J-1', 'J-2'] });
    const snap = h.snapshot(500, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed')])]);
    snap.orphans = [{ key: 'sut:job:J-2', jobId: 'J-2', taskId: 'T-1', state: 'completed' }];
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ orphans: 1, lost: 0, violations: 1 });
    expect(v.evidence[0].message).toMatch(/acknowledged by submit op 1 .* as a job of task T-1, yet no task owns it/);
    expect(v.evidence[0].entries?.slice(0, 2)).toEqual([ack.invoke, ack.completion]);
  });

  it('the final state read lists a job hash no task lists as an orphan', async () => {
    const r = await simRedis((r) => r.multi()
      .hset('sut:task:T-1', 'id', 'T-1', 'idempotencyKey', 'k-1', 'jobIds', JSON.stringify(['T-1-0']))
      .hset('sut:job:T-1-0', 'id', 'T-1-0', 'taskId', 'T-1', 'state', 'completed', 'attempt', '1', 'output', '')
      .hset('sut:job:T-2-0', 'id', 'T-2-0', 'taskId', 'T-2', 'state', 'queued', 'attempt', '0')
      .exec());
    const { snapshot } = await readFinalState(r, new HistoryRecorder());
    expect(snapshot.orphans).toEqual([{ key: 'sut:job:T-2-0', jobId: 'T-2-0', taskId: 'T-2', state: 'queued' }]);
    expect(parseEntry(serializeEntry(snapshot), 1)).toEqual(snapshot);
  });
});

describe('read your writes', () => {
  it('reports a read answered 404 for a task whose submit was acknowledged before the read began', () => {
    const h = new HistoryBuilder();
    const ack = h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'], okT: 105 });
    const read = notFoundRead(h, 'T-1', 120, 50);
    h.snapshot(500, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ readsNotFound: 1, lost: 0 });
    expect(v.evidence[0]).toMatchObject({ taskId: 'T-1', at: 122, entries: [ack.invoke, ack.completion, read.invoke, read.fail] });
    expect(v.evidence[0].message).toMatch(/task T-1: read op 50 by client-2 \(invoked t=120ms\) answered 404 at t=122ms, after submit op 1 .*ok at t=105ms/);
  });

  it('is a violation without a snapshot too', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'] });
    notFoundRead(h, 'T-1', 120, 50);
    expect(totalQueue(h.build()).valid).toBe(false);
  });

  it('accepts a 404 for a read begun before the acknowledgement came back', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'], okT: 105 });
    notFoundRead(h, 'T-1', 103, 50);
    h.snapshot(500, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ readsNotFound: 0 });
  });

  it('the client records a 404 as a fail with its status and the error as one string, a valid history line', async () => {
    const history = new HistoryRecorder();
    const client = new Client(async () => ({ status: 404, text: JSON.stringify({ error: 'unknown task T-1' }) }), history);
    expect(await client.read('T-1')).toBeUndefined();
    const fail = history.entries[1] as ClientEntry;
    expect(fail).toMatchObject({ type: 'fail', f: 'read', value: { status: 404, error: 'unknown task T-1' } });
    expect(parseEntry(serializeEntry(fail), 2)).toEqual(fail);
  });
});
