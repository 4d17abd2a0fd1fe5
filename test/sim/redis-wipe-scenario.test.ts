// The redis-wipe scenario in simulation: the reference system (which re-creates its consumer
// groups at `0` when Redis came back empty) passes it, with jobs submitted after the heal
// finished (the coverage goal) and jobs of before the wipe excused as erased, never as lost.
import { describe, expect, it } from 'vitest';
import { Suite } from '../../harness/runner/suite.ts';
import { redisWipe } from '../../scenarios/redis-wipe.ts';

describe('redis-wipe in simulation', () => {
  it('the correct system passes 4 runs, Redis wiped in each, jobs submitted after the heal finished', async () => {
    const result = await new Suite({ scenarios: [redisWipe], seed: 3, runs: 4, bugs: [], sim: true }).run();
    const [s] = result.scenarios;
    expect(s.failedRuns).toBe(0);
    expect(s.verdict).toBe('pass');
    expect(s.goals[0].metInRuns).toBeGreaterThan(0);
    expect(s.records).toHaveLength(4);
    let excused = 0;
    for (const r of s.records) {
      // one wipe drawn, or more where the guided search spliced steps of earlier plans into a mutation
      const kinds = r.schedule.map((step) => step.fault.kind);
      expect(kinds.length).toBeGreaterThan(0);
      expect(new Set(kinds)).toEqual(new Set(['redis-wipe']));
      const tq = r.verdicts.find((v) => v.checker === 'totalQueue')!;
      expect(tq.valid).toBe(true);
      excused += tq.stats?.erasedExcused ?? 0;
    }
    // what was submitted before a wipe went with it, and was excused rather than judged lost
    expect(excused).toBeGreaterThan(0);
  }, 120_000);
});
