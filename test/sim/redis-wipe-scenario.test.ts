// The redis-wipe scenario in simulation: the reference system (which re-creates its consumer
// groups at `0` when Redis came back empty) passes it, with jobs submitted after the heal
// finished (the coverage goal) and jobs of before the wipe excused as erased, never as lost.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contextOf } from '../../harness/runner/property.ts';
import { Suite } from '../../harness/runner/suite.ts';
import { reference } from '../../harness/systems/reference.ts';
import { redisWipe } from '../../scenarios/redis-wipe.ts';

describe('redis-wipe schedules', () => {
  it('draw one wipe and, about half the time, one link down or process paused from inside its window until 0.3–3 s after its heal', () => {
    const ctx = contextOf(reference.shape({ workers: 2, keepers: 1 }), 2000, true);
    const schedules = fc.sample(redisWipe.schedule(ctx), { numRuns: 400, seed: 5 });
    let away = 0;
    const kinds = new Set<string>();
    for (const s of schedules) {
      const wipes = s.filter((step) => step.fault.kind === 'redis-wipe');
      expect(wipes).toHaveLength(1);
      const w = wipes[0]!;
      const others = s.filter((step) => step !== w);
      expect(others.length).toBeLessThanOrEqual(1);
      for (const o of others) {
        away++;
        kinds.add(o.fault.kind);
        expect(o.atMs).toBeGreaterThanOrEqual(w.atMs);
        expect(o.atMs).toBeLessThanOrEqual(w.atMs + w.durationMs);
        const outlasts = o.atMs + o.durationMs - (w.atMs + w.durationMs);
        expect(outlasts).toBeGreaterThanOrEqual(300);
        expect(outlasts).toBeLessThanOrEqual(3000);
      }
    }
    expect(away / schedules.length).toBeGreaterThan(0.4);
    expect(away / schedules.length).toBeLessThan(0.6);
    expect([...kinds].sort()).toEqual(['down', 'pause']);
  });
});

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
      // one wipe drawn (half the time with a part away), or more where the guided search spliced
      // steps of earlier plans into a mutation
      const kinds = r.schedule.map((step) => step.fault.kind);
      expect(kinds).toContain('redis-wipe');
      for (const k of kinds) expect(['redis-wipe', 'down', 'pause']).toContain(k);
      const tq = r.verdicts.find((v) => v.checker === 'totalQueue')!;
      expect(tq.valid).toBe(true);
      excused += tq.stats?.erasedExcused ?? 0;
    }
    // what was submitted before a wipe went with it, and was excused rather than judged lost
    expect(excused).toBeGreaterThan(0);
  }, 120_000);
});
