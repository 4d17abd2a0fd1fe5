// What `npm run chaos` prints and exits with for unknown verdicts and settle times, without
// running anything: the CLI's exit-code logic and console summary on hand-made suite results.
import { describe, expect, it } from 'vitest';
import { parseOptions, type ChaosOptions } from '../../harness/config/options.ts';
import { suiteExitCode } from '../../harness/cli/output.ts';
import { printFailure, printSummary, printUnknown } from '../../harness/report/reporters/console.ts';
import { summaryJson } from '../../harness/report/summary.ts';
import { UNKNOWN_EVIDENCE, failingScenario, incompleteScenario, makeSuite, passingScenario, unknownScenario, vacuousScenario } from '../report/fixtures.ts';

const lines = (print: (log: (s: string) => void) => void): string[] => {
  const out: string[] = [];
  print((s) => out.push(...s.split('\n')));
  return out;
};

describe('suiteExitCode', () => {
  it('is 1 when a scenario is unknown, and 0 with --allow-unknown', () => {
    const result = makeSuite([passingScenario('reorder'), unknownScenario('partition')]);
    expect(suiteExitCode(result)).toBe(1);
    expect(suiteExitCode(result, { allowUnknown: true })).toBe(0);
  });

  it('still fails a violation, a vacuous scenario or a suite cut short with --allow-unknown', () => {
    for (const s of [failingScenario('worker-crash'), vacuousScenario('partition'), incompleteScenario('keeper-crash')]) {
      expect(suiteExitCode(makeSuite([unknownScenario('latency'), s]), { allowUnknown: true })).toBe(1);
    }
    expect(suiteExitCode(makeSuite([passingScenario('reorder')]))).toBe(0);
  });
});

describe('--allow-unknown', () => {
  it('is off by default and on when given, with or without --ci', () => {
    expect((parseOptions([]) as ChaosOptions).gate.allowUnknown).toBe(false);
    expect((parseOptions(['--allow-unknown']) as ChaosOptions).gate.allowUnknown).toBe(true);
    expect(parseOptions(['--ci', '--allow-unknown'])).toMatchObject({ report: { ci: true }, gate: { allowUnknown: true } });
  });
});

describe('printFailure: a simulated failure\'s live twin', () => {
  const live = (schedule: unknown[]): string[] => {
    const s = failingScenario('executor-crash');
    s.failure!.run.schedule = schedule as never;
    const lines: string[] = [];
    printFailure(s, { bugs: [], sim: true }, (l) => lines.push(l));
    return lines.filter((l) => l.startsWith('  live: '));
  };
  const kill = { atMs: 100, durationMs: 500, fault: { kind: 'kill-executor', worker: 'worker-1' } };
  const then = { watch: 'worker-1', command: 'XACK', nth: 1, action: 'kill' };

  it('prints the live replay when every fault has a live form, and says why not when one has none (as its kind\'s module says)', () => {
    expect(live([kill])).toEqual([expect.stringMatching(/^ {2}live: npm run chaos -- --scenario executor-crash --seed 42 --path \S+ \(the same workload and schedule on real processes/)]);
    expect(live([{ ...kill, fault: { ...kill.fault, then } }])).toEqual(['  live: no live form (the second stop of its executor kill needs the simulation to see each command reach Redis)']);
    expect(live([{ atMs: 100, durationMs: 500, fault: { kind: 'crash-point', watch: 'worker-1', command: '*', nth: 2, action: 'kill' } }])).toEqual(['  live: no live form (its crash points need the simulation to see each command reach Redis)']);
  });
});

describe('printSummary', () => {
  it('shows UNKNOWN in the verdict column and counts unknown scenarios apart from passed and failed ones', () => {
    const out = lines((log) => printSummary(makeSuite([passingScenario('reorder'), unknownScenario('partition'), failingScenario('worker-crash')]), log));
    expect(out.find((l) => l.includes('partition'))).toMatch(/│ UNKNOWN +│/);
    expect(out.at(-1)).toMatch(/^1 passed, 1 failed, 1 unknown — seed 1234/);
  });

  it('shows the settle distribution of each scenario and how many settles hit their cap', () => {
    const out = lines((log) => printSummary(makeSuite([unknownScenario('partition'), passingScenario('reorder', { runs: 3 })]), log));
    const header = out.findIndex((l) => l.includes('settle (s)'));
    expect(out[header + 1]).toContain('min/p50/p95/max');
    // 350, 500, 900, 30000 ms; one capped, said on the cell's second line
    const row = out.findIndex((l) => l.includes('partition'));
    expect(out[row]).toContain('│ 0.35/0.50/30.0/30.0 │');
    expect(out[row + 1]).toMatch(/│ 1 capped +│/);
    expect(out.find((l) => l.includes('reorder'))).toContain('│ 0.40/0.70/1.00/1.00 │');
  });
});

describe('printUnknown', () => {
  it('names each undecided checker, its runs and its evidence', () => {
    const out = lines((log) => printUnknown(unknownScenario('partition'), log));
    expect(out).toContain('[partition] UNKNOWN: 2 of 4 runs undecided (no checker found a violation, but these could not decide):');
    expect(out).toContain('  total-queue (runs 1, 3):');
    expect(out).toContain(`    ${UNKNOWN_EVIDENCE}`);
    expect(out).toContain('  running-set-consistent (run 3):');
  });
});

describe('summaryJson (--json)', () => {
  it('carries unknown runs, the settle distribution and per-run records', () => {
    const json = summaryJson(makeSuite([unknownScenario('partition')]), { bugs: [] });
    expect(json.scenarios[0]).toMatchObject({
      verdict: 'unknown', unknownRuns: 2,
      settle: { minMs: 350, p50Ms: 500, p95Ms: 30_000, maxMs: 30_000, runs: 4, capped: 1 },
    });
    expect(json.scenarios[0].records[3]).toMatchObject({ index: 3, outcome: 'unknown', settleTookMs: 30_000, settleCapped: true });
  });
});
