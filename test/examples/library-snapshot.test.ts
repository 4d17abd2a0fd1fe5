// The final snapshot of a library application (examples/common/system.ts): the front door
// records a task only after the library has its jobs, so a submit whose answer was lost may leave
// jobs in the library and no record. The snapshot also looks those up (the key's jobs, or the jobs
// the system's logs name for a keyless submit), so a job that landed is judged like any other and
// one that did not land is absent, as from the reference system's snapshot. What the library lost
// of an acknowledged task, or left unfinished of a task that landed, is still reported.
import { describe, expect, it } from 'vitest';
import { terminalStable } from '../../harness/checkers/terminalStable.ts';
import { totalQueue } from '../../harness/checkers/totalQueue.ts';
import { HistoryRecorder } from '../../harness/history/recorder.ts';
import type { ExecutionEntry, History, JobState, JobView } from '../../harness/history/types.ts';
import { snapshotOfTasks as snapshotOfRecordsOnly } from '../../harness/systems/library.ts';
import { snapshotOfTasks, tasksToRead, type AppTaskRecord } from '../../examples/common/system.ts';
import { HistoryBuilder, payload } from '../checkers/build.ts';

const two = [payload(['a']), payload(['b'])];

/** A library holding these jobs in these states (a job absent from it: the library has no such job). */
function library(jobs: Record<string, JobState | Error>) {
  return async (jobId: string, attempt: number): Promise<JobView | undefined> => {
    const s = jobs[jobId];
    if (s instanceof Error) throw s;
    return s === undefined ? undefined : { jobId, state: s, attempt, exitCode: s === 'completed' ? 0 : null, output: null, reason: null };
  };
}

/** The history so far (client operations, the logs) in a recorder, as readFinalState gets it. */
function recorderOf(h: HistoryBuilder): HistoryRecorder {
  const r = new HistoryRecorder();
  for (const e of h.entries) r.add(e);
  return r;
}

const executionsOf = (h: HistoryBuilder): ExecutionEntry[] => h.entries.filter((e): e is ExecutionEntry => e.kind === 'execution');

/** A job the library ran to completion: its start and its end, as the logs have them. */
function ran(h: HistoryBuilder, jobId: string, t: number): void {
  h.execution(jobId, 1, t);
  h.transition(jobId, 'queued', 'running', { t, source: 'library' });
  h.transition(jobId, 'running', 'completed', { t: t + 20, source: 'library', exitCode: 0 });
}

async function judged(h: HistoryBuilder, records: AppTaskRecord[], jobs: Record<string, JobState | Error>, read = snapshotOfTasks): Promise<History> {
  const snapshot = await read(recorderOf(h), records, executionsOf(h), library(jobs), (id) => `bull:chaos:${id}`);
  return [...h.entries, snapshot];
}

describe('tasksToRead', () => {
  it('reads the recorded tasks as they are when every submit has its record', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: two, taskId: 'k-1', jobIds: ['k-1-0', 'k-1-1'] });
    const records = [{ taskId: 'k-1', idempotencyKey: 'k-1', jobIds: ['k-1-0', 'k-1-1'] }];
    expect(tasksToRead(records, h.entries, ['k-1-0'])).toEqual(records);
  });

  it("names a keyed submit's jobs from its key and the most jobs any submit with that key sent, whatever its outcome", () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], outcome: 'info' });
    h.submit({ t: 200, key: 'k-1', payloads: two, outcome: 'none' });
    h.submit({ t: 300, key: 'k-2', payloads: [payload(['a'])], outcome: 'fail' });
    expect(tasksToRead([], h.entries)).toEqual([
      { taskId: 'k-1', idempotencyKey: 'k-1', jobIds: ['k-1-0', 'k-1-1'], inferred: true },
      { taskId: 'k-2', idempotencyKey: 'k-2', jobIds: ['k-2-0'], inferred: true },
    ]);
  });

  it("names an acknowledged task's jobs from its answer when its record is gone", () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: null, payloads: [payload(['a'])], taskId: 'U', jobIds: ['U-0'] });
    expect(tasksToRead([], h.entries)).toEqual([{ taskId: 'U', idempotencyKey: 'U', jobIds: ['U-0'], inferred: true }]);
  });

  it('names the task of a job only the logs name, up to the most jobs a keyless submit whose answer was lost sent', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: null, payloads: [payload(['a'])], outcome: 'info' });
    h.submit({ t: 110, key: null, payloads: [payload(['a']), ...two], outcome: 'none' });
    // answered keyless submits (refused, or acknowledged) left no task to find
    h.submit({ t: 120, key: null, payloads: [payload(['a']), ...two, ...two], outcome: 'fail' });
    const records = [{ taskId: 'k-9', idempotencyKey: 'k-9', jobIds: ['k-9-0'] }];
    expect(tasksToRead(records, h.entries, ['k-9-0', 'made-up-1', 'made-up-1', 'other-4', 'no suffix'])).toEqual([
      ...records,
      { taskId: 'made-up', idempotencyKey: 'made-up', jobIds: ['made-up-0', 'made-up-1', 'made-up-2'], inferred: true },
      { taskId: 'other', idempotencyKey: 'other', jobIds: ['other-0', 'other-1', 'other-2', 'other-3', 'other-4'], inferred: true },
    ]);
  });
});

