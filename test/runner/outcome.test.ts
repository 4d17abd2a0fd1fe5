// A scenario as a fast-check property, without servers: the run target answers with a canned
// outcome, so what is tested is how verdicts become run outcomes and a scenario verdict.
// An unknown verdict is its own outcome: never a counterexample (nothing to shrink), never a pass.
import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { History, Verdict } from '../../harness/history/types.ts';
import type { Schedule } from '../../harness/nemesis/index.ts';
import type { Scenario } from '../../harness/runner/scenario.ts';

const mocks = vi.hoisted(() => ({
  runOnce: vi.fn(),
  /** when set, replaces the real checkers: verdicts from the run's schedule */
  judge: undefined as undefined | ((schedule: unknown) => Verdict[]),
  schedules: [] as unknown[],
}));

vi.mock('../../harness/checkers/index.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../harness/checkers/index.ts')>();
  return {
    ...real,
    checkRun: (history: History) => {
      if (!mocks.judge) return real.checkRun(history);
      const { stats } = real.checkRun(history);
      return { verdicts: mocks.judge(mocks.schedules.at(-1)), stats };
    },
  };
});

const { runOutcome, runScenario, scenarioVerdict } = await import('../../harness/runner/property.ts');
const { printFailure } = await import('../../harness/report/reporters/console.ts');
type RunTarget = import('../../harness/runner/property.ts').RunTarget;

const env: RunTarget = {
  context: { workers: ['worker-1'], keepers: ['keeper-1'], frontDoor: 'orchestrator', leaseMs: 1000, simulated: false, targets: { links: ['worker-1', 'keeper-1'], processes: ['orchestrator', 'worker-1', 'keeper-1'], workers: ['worker-1'] } },
  checkers: 'all',
  run: (plan) => mocks.runOnce(plan),
};

/** a schedule is a list of numbers here: the judge decides from them */
function scenario(goalMet = true): Scenario {
  return {
    name: 'fake',
    summary: 'fake scenario',
    env: {},
    workload: () => fc.constant({ tasks: [] }),
    schedule: () => fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 6 }) as unknown as fc.Arbitrary<Schedule>,
    goals: [{ name: 'goal', met: () => goalMet }],
    runs: 8,
  };
}

const SNAPSHOT: History = [{ kind: 'snapshot', t: 10, tasks: [], runningSet: [], runningInfo: [] }];
const verdict = (checker: string, valid: Verdict['valid'], message?: string): Verdict => ({ checker, valid, evidence: message ? [{ message }] : [] });

beforeEach(() => {
  mocks.judge = undefined;
  mocks.schedules = [];
  mocks.runOnce.mockReset();
  mocks.runOnce.mockImplementation(async (plan: { schedule: unknown }) => {
    mocks.schedules.push(plan.schedule);
    return { history: SNAPSHOT, durationMs: 50, settleTookMs: 1200, collectMs: 1, resetMs: 1, restarted: false };
  });
});

describe('runOutcome', () => {
  it('is fail on any false verdict, else unknown on any unknown verdict, else pass', () => {
    expect(runOutcome([verdict('a', true), verdict('b', true)])).toBe('pass');
    expect(runOutcome([verdict('a', true), verdict('b', 'unknown')])).toBe('unknown');
    expect(runOutcome([verdict('a', 'unknown'), verdict('b', false)])).toBe('fail');
  });

  it('counts only the checkers that fail the property (failOn)', () => {
    expect(runOutcome([verdict('a', false), verdict('b', 'unknown')], ['b'])).toBe('unknown');
    expect(runOutcome([verdict('a', 'unknown'), verdict('b', true)], ['b'])).toBe('pass');
  });
});

