import { describe, expect, it } from 'vitest';
import { totalQueue } from '../../harness/checkers/totalQueue.ts';
import { HistoryBuilder, healthyRun, job, payload, task } from './build.ts';

describe('totalQueue', () => {
  it('accepts a run in which every acknowledged job finished', () => {
    const v = totalQueue(healthyRun().build());
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ acknowledged: 2, lost: 0, recovered: 0, unexpected: 0, duplicated: 0 });
  });

  it('is unknown for an empty history (no snapshot)', () => {
    const v = totalQueue([]);
    expect(v.valid).toBe('unknown');
    expect(v.evidence[0].message).toMatch(/no snapshot/);
  });

  it('reports an acknowledged job still queued after the final heal as lost', () => {
    const h = new HistoryBuilder();
    const { invoke, completion } = h.submit({ t: 100, key: 'k-1', payloads: [payload(['a']), payload(['b'])], taskId: 'T-1', jobIds: ['J-1', 'J-2'] });
    h.snapshot(500, [task('T-1', 'k-1', 'running', [job('J-1', 'completed', { output: 'a\n' }), job('J-2', 'queued')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ acknowledged: 2, lost: 1 });
    expect(v.evidence).toHaveLength(1);
    expect(v.evidence[0]).toMatchObject({ jobId: 'J-2', taskId: 'T-1', at: 500 });
    expect(v.evidence[0].entries?.slice(0, 2)).toEqual([invoke, completion]);
    expect(v.evidence[0].message).toMatch(/job J-2 \(task T-1\): lost — acknowledged by submit op 1 .* has it queued/);
  });

  it('reports an acknowledged job missing from the snapshot as lost', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'] });
    h.snapshot(500, []);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0].jobId).toBe('J-1');
    expect(v.evidence[0].message).toMatch(/has no such job/);
  });

  it('accepts an indeterminate submit that took effect and whose job reached a terminal state (recovered)', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-2', payloads: [payload(['a'])], outcome: 'info' });
    h.snapshot(500, [task('T-2', 'k-2', 'completed', [job('J-2', 'completed', { output: 'a\n' })])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ acknowledged: 0, recovered: 1, recoveredNotTerminal: 0, lost: 0, submitsInfo: 1 });
  });

  it('reports a job of an indeterminate submit that took effect but never finished as lost (info and no answer alike)', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-2', payloads: [payload(['a'])], outcome: 'info' });
    h.submit({ t: 120, key: 'k-3', payloads: [payload(['b'])], outcome: 'none' });
    h.snapshot(500, [
      task('T-2', 'k-2', 'running', [job('J-2', 'running')]),
      task('T-3', 'k-3', 'queued', [job('J-3', 'queued')]),
    ]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ recovered: 2, recoveredNotTerminal: 2, lost: 2, submitsInfo: 1, submitsPending: 1 });
    expect(v.evidence.map((e) => e.jobId)).toEqual(['J-2', 'J-3']);
    expect(v.evidence[0].message).toMatch(/job J-2 \(task T-2\): lost — an indeterminate submit with key k-2 took effect .* has it running/);
  });

  it('reports a task created although every submit with its key failed (a 4xx must write nothing)', () => {
    const h = new HistoryBuilder();
    const refused = h.submit({ t: 100, key: 'k-4', payloads: [payload(['a']), payload(['b'])], outcome: 'fail' });
    h.snapshot(500, [task('T-4', 'k-4', 'completed', [job('J-4', 'completed'), job('J-5', 'completed')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ failedTookEffect: 1, recovered: 0, submitsFail: 1 });
    expect(v.evidence[0].taskId).toBe('T-4');
    expect(v.evidence[0].entries?.slice(0, 2)).toEqual([refused.invoke, refused.completion]);
    expect(v.evidence[0].message).toMatch(/every submit with its key k-4 failed/);
  });

  it('accepts a key refused once and answered indeterminately once, whose task finished', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-5', payloads: [payload(['a'])], outcome: 'info' });
    h.submit({ t: 200, key: 'k-5', payloads: [payload(['a'])], outcome: 'fail' });
    h.snapshot(500, [task('T-5', 'k-5', 'completed', [job('J-5', 'completed')])]);
    expect(totalQueue(h.build()).valid).toBe(true);
  });

  it('says unknown, not lost, for an acknowledged job missing from a snapshot that could not read everything', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'] });
    const snap = h.snapshot(500, []);
    snap.unreadable = [{ key: 'sut:task:T-1', taskId: 'T-1', error: 'timed out' }];
    const v = totalQueue(h.build());
    expect(v.valid).toBe('unknown');
    expect(v.stats).toMatchObject({ lost: 0, undecided: 1 });
    expect(v.evidence.map((e) => e.message)).toContain('could not read sut:task:T-1: timed out');
  });

  it('reports a job listed by two tasks of the snapshot as duplicated', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'] });
    h.submit({ t: 110, key: 'k-2', payloads: [payload(['b'])], taskId: 'T-2', jobIds: ['J-2'] });
    h.snapshot(500, [
      task('T-1', 'k-1', 'completed', [job('J-1', 'completed')]),
      task('T-2', 'k-2', 'completed', [job('J-2', 'completed'), job('J-1', 'completed')]),
    ]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    const dup = v.evidence.find((e) => e.jobId === 'J-1' && /listed by two tasks, T-1 and T-2/.test(e.message));
    expect(dup?.entries?.[0]).toMatchObject({ kind: 'snapshot', tasks: [{ taskId: 'T-1' }, { taskId: 'T-2' }] });
  });

  it('accepts a retried indeterminate submit acknowledged under the same key', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], outcome: 'info' });
    h.submit({ t: 200, key: 'k-1', payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'] });
    h.snapshot(500, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ acknowledged: 1, recovered: 0 });
  });

  it('reports one idempotency key that produced two tasks as duplicated', () => {
    const h = new HistoryBuilder();
    const first = h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'] });
    const retry = h.submit({ t: 200, key: 'k-1', payloads: [payload(['a'])], taskId: 'T-9', jobIds: ['J-9'] });
    h.snapshot(500, [
      task('T-1', 'k-1', 'completed', [job('J-1', 'completed')]),
      task('T-9', 'k-1', 'completed', [job('J-9', 'completed')]),
    ]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats?.duplicated).toBe(1);
    const dup = v.evidence.find((e) => /idempotency key k-1 produced 2 tasks/.test(e.message));
    expect(dup?.message).toMatch(/T-1 .*T-9/);
    expect(dup?.entries).toEqual(expect.arrayContaining([first.invoke, first.completion, retry.invoke, retry.completion]));
  });

  it('reports a duplicate task under one key seen only in the snapshot', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], outcome: 'info' });
    h.snapshot(500, [
      task('T-1', 'k-1', 'completed', [job('J-1', 'completed')]),
      task('T-2', 'k-1', 'completed', [job('J-2', 'completed')]),
    ]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0].message).toMatch(/idempotency key k-1 produced 2 tasks: T-1 .*T-2/);
  });

  it('reports a job finished twice in the transition log as duplicated, even without a snapshot', () => {
    const h = new HistoryBuilder();
    h.transition('J-1', 'queued', 'running', { t: 10 });
    const first = h.transition('J-1', 'running', 'completed', { t: 20 });
    const second = h.transition('J-1', 'running', 'failed', { t: 21, attempt: 2 });
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0]).toMatchObject({ jobId: 'J-1', entries: [first, second] });
  });

  it('reports a task no submit could have created as unexpected', () => {
    const h = healthyRun();
    h.snapshot(600, [
      task('T-1', 'k-1', 'failed', [job('J-1', 'completed', { output: 'hello\n' }), job('J-2', 'failed', { exitCode: 3, reason: 'exit' })]),
      task('T-X', 'k-never-sent', 'queued', [job('J-X', 'queued')]),
    ]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ unexpected: 1, unexpectedTasks: 1, lost: 0 });
    expect(v.evidence[0]).toMatchObject({ taskId: 'T-X', at: 600 });
    expect(v.evidence[0].message).toMatch(/task T-X: .* no submit sent its idempotency key k-never-sent/);
  });

  it('reports a job an acknowledged task gained after the response as unexpected', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'] });
    h.snapshot(500, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed'), job('J-7', 'completed')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0]).toMatchObject({ jobId: 'J-7', taskId: 'T-1' });
  });
});
