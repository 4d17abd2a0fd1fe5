// A short end-to-end chaos run on the real servers: the correct system passes `reorder` and
// reaches its coverage goal; the planted `lww-status` bug fails it with a small, replayable schedule.
import { describe, expect, it } from 'vitest';
import { Suite } from '../../harness/runner/suite.ts';
import { reorder } from '../../scenarios/reorder.ts';

describe('chaos engine end to end', () => {
  it('passes reorder on the correct system and rejects at least one stale event', async () => {
    const result = await new Suite({ scenarios: [reorder], seed: 42, runs: 3, bugs: [] }).run();
    const [s] = result.scenarios;
    expect(s.verdict).toBe('pass');
    expect(s.failedRuns).toBe(0);
    expect(s.goals[0].metInRuns).toBeGreaterThan(0);
  }, 180_000);

  it('catches lww-status in reorder, shrinks to at most two steps, and replays from seed and path', async () => {
    const found = await new Suite({ scenarios: [reorder], seed: 7, runs: 10, bugs: ['lww-status'] }).run();
    const [s] = found.scenarios;
    expect(s.verdict).toBe('fail');
    const failure = s.failure!;
    expect(failure.run.schedule.length).toBeLessThanOrEqual(2);
    const fired = failure.run.verdicts.filter((v) => v.valid === false).map((v) => v.checker);
    expect(fired).toContain('terminalStable');

    const replay = await new Suite({ scenarios: [reorder], seed: s.seed, path: failure.path, bugs: ['lww-status'] }).run();
    expect(replay.scenarios[0].verdict).toBe('fail');
    expect(replay.scenarios[0].runs).toBe(1);
  }, 400_000);
});