describe('scenarioVerdict', () => {
  const goalsMet = [{ name: 'g', metInRuns: 1 }];
  const goalsUnmet = [{ name: 'g', metInRuns: 0 }];
  it('ranks incomplete > fail > unknown > vacuous > pass', () => {
    expect(scenarioVerdict({ harnessError: true, failed: true, unknownRuns: 1, goals: goalsUnmet })).toBe('incomplete');
    expect(scenarioVerdict({ harnessError: false, failed: true, unknownRuns: 3, goals: goalsUnmet })).toBe('fail');
    expect(scenarioVerdict({ harnessError: false, failed: false, unknownRuns: 1, goals: goalsUnmet })).toBe('unknown');
    expect(scenarioVerdict({ harnessError: false, failed: false, unknownRuns: 0, goals: goalsUnmet })).toBe('vacuous');
    expect(scenarioVerdict({ harnessError: false, failed: false, unknownRuns: 0, goals: goalsMet })).toBe('pass');
  });
});

describe('runScenario with unknown verdicts', () => {
  it('passes when every checker decided (the real checkers on a history with a snapshot)', async () => {
    const result = await runScenario(env, scenario(), { runs: 3, seed: 1 });
    expect(result).toMatchObject({ verdict: 'pass', runs: 3, failedRuns: 0, unknownRuns: 0 });
    expect(result.records.map((r) => r.outcome)).toEqual(['pass', 'pass', 'pass']);
  });

  it('is unknown, not pass, when a checker could not decide (the real checkers on a history without a snapshot)', async () => {
    mocks.runOnce.mockImplementation(async () => ({ history: [], durationMs: 50, settleTookMs: 1200, collectMs: 1, resetMs: 1, restarted: false }));
    const result = await runScenario(env, scenario(), { runs: 3, seed: 1 });
    expect(result).toMatchObject({ verdict: 'unknown', runs: 3, failedRuns: 0, unknownRuns: 3 });
    expect(result.failure).toBeUndefined();
    const record = result.records[0];
    expect(record.outcome).toBe('unknown');
    // the run is no counterexample: the property held
    expect(record.valid).toBe(true);
    expect(record.verdicts.filter((v) => v.valid === 'unknown').map((v) => v.checker)).toEqual(['totalQueue', 'runningSetConsistent', 'eventsDecided']);
    // undecided runs keep their history for the report, a few of them
    expect(result.records.filter((r) => r.history).length).toBeGreaterThan(0);
  });

  it('does not shrink an unknown run: only false verdicts are counterexamples', async () => {
    // one run in three is undecided, none fails: fast-check must run all 8 and report no failure
    mocks.judge = (s) => [verdict('totalQueue', (s as number[]).length % 3 === 0 ? 'unknown' : true, 'no snapshot entry')];
    const result = await runScenario(env, scenario(), { runs: 8, seed: 3 });
    expect(result.runs).toBe(8);
    expect(result.records.every((r) => !r.shrinking)).toBe(true);
    expect(result.unknownRuns).toBe(result.records.filter((r) => (mocks.schedules[r.index] as number[]).length % 3 === 0).length);
    expect(result.unknownRuns).toBeGreaterThan(0);
    expect(result.verdict).toBe('unknown');
  });

  it('fails (and shrinks) on a false verdict even when other runs were unknown: fail wins over unknown', async () => {
    // a value above 50 is a violation; a schedule of two or more values without one is undecided
    mocks.judge = (s) => {
      const xs = s as number[];
      if (xs.some((x) => x > 50)) return [verdict('terminalStable', false, 'overwritten')];
      return [verdict('terminalStable', xs.length >= 2 ? 'unknown' : true)];
    };
    const result = await runScenario(env, scenario(), { runs: 30, seed: 7 });
    expect(result.verdict).toBe('fail');
    expect(result.failure).toBeDefined();
    expect(result.failure!.run.outcome).toBe('fail');
    // shrunk to one value just above the limit
    expect(result.failure!.run.schedule).toEqual([51]);
    expect(result.unknownRuns).toBe(result.records.filter((r) => r.outcome === 'unknown').length);
  });

  it('is unknown rather than vacuous when both hold', async () => {
    mocks.judge = () => [verdict('totalQueue', 'unknown', 'no snapshot entry')];
    const result = await runScenario(env, scenario(false), { runs: 2, seed: 1 });
    expect(result.verdict).toBe('unknown');
  });
});

