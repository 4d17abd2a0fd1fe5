import { describe, expect, it } from 'vitest';
import { legalTransitions } from '../../harness/checkers/legalTransitions.ts';
import { HistoryBuilder, healthyRun } from './build.ts';

describe('legalTransitions', () => {
  it('accepts a run whose applied transitions are edges forming one chain per job', () => {
    const v = legalTransitions(healthyRun().build());
    expect(v.valid).toBe(true);
    expect(v.stats?.applied).toBe(4);
  });

  it("rejects the seed's late running applied over completed as an illegal edge", () => {
    const h = new HistoryBuilder();
    h.transition('J-1', 'queued', 'running', { t: 110 });
    h.transition('J-1', 'running', 'completed', { t: 130 });
    const late = h.transition('J-1', 'completed', 'running', { t: 140, source: 'worker' });
    const v = legalTransitions(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence).toHaveLength(1);
    expect(v.evidence[0]).toMatchObject({ jobId: 'J-1', at: 140, entries: [late] });
    expect(v.evidence[0].message).toMatch(/job J-1: applied illegal transition completed→running at t=140ms/);
  });

  it('rejects an edge the state machine lacks (queued→completed)', () => {
    const h = new HistoryBuilder();
    const skip = h.transition('J-3', 'queued', 'completed', { t: 50 });
    const v = legalTransitions(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0]).toMatchObject({ jobId: 'J-3', entries: [skip] });
  });

  it('rejects a legal edge decided on a stale state (check-then-set: running→failed after completed)', () => {
    const h = new HistoryBuilder();
    h.transition('J-1', 'queued', 'running', { t: 110 });
    const completed = h.transition('J-1', 'running', 'completed', { t: 130 });
    const raced = h.transition('J-1', 'running', 'failed', { t: 131, sourceId: 'worker-2', attempt: 2 });
    const v = legalTransitions(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence).toHaveLength(1);
    expect(v.evidence[0].entries).toEqual([completed, raced]);
    expect(v.evidence[0].message).toMatch(/from running but the previous applied transition left it completed/);
  });

  it('rejects a first applied transition that does not start from queued', () => {
    const h = new HistoryBuilder();
    const first = h.transition('J-1', 'running', 'completed', { t: 130 });
    const v = legalTransitions(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0]).toMatchObject({ jobId: 'J-1', entries: [first] });
  });

  it('ignores transitions the keeper did not apply', () => {
    const h = new HistoryBuilder();
    h.transition('J-1', 'queued', 'running', { t: 110 });
    h.transition('J-1', 'running', 'completed', { t: 130 });
    h.transition('J-1', 'completed', 'running', { t: 140, decision: 'ignored', reason: 'stale-terminal' });
    expect(legalTransitions(h.build()).valid).toBe(true);
  });

  it('follows the chain in numeric stream-id order, not string order', () => {
    const h = new HistoryBuilder();
    h.transition('J-1', 'running', 'completed', { t: 10, logId: '10-0' });
    h.transition('J-1', 'queued', 'running', { t: 9, logId: '9-0' });
    expect(legalTransitions(h.build()).valid).toBe(true);
  });
});
