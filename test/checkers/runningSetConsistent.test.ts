import { describe, expect, it } from 'vitest';
import { runningSetConsistent } from '../../harness/checkers/runningSetConsistent.ts';
import { HistoryBuilder, healthyRun, job, task } from './build.ts';

describe('runningSetConsistent', () => {
  it('accepts a settled run with an empty running set', () => {
    expect(runningSetConsistent(healthyRun().build()).valid).toBe(true);
  });

  it('accepts a running job listed in the running set and info', () => {
    const h = new HistoryBuilder();
    h.snapshot(500, [task('T-1', 'k-1', 'running', [job('J-1', 'running'), job('J-2', 'completed')])], ['J-1'], ['J-1']);
    expect(runningSetConsistent(h.build()).valid).toBe(true);
  });

  it('reports a completed job left in the running set', () => {
    const h = new HistoryBuilder();
    h.snapshot(500, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed'), job('J-2', 'completed')])], ['J-2'], []);
    const v = runningSetConsistent(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence).toHaveLength(1);
    expect(v.evidence[0]).toMatchObject({ jobId: 'J-2', taskId: 'T-1', at: 500 });
    expect(v.evidence[0].message).toBe('job J-2 (task T-1): completed but still in runningSet at snapshot t=500ms');
    expect(v.evidence[0].entries?.[0]).toMatchObject({ kind: 'snapshot', runningSet: ['J-2'] });
  });

  it('reports a failed job left in the running info', () => {
    const h = new HistoryBuilder();
    h.snapshot(500, [task('T-1', 'k-1', 'failed', [job('J-1', 'failed')])], [], ['J-1']);
    const v = runningSetConsistent(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0].message).toMatch(/job J-1 .*failed but still in runningInfo/);
  });

  it('reports a running job missing from the running set', () => {
    const h = new HistoryBuilder();
    h.snapshot(500, [task('T-1', 'k-1', 'running', [job('J-1', 'running')])]);
    const v = runningSetConsistent(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0]).toMatchObject({ jobId: 'J-1', taskId: 'T-1' });
    expect(v.evidence[0].message).toMatch(/running but missing from runningSet/);
  });

  it('reports a running-set member no task has', () => {
    const h = new HistoryBuilder();
    h.snapshot(500, [], ['J-ghost']);
    const v = runningSetConsistent(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0].jobId).toBe('J-ghost');
  });

  it('is unknown without a snapshot', () => {
    expect(runningSetConsistent([]).valid).toBe('unknown');
  });
});

describe('runningSetConsistent with a snapshot that could not read everything', () => {
  it('says unknown, not violated, when the running set itself could not be read', () => {
    const h = new HistoryBuilder();
    const snap = h.snapshot(500, [task('T-1', 'k-1', 'running', [job('J-1', 'running')])], []);
    snap.unreadable = [{ key: 'sut:running', error: 'LOADING' }];
    expect(runningSetConsistent(h.build()).valid).toBe('unknown');
    delete snap.unreadable;
    expect(runningSetConsistent(h.build()).valid).toBe(false);
  });
});
