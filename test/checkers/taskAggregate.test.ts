import { describe, expect, it } from 'vitest';
import { taskAggregate } from '../../harness/checkers/taskAggregate.ts';
import { HistoryBuilder, healthyRun, job, task } from './build.ts';

describe('taskAggregate', () => {
  it('accepts reads and a snapshot whose statuses aggregate their jobs', () => {
    const v = taskAggregate(healthyRun().build());
    expect(v.valid).toBe(true);
    expect(v.stats?.tasksChecked).toBe(3);
  });

  it('accepts cancelled for a mix of completed and cancelled jobs', () => {
    const h = new HistoryBuilder();
    h.snapshot(500, [task('T-1', 'k-1', 'cancelled', [job('J-1', 'completed'), job('J-2', 'cancelled')])]);
    expect(taskAggregate(h.build()).valid).toBe(true);
  });

  it('reports a read whose task says completed while one job failed', () => {
    const h = new HistoryBuilder();
    const r = h.read(task('T-1', 'k-1', 'completed', [job('J-1', 'completed'), job('J-2', 'failed')]), 160, 162);
    const v = taskAggregate(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence).toHaveLength(1);
    expect(v.evidence[0]).toMatchObject({ taskId: 'T-1', at: 162, entries: [r.invoke, r.ok] });
    expect(v.evidence[0].message).toMatch(/task T-1: read by client-2 .* status completed but its jobs \[J-1=completed, J-2=failed\] aggregate to failed/);
  });

  it('reports a snapshot task still running when all its jobs are terminal', () => {
    const h = new HistoryBuilder();
    h.snapshot(500, [
      task('T-1', 'k-1', 'completed', [job('J-1', 'completed')]),
      task('T-2', 'k-2', 'running', [job('J-2', 'completed'), job('J-3', 'cancelled')]),
    ]);
    const v = taskAggregate(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence).toHaveLength(1);
    expect(v.evidence[0].taskId).toBe('T-2');
    expect(v.evidence[0].message).toMatch(/aggregate to cancelled/);
    expect(v.evidence[0].entries?.[0]).toMatchObject({ kind: 'snapshot', t: 500, tasks: [{ taskId: 'T-2' }] });
  });

  it('reports a task claiming queued while a job is running', () => {
    const h = new HistoryBuilder();
    h.read(task('T-1', 'k-1', 'queued', [job('J-1', 'queued'), job('J-2', 'running')]), 10);
    const v = taskAggregate(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0].message).toMatch(/aggregate to running/);
  });
});