describe("a library's final snapshot, judged", () => {
  it('shows the jobs of a keyed submit whose answer was lost that landed, recovered, where the records alone miss them', async () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: two, outcome: 'info' });
    ran(h, 'k-1-0', 200);
    ran(h, 'k-1-1', 210);
    const jobs = { 'k-1-0': 'completed', 'k-1-1': 'completed' } as const;

    // the records alone (as the snapshot was read before): no record, no job
    const before = await judged(h, [], jobs, (history, records, executions, view, keyOf) =>
      snapshotOfRecordsOnly(history, records.map((r) => ({ ...r, jobIds: [...r.jobIds] })), executions, view, keyOf));
    expect(terminalStable(before).valid).toBe(false); // the reading's false alarm: "snapshot has no such job"

    const history = await judged(h, [], jobs);
    expect(terminalStable(history).valid).toBe(true);
    const v = totalQueue(history);
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ recovered: 2, lost: 0, unexpected: 0 });
  });

  it('shows the task of a keyless submit whose answer was lost from the job ids its logs name, with its jobs that never ran', async () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], taskId: 'k-1', jobIds: ['k-1-0'] });
    h.submit({ t: 110, key: null, payloads: two, outcome: 'info' });
    ran(h, 'k-1-0', 150);
    ran(h, 'made-up-0', 200);
    const records = [{ taskId: 'k-1', idempotencyKey: 'k-1', jobIds: ['k-1-0'] }];
    const history = await judged(h, records, { 'k-1-0': 'completed', 'made-up-0': 'completed', 'made-up-1': 'queued' });
    expect(terminalStable(history).valid).toBe(true);
    const snapshot = history.at(-1)!;
    expect(snapshot.kind === 'snapshot' && snapshot.tasks.map((t) => [t.taskId, t.jobs.map((j) => `${j.jobId} ${j.state}`)])).toEqual([
      ['k-1', ['k-1-0 completed']],
      ['made-up', ['made-up-0 completed', 'made-up-1 queued']],
    ]);
    // it landed: its job left queued is owed a terminal state like an acknowledged one
    const v = totalQueue(history);
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ recoveredKeylessTasks: 1, recovered: 2, recoveredNotTerminal: 1, lost: 1 });
  });

  it('leaves out a submit whose answer was lost and that did not land, as the reference system would', async () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: two, outcome: 'info' });
    h.submit({ t: 110, key: null, payloads: two, outcome: 'none' });
    const history = await judged(h, [], {});
    const snapshot = history.at(-1)!;
    expect(snapshot.kind === 'snapshot' && snapshot.tasks).toEqual([]);
    const v = totalQueue(history);
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ recovered: 0, lost: 0, unexpected: 0 });
  });

  it('still reports a job the library lost of an acknowledged task', async () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: two, taskId: 'k-1', jobIds: ['k-1-0', 'k-1-1'] });
    ran(h, 'k-1-0', 200);
    const records = [{ taskId: 'k-1', idempotencyKey: 'k-1', jobIds: ['k-1-0', 'k-1-1'] }];
    const v = totalQueue(await judged(h, records, { 'k-1-0': 'completed' }));
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ acknowledged: 2, lost: 1 });
    expect(v.evidence[0]?.message).toMatch(/job k-1-1 .*lost — acknowledged .* has no such job/);
  });

  it('still reports a job the logs say finished that the library no longer has', async () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: null, payloads: [payload(['a'])], outcome: 'info' });
    ran(h, 'made-up-0', 200);
    expect(terminalStable(await judged(h, [], {})).valid).toBe(false);
  });

  it('keeps a job of such a task whose reading failed as unreadable (undecided), never dropped', async () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], outcome: 'info' });
    const history = await judged(h, [], { 'k-1-0': new Error('connection lost') });
    const snapshot = history.at(-1)!;
    expect(snapshot.kind === 'snapshot' && snapshot.unreadable).toEqual([{ key: 'bull:chaos:k-1-0', taskId: 'k-1', jobId: 'k-1-0', error: 'connection lost' }]);
    expect(snapshot.kind === 'snapshot' && snapshot.tasks.map((t) => t.taskId)).toEqual(['k-1']);
  });
});
