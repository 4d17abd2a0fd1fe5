import { describe, expect, it } from 'vitest';
import { checkAll } from '../../harness/checkers/index.ts';
import { observe } from '../../harness/checkers/observations.ts';
import { snapshotStable } from '../../harness/checkers/snapshotStable.ts';
import type { JobView, SnapshotEntry } from '../../harness/history/types.ts';
import { HistoryBuilder, job, payload, task } from './build.ts';

const completed = (extra: Partial<JobView> = {}) => job('J-1', 'completed', { exitCode: 0, output: 'hello\n', reason: null, ...extra });
const failed = job('J-2', 'failed', { exitCode: 3, output: 'oops\n', reason: 'exit' });

/** a submitted task of two jobs, and the run's two snapshots (the first marked, as the runner writes it) */
function twoSnapshots(first: JobView[], final: JobView[], o: { finalFirst?: boolean } = {}): { h: HistoryBuilder; a: SnapshotEntry; b: SnapshotEntry } {
  const h = new HistoryBuilder();
  h.submit({ t: 100, key: 'k-1', payloads: [payload(['hello']), payload(['oops'], 3)], taskId: 'T-1', jobIds: ['J-1', 'J-2'] });
  const take = (t: number, jobs: JobView[]) => h.snapshot(t, [task('T-1', 'k-1', 'failed', jobs)]);
  let a: SnapshotEntry;
  let b: SnapshotEntry;
  if (o.finalFirst) {
    b = take(900, final);
    a = take(500, first);
  } else {
    a = take(500, first);
    b = take(900, final);
  }
  a.first = true;
  return { h, a, b };
}

describe('snapshotStable', () => {
  it('accepts a final snapshot that shows every terminal job as the first one did', () => {
    const { h } = twoSnapshots([completed(), failed], [completed(), failed]);
    const v = snapshotStable(h.build());
    expect(v).toMatchObject({ valid: true, evidence: [], stats: { violations: 0, compared: 2, late: 0 } });
  });

  it('rejects a terminal job overwritten after the first snapshot, with both snapshot excerpts as evidence', () => {
    const { h, a, b } = twoSnapshots([completed(), failed], [job('J-1', 'running', { exitCode: null, output: null, reason: null }), failed]);
    const v = snapshotStable(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats?.violations).toBe(1);
    const [e] = v.evidence;
    expect(e).toMatchObject({ jobId: 'J-1', taskId: 'T-1', at: 900 });
    expect(e!.message).toMatch(/job J-1 \(task T-1\): completed, exit 0, .* in the snapshot at t=500ms, running in the final snapshot at t=900ms \(state, exitCode, output changed/);
    // only the job at issue, from each snapshot; the first one still marked as the first
    expect(e!.entries).toEqual([
      { kind: 'snapshot', t: a.t, first: true, tasks: [a.tasks[0]], runningSet: [], runningInfo: [] },
      { kind: 'snapshot', t: b.t, tasks: [b.tasks[0]], runningSet: [], runningInfo: [] },
    ]);
  });

  it("rejects a change of a terminal job's outcome alone (its output, its reason, its duration), and a terminal job gone", () => {
    expect(snapshotStable(twoSnapshots([completed(), failed], [completed({ output: 'other\n' }), failed]).h.build()).evidence[0]!.message).toMatch(/output changed/);
    const longer = snapshotStable(twoSnapshots([completed({ durationMs: 20 }), failed], [completed({ durationMs: 312 }), failed]).h.build());
    expect(longer.evidence[0]!.message).toMatch(/job J-1 \(task T-1\): completed, exit 0, duration 20 ms, .* in the snapshot at t=500ms, completed, exit 0, duration 312 ms, .*\(durationMs changed/);
    expect(snapshotStable(twoSnapshots([completed(), failed], [completed(), { ...failed, reason: 'timeout' }]).h.build()).evidence[0]!.message).toMatch(/job J-2 .*reason changed/);
    const gone = snapshotStable(twoSnapshots([completed(), failed], [completed()]).h.build());
    expect(gone.valid).toBe(false);
    expect(gone.evidence[0]!.message).toMatch(/job J-2 \(task T-1\): failed, exit 3, .*gone from the final snapshot/);
  });

  it('counts a job that ended between the snapshots as late, not wrong; a moved unfinished job and a new one are counted too', () => {
    const h = new HistoryBuilder();
    h.snapshot(500, [task('T-1', 'k-1', 'running', [job('J-1', 'running'), job('J-2', 'queued')])]).first = true;
    h.snapshot(900, [task('T-1', 'k-1', 'running', [job('J-1', 'completed', { exitCode: 0, output: '' }), job('J-2', 'running')]), task('T-2', 'k-2', 'queued', [job('J-3', 'queued')])]);
    const v = snapshotStable(h.build());
    expect(v).toMatchObject({ valid: true, stats: { violations: 0, compared: 0, late: 1, movedUnfinished: 1, appeared: 1 } });
  });

  it('does not compare the attempt: a redelivery counted after the outcome changes no outcome', () => {
    const { h } = twoSnapshots([completed(), failed], [completed({ attempt: 2 }), failed]);
    expect(snapshotStable(h.build()).valid).toBe(true);
  });

  it('is unknown, not a violation, when the final snapshot could not read the key of a job gone from it', () => {
    const { h, b } = twoSnapshots([completed(), failed], [completed()]);
    b.unreadable = [{ key: 'sut:job:J-2', jobId: 'J-2', taskId: 'T-1', error: 'LOADING' }];
    const v = snapshotStable(h.build());
    expect(v.valid).toBe('unknown');
    expect(v.stats).toMatchObject({ violations: 0, undecided: 1 });
  });

  it('tells the two snapshots apart by their mark, not their order; the other checkers judge the final one', () => {
    const { h, b } = twoSnapshots([completed(), failed], [job('J-1', 'running'), failed], { finalFirst: true });
    const history = h.build();
    const obs = observe(history);
    expect(obs.snapshot).toBe(b);
    expect(obs.firstSnapshot?.t).toBe(500);
    expect(snapshotStable(history, obs).valid).toBe(false);
    expect(checkAll(history, obs).map((v) => v.checker)).toContain('snapshotStable');
  });

  it('has nothing to compare in a history with one snapshot (written before the runner took two)', () => {
    const h = new HistoryBuilder();
    h.snapshot(900, [task('T-1', 'k-1', 'failed', [completed()])]);
    expect(snapshotStable(h.build())).toMatchObject({ valid: true, stats: { compared: 0 } });
  });
});
