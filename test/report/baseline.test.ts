import { describe, expect, it } from 'vitest';
import { compareBaseline, reportSummary, type ReportSummary, type VerifyRow } from '../../harness/report/index.ts';
import { failingScenario, makeSuite, passingScenario, unknownScenario, vacuousScenario } from './fixtures.ts';

const summaryOf = (scenarios = [passingScenario('reorder'), passingScenario('worker-crash', { seed: 5 })], verify?: VerifyRow[]): ReportSummary =>
  reportSummary(makeSuite(scenarios), { runId: 'r', createdAt: new Date(0), bugs: [], verify });

const caught = (bug: string, by: string): VerifyRow => ({ bug, caughtBy: by, checker: 'terminal-stable', runs: 2, timeToDetectMs: 3000, scheduleSize: 1, replay: `npm run chaos -- --scenario ${by}` });
const escaped = (bug: string): VerifyRow => ({ bug, caughtBy: null, checker: null, runs: 50, timeToDetectMs: null, scheduleSize: null, replay: null });

describe('compareBaseline', () => {
  it('passes on identical summaries, with one line saying so', () => {
    const baseline = summaryOf(undefined, [caught('lww-status', 'reorder')]);
    const result = compareBaseline(structuredClone(baseline), baseline, { p99TolerancePct: 0 });
    expect(result).toEqual({ ok: true, lines: ['baseline: no regression (2 scenarios, 1 planted bug compared)'] });
  });

  it('fails when a scenario that passed now fails', () => {
    const result = compareBaseline(summaryOf([passingScenario('reorder'), failingScenario('worker-crash')]), summaryOf());
    expect(result.ok).toBe(false);
    expect(result.lines[0]).toBe('FAIL  worker-crash: pass → fail (9 violations)');
    expect(result.lines.at(-1)).toBe('baseline: 1 regression (2 scenarios compared)');
  });

  it('fails when a scenario that passed is now vacuous', () => {
    const result = compareBaseline(summaryOf([passingScenario('reorder'), vacuousScenario('worker-crash')]), summaryOf());
    expect(result.ok).toBe(false);
    expect(result.lines).toContain('FAIL  worker-crash: pass → vacuous');
  });

  it('fails when a scenario that passed is now unknown: undecided is not passing', () => {
    const result = compareBaseline(summaryOf([passingScenario('reorder'), unknownScenario('worker-crash')]), summaryOf());
    expect(result.ok).toBe(false);
    expect(result.lines).toContain('FAIL  worker-crash: pass → unknown (2 undecided runs: total-queue, running-set-consistent)');
  });

  it('only notes pass → unknown when unknown verdicts are allowed, and still fails pass → fail', () => {
    const allowed = compareBaseline(summaryOf([passingScenario('reorder'), unknownScenario('worker-crash')]), summaryOf(), { allowUnknown: true });
    expect(allowed.ok).toBe(true);
    expect(allowed.lines).toContain('note  worker-crash: pass → unknown (2 undecided runs: total-queue, running-set-consistent; allowed)');
    expect(compareBaseline(summaryOf([passingScenario('reorder'), failingScenario('worker-crash')]), summaryOf(), { allowUnknown: true }).ok).toBe(false);
  });

  it('notes an unknown scenario that passes again', () => {
    const result = compareBaseline(summaryOf([passingScenario('reorder'), passingScenario('worker-crash', { seed: 5 })]), summaryOf([passingScenario('reorder'), unknownScenario('worker-crash')]));
    expect(result.ok).toBe(true);
    expect(result.lines).toContain('note  worker-crash: unknown → pass');
  });

  it('fails when a planted bug that was caught now escapes', () => {
    const baseline = summaryOf(undefined, [caught('lww-status', 'reorder'), caught('no-reclaim', 'worker-crash')]);
    const current = summaryOf(undefined, [caught('lww-status', 'reorder'), escaped('no-reclaim')]);
    const result = compareBaseline(current, baseline);
    expect(result.ok).toBe(false);
    expect(result.lines).toContain('FAIL  bug no-reclaim: caught by worker-crash (terminal-stable) → escaped');
  });

  it('ignores planted bugs unless both summaries have verify rows', () => {
    const baseline = summaryOf(undefined, [caught('no-reclaim', 'worker-crash')]);
    expect(compareBaseline(summaryOf(), baseline).ok).toBe(true);
  });

  it('fails when p99 latency grew past the tolerance, and only when a tolerance is given', () => {
    const baseline = summaryOf();
    const slower = summaryOf([passingScenario('reorder', { slow: 400 }), passingScenario('worker-crash', { seed: 5 })]);
    const before = baseline.scenarios[0].latency!.p99;
    const after = slower.scenarios[0].latency!.p99;
    expect(after).toBe(before + 400);

    expect(compareBaseline(slower, baseline).ok).toBe(true);
    const growth = ((after - before) / before) * 100;
    const strict = compareBaseline(slower, baseline, { p99TolerancePct: Math.floor(growth) - 1 });
    expect(strict.ok).toBe(false);
    expect(strict.lines[0]).toMatch(new RegExp(`^FAIL  reorder: p99 latency ${before} ms → ${after} ms \\(\\+${growth.toFixed(1)}%, tolerance \\d+%\\)$`));
    expect(compareBaseline(slower, baseline, { p99TolerancePct: Math.ceil(growth) + 1 }).ok).toBe(true);
  });

  it('notes a fixed scenario and a scenario not run without failing', () => {
    const baseline = summaryOf([passingScenario('reorder'), failingScenario('worker-crash')]);
    const result = compareBaseline(summaryOf([passingScenario('worker-crash', { seed: 5 })]), baseline);
    expect(result.ok).toBe(true);
    expect(result.lines).toEqual([
      'note  reorder: in the baseline, not run now',
      'note  worker-crash: fail → pass',
      'baseline: no regression (2 scenarios compared)',
    ]);
  });
});
