// Submissions without an Idempotency-Key: one attempt each, never retried. Answered, a keyless
// submit made exactly its task; refused, none; its answer lost, none or one. The judges must
// accept exactly those and nothing more, and a payload run twice with no worker fault stays a
// violation whoever sent the task.
import { describe, expect, it } from 'vitest';
import { runStats } from '../../harness/checkers/coverage.ts';
import { observe } from '../../harness/checkers/observations.ts';
import { reexecution } from '../../harness/checkers/reexecution.ts';
import { totalQueue } from '../../harness/checkers/totalQueue.ts';
import { parseEntry } from '../../harness/history/jsonl.ts';
import { HistoryBuilder, job, payload, shapeEntry, task } from './build.ts';

const done = (id: string, out = 'a') => job(id, 'completed', { output: `${out}\n`, exitCode: 0 });

describe('totalQueue with keyless submissions', () => {
  it('accepts one task from a keyless submit whose answer was lost (recovered, owed a terminal state)', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: null, payloads: [payload(['a'])], outcome: 'info' });
    h.snapshot(500, [task('T-1', null, 'completed', [done('J-1')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ keylessSubmits: 1, keylessIndeterminate: 1, recovered: 1, recoveredKeylessTasks: 1, unexpected: 0, lost: 0 });
  });

  it('accepts no task from a keyless submit whose answer was lost, and from one never answered', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: null, payloads: [payload(['a'])], outcome: 'info' });
    h.submit({ t: 110, key: null, payloads: [payload(['b'])], outcome: 'none' });
    h.snapshot(500, []);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ keylessSubmits: 2, keylessIndeterminate: 2, recovered: 0, unexpected: 0 });
  });

  it('accepts a task whose key the system made up for a keyless submit (a front door that keys every task)', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: null, payloads: [payload(['a'])], outcome: 'none' });
    h.snapshot(500, [task('T-1', 'made-up-by-the-system', 'completed', [done('J-1')])]);
    expect(totalQueue(h.build()).valid).toBe(true);
  });

  it('accepts keyless submits answered with two different tasks (no key, so no duplicate key)', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: null, payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'] });
    h.submit({ t: 110, key: null, payloads: [payload(['a'])], taskId: 'T-2', jobIds: ['J-2'] });
    h.snapshot(500, [task('T-1', null, 'completed', [done('J-1')]), task('T-2', null, 'completed', [done('J-2')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ acknowledged: 2, duplicated: 0, unexpected: 0 });
  });

  it('rejects a second task from a keyless submit that was answered once', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: null, payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'] });
    h.snapshot(500, [task('T-1', null, 'completed', [done('J-1')]), task('T-9', null, 'completed', [done('J-9')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ unexpectedTasks: 1, unexpected: 1, recovered: 0 });
    expect(v.evidence[0]).toMatchObject({ taskId: 'T-9' });
    expect(v.evidence[0].message).toMatch(/no keyless submit whose answer was lost is left to account for it \(1 keyless submit\(s\), 0 of them unanswered/);
  });

  it('rejects two tasks from one keyless submit whose answer was lost: one is recovered, the other unexpected', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: null, payloads: [payload(['a'])], outcome: 'info' });
    h.snapshot(500, [task('T-1', null, 'completed', [done('J-1')]), task('T-2', null, 'completed', [done('J-2')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ recoveredKeylessTasks: 1, unexpectedTasks: 1 });
  });

  it('rejects a task from a keyless submit that was refused (a 4xx wrote nothing)', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: null, payloads: [payload(['a'])], outcome: 'fail' });
    h.snapshot(500, [task('T-1', null, 'completed', [done('J-1')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ unexpectedTasks: 1 });
  });

  it('matches tasks to lost keyless submits by the jobs each sent: one task per submit, never more jobs than it sent', () => {
    const twoSubmits = () => {
      const h = new HistoryBuilder();
      h.submit({ t: 100, key: null, payloads: [payload(['a'])], outcome: 'info' });
      h.submit({ t: 110, key: null, payloads: [payload(['a']), payload(['b']), payload(['c'])], outcome: 'none' });
      return h;
    };
    // a 3-job task and a 1-job task: each has its submit, whichever order the snapshot lists them in
    const fits = twoSubmits();
    fits.snapshot(500, [task('T-1', null, 'completed', [done('J-1')]), task('T-3', null, 'completed', [done('J-2'), done('J-3', 'b'), done('J-4', 'c')])]);
    expect(totalQueue(fits.build())).toMatchObject({ valid: true, stats: { recoveredKeylessTasks: 2, recovered: 4 } });
    // two 3-job tasks: only one submit sent three jobs
    const tooMany = twoSubmits();
    tooMany.snapshot(500, [task('T-3', null, 'completed', [done('J-2'), done('J-3'), done('J-4')]), task('T-4', null, 'completed', [done('J-5'), done('J-6'), done('J-7')])]);
    const v = totalQueue(tooMany.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ recoveredKeylessTasks: 1, unexpectedTasks: 1, unexpected: 3 });
  });

  it('reports a job of a recovered keyless task that never finished as lost', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: null, payloads: [payload(['a'])], outcome: 'info' });
    h.snapshot(500, [task('T-1', null, 'queued', [job('J-1', 'queued')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ lost: 1, recoveredNotTerminal: 1 });
    expect(v.evidence[0].message).toMatch(/lost — an indeterminate submit without a key took effect \(submit op 1 by client-1 \(no key,/);
  });

  it('a keyed submit does not account for a keyless task, nor a keyless submit for a task under a key that was sent', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'] });
    h.submit({ t: 110, key: null, payloads: [payload(['a'])], outcome: 'info' });
    // T-2 under k-1 is a duplicate of k-1's task, whatever the keyless submit did
    h.snapshot(500, [task('T-1', 'k-1', 'completed', [done('J-1')]), task('T-2', 'k-1', 'completed', [done('J-2')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ duplicated: 1, recoveredKeylessTasks: 0 });
  });
});

describe('a keyless submission in the history', () => {
  it('is an op of its own with no key; an invoke with neither a key nor keyless is not a submission', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: null, payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'] });
    h.entries.push({ kind: 'client', t: 120, type: 'invoke', process: 'client-9', opId: 99, f: 'submit', value: { description: 'd', jobs: [] } });
    const obs = observe(h.build());
    expect(obs.submits).toHaveLength(1);
    expect(obs.submits[0]).toMatchObject({ idempotencyKey: undefined, outcome: 'ok', taskId: 'T-1' });
    expect(obs.submitsByKey.size).toBe(0);
    expect(obs.jobsById.get('J-1')?.origin?.submit).toBe(obs.submits[0]);
  });

  it('reads back from JSONL; a submit naming both a key and keyless, or neither, is refused', () => {
    const line = (value: unknown) => JSON.stringify({ kind: 'client', t: 1, type: 'invoke', process: 'client-0', opId: 1, f: 'submit', value });
    const jobs = [{ description: 'j', payload: payload(['a']), timeoutMs: 1000 }];
    expect(parseEntry(line({ keyless: true, description: 'd', jobs }), 1)).toMatchObject({ value: { keyless: true } });
    expect(parseEntry(line({ idempotencyKey: 'k', description: 'd', jobs }), 1)).toMatchObject({ value: { idempotencyKey: 'k' } });
    expect(() => parseEntry(line({ description: 'd', jobs }), 7, 'h.jsonl')).toThrow(/h\.jsonl:7: .*names its idempotencyKey or says keyless: true/);
    expect(() => parseEntry(line({ idempotencyKey: 'k', keyless: true, description: 'd', jobs }), 7)).toThrow(/one of the two/);
  });
});