describe('runScenario drawing until its goals are met (a live gate: verify\'s control)', () => {
  const untilMet = { shareMs: 0, capMs: 0, minRuns: 3, capRuns: 9 };
  it('stops at its own runs when they met every goal, draws on while one is unmet, and is VACUOUS at the cap', async () => {
    const met = await runScenario(env, scenario(), { runs: 3, seed: 1, search: untilMet });
    expect(met).toMatchObject({ verdict: 'pass', runs: 3 });
    const never = await runScenario(env, scenario(false), { runs: 3, seed: 1, search: untilMet });
    expect(never).toMatchObject({ verdict: 'vacuous', runs: 9 });
  });
});

describe('runScenario replaying a path', () => {
  it('replays the run a path names, and says so in one line when it names none (no shrink step there)', async () => {
    const replayed = await runScenario(env, scenario(), { runs: 5, seed: 1, path: '2' });
    expect(replayed.verdict).toBe('pass');
    expect(replayed.runs).toBeGreaterThan(0);
    // every run passes, so nothing was ever shrunk: a shrink path into run 2 names nothing
    const gone = await runScenario(env, scenario(), { runs: 5, seed: 1, path: '2:100000:100000' });
    expect(gone).toMatchObject({ verdict: 'incomplete', runs: 0 });
    expect(gone.error).toMatch(/^--path 2:100000:100000 names no run of .* at seed 1: nothing is there to replay .*; --path 2 replays the run it began from$/);
  });
});

describe('runScenario carries the settle time', () => {
  it('into every run record, with whether the settle hit its cap', async () => {
    let n = 0;
    mocks.runOnce.mockImplementation(async () => {
      n++;
      return { history: SNAPSHOT, durationMs: 50, settleTookMs: 1000 * n, settleCapped: n === 2, collectMs: 1, resetMs: 1, restarted: false };
    });
    const result = await runScenario(env, scenario(), { runs: 3, seed: 1 });
    expect(result.records.map((r) => [r.settleTookMs, r.settleCapped])).toEqual([[1000, false], [2000, true], [3000, false]]);
  });
});

describe("a simulated failure's live plan", () => {
  const simulated: RunTarget = { ...env, context: { ...env.context, simulated: true, targets: { ...env.context.targets, simulated: true } } };
  /** numbers as a schedule; in simulation it may draw larger ones than live (as a scenario draws faults only the simulation has) */
  const drawing = (simOnly: boolean): Scenario => ({
    ...scenario(),
    schedule: (ctx) => fc.array(fc.integer({ min: 0, max: ctx.simulated && simOnly ? 200 : 100 }), { maxLength: 6 }) as unknown as fc.Arbitrary<Schedule>,
  });

  it('is known to be the same when the scenario draws alike in simulation and live, and not when it draws otherwise', async () => {
    mocks.judge = (s) => [verdict('terminalStable', !(s as number[]).some((x) => x > 50), 'overwritten')];
    const alike = await runScenario(simulated, drawing(false), { runs: 30, seed: 7 });
    expect(alike.verdict).toBe('fail');
    expect(alike.failure!.sameLivePlan).toBe(true);
    const otherwise = await runScenario(simulated, drawing(true), { runs: 30, seed: 7 });
    expect(otherwise.verdict).toBe('fail');
    expect(otherwise.failure!.sameLivePlan).toBe(false);
    // and the console says there is no live path rather than print a command that draws another plan
    const lines: string[] = [];
    // (printed as the kill it could have been: the schedule here is numbers)
    otherwise.failure!.run.schedule = [{ atMs: 0, durationMs: 10, fault: { kind: 'kill', process: 'worker-1' } }];
    printFailure(otherwise, { bugs: [], sim: true }, (l) => lines.push(l));
    expect(lines.filter((l) => l.startsWith('  live: '))).toEqual([expect.stringMatching(/^ {2}live: no live path \(in simulation this scenario draws faults it does not draw live/)]);
  });

  it('is not asked about for a live run', async () => {
    mocks.judge = (s) => [verdict('terminalStable', !(s as number[]).some((x) => x > 50), 'overwritten')];
    const live = await runScenario(env, drawing(true), { runs: 30, seed: 7 });
    expect(live.verdict).toBe('fail');
    expect(live.failure!.sameLivePlan).toBeUndefined();
  });
});
