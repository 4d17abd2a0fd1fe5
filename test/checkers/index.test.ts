import { describe, expect, it } from 'vitest';
import { checkAll, checkRun, composeVerdicts, EVIDENCE_LIMIT } from '../../harness/checkers/index.ts';
import { terminalStable } from '../../harness/checkers/terminalStable.ts';
import { HistoryBuilder, healthyRun } from './build.ts';

describe('checkAll', () => {
  it('runs every checker and finds a correct run valid', () => {
    const verdicts = checkAll(healthyRun().build());
    expect(verdicts.map((v) => v.checker)).toEqual([
      'terminalStable',
      'snapshotStable',
      'legalTransitions',
      'totalQueue',
      'runningSetConsistent',
      'eventsDecided',
      'taskAggregate',
      'outputIntegrity',
      'payloadOutcome',
      'cancelEffective',
      'reexecution',
      'progress',
      'backAfterHeal',
    ]);
    for (const v of verdicts) expect({ checker: v.checker, valid: v.valid, evidence: v.evidence }).toEqual({ checker: v.checker, valid: true, evidence: [] });
    expect(composeVerdicts(verdicts).valid).toBe(true);
  });

  it('is unknown on an empty history, for want of a snapshot', () => {
    const verdicts = checkAll([]);
    expect(verdicts.find((v) => v.checker === 'totalQueue')?.valid).toBe('unknown');
    expect(composeVerdicts(verdicts).valid).toBe('unknown');
  });
});

describe('checkRun', () => {
  it('gives the same verdicts as checkAll and the run statistics', () => {
    const history = healthyRun().build();
    const { verdicts, stats } = checkRun(history);
    expect(verdicts).toEqual(checkAll(history));
    expect(stats.transitionsApplied).toBe(4);
  });
});

describe('composeVerdicts', () => {
  it('is false when any verdict is false, and prefixes evidence with its checker', () => {
    const composed = composeVerdicts([
      { checker: 'a', valid: 'unknown', evidence: [] },
      { checker: 'b', valid: false, evidence: [{ message: 'broken' }], stats: { n: 2 } },
      { checker: 'c', valid: true, evidence: [] },
    ]);
    expect(composed).toEqual({ checker: 'compose', valid: false, evidence: [{ message: 'b: broken' }], stats: { 'b.n': 2 } });
  });
});

describe('evidence', () => {
  it('is capped, with the total number of violations kept in stats', () => {
    const h = new HistoryBuilder();
    for (let i = 0; i < EVIDENCE_LIMIT + 20; i++) {
      h.transition(`J-${i}`, 'queued', 'cancelled', { t: i * 10 });
      h.transition(`J-${i}`, 'cancelled', 'running', { t: i * 10 + 1 });
    }
    const v = terminalStable(h.build());
    expect(v.stats?.violations).toBe(EVIDENCE_LIMIT + 20);
    expect(v.evidence).toHaveLength(EVIDENCE_LIMIT + 1);
    expect(v.evidence.at(-1)?.message).toMatch(/and 20 more violations/);
  });
});