describe('a payload run twice after a keyless submit, with a fault only on the front door', () => {
  // The interleaving of a submit write that is not safe to resend: the front door's Redis link cut
  // while the reply was on its way, the write resent, the job enqueued twice and run by both workers.
  function resentSubmit(): HistoryBuilder {
    const h = new HistoryBuilder();
    h.entries.push(shapeEntry());
    h.submit({ t: 100, key: null, payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'], okT: 900 });
    h.nemesis(150, 'start', 0, 'timeout', 'orchestrator', { detail: { kind: 'timeout', link: 'orchestrator', stream: 'downstream', timeoutMs: 300 } });
    h.nemesis(700, 'end', 0, 'timeout', 'orchestrator');
    h.execution('J-1', 1, 950, 'worker-1-executor');
    h.execution('J-1', 1, 955, 'worker-2-executor');
    h.transition('J-1', 'queued', 'running', { t: 960, source: 'executor', sourceId: 'worker-1-executor' });
    h.transition('J-1', 'running', 'completed', { t: 1000, sourceId: 'worker-1-executor', output: 'a\n', exitCode: 0 });
    h.transition('J-1', 'completed', 'completed', { t: 1005, sourceId: 'worker-2-executor', decision: 'ignored', reason: 'stale-terminal' });
    h.snapshot(2000, [task('T-1', null, 'completed', [done('J-1')])]);
    return h;
  }

  it('is a reexecution no fault explains; the task count is right, so totalQueue accepts it', () => {
    const history = resentSubmit().build();
    const v = reexecution(history);
    expect(v.valid).toBe(false);
    expect(v.evidence[0]).toMatchObject({ jobId: 'J-1' });
    expect(totalQueue(history).valid).toBe(true);
  });

  it('counts the keyless submit as in flight during a cut of the front door\'s Redis link', () => {
    expect(runStats(resentSubmit().build()).keylessSubmitsCut).toBe(1);
  });

  it('does not count a cut of the client link, a delay, a keyed submit, or a cut after the answer', () => {
    const h = new HistoryBuilder();
    h.entries.push(shapeEntry());
    h.submit({ t: 100, key: null, payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1'], okT: 900 });
    h.submit({ t: 100, key: 'k-2', payloads: [payload(['a'])], taskId: 'T-2', jobIds: ['J-2'], okT: 900 });
    h.submit({ t: 100, key: null, payloads: [payload(['a'])], taskId: 'T-3', jobIds: ['J-3'], okT: 175 });
    h.nemesis(150, 'start', 0, 'timeout', 'client', { detail: { kind: 'timeout', link: 'client' } });
    h.nemesis(160, 'start', 1, 'latency', 'orchestrator', { detail: { kind: 'latency', link: 'orchestrator' } });
    h.nemesis(170, 'start', 2, 'down', 'orchestrator', { detail: { kind: 'down', link: 'orchestrator' }, outcome: 'failed' });
    h.nemesis(180, 'start', 3, 'reset_peer', 'orchestrator', { detail: { kind: 'reset_peer', link: 'orchestrator' } });
    h.nemesis(190, 'end', 3, 'reset_peer', 'orchestrator');
    // T-3's keyless submit (answered at 175) met the client link's cut, the delay and the failed
    // injection, none of which counts; the cut at 180 met T-1's and the keyed one
    expect(runStats(h.build()).keylessSubmitsCut).toBe(1);
    const keyedOnly = new HistoryBuilder();
    keyedOnly.entries.push(shapeEntry());
    keyedOnly.submit({ t: 100, key: 'k-2', payloads: [payload(['a'])], taskId: 'T-2', jobIds: ['J-2'], okT: 900 });
    keyedOnly.nemesis(180, 'start', 3, 'reset_peer', 'orchestrator', { detail: { kind: 'reset_peer', link: 'orchestrator' } });
    expect(runStats(keyedOnly.build()).keylessSubmitsCut).toBe(0);
  });
});
