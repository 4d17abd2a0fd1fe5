// --fault-duration: every fault step's duration drawn from the given range instead of the
// scenario's own (outages past the system's timers), carried by the replay command.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findClash } from '../../harness/nemesis/index.ts';
import { parseDurationRange, parseOptions, replayCommand, UsageError } from '../../harness/config/options.ts';
import { withDurations } from '../../harness/runner/property.ts';
import { SCENARIOS } from '../../scenarios/index.ts';

const targets = { links: ['worker-1', 'worker-2', 'keeper-1'], processes: ['orchestrator', 'worker-1', 'worker-2', 'keeper-1'], workers: ['worker-1', 'worker-2'] };
const ctx = { workers: ['worker-1', 'worker-2'], keepers: ['keeper-1'], frontDoor: 'orchestrator', leaseMs: 2000, simulated: true, targets };

describe('--fault-duration', () => {
  it('reads a range or one duration, and refuses what is none', () => {
    expect(parseDurationRange('5s-15s')).toEqual({ minMs: 5000, maxMs: 15000 });
    expect(parseDurationRange('800ms-2s')).toEqual({ minMs: 800, maxMs: 2000 });
    expect(parseDurationRange('10s')).toEqual({ minMs: 10000, maxMs: 10000 });
    for (const bad of ['15s-5s', 'soon', '1s-2s-3s', '2h']) expect(() => parseDurationRange(bad)).toThrow();
    expect(() => parseOptions(['--fault-duration', 'long'])).toThrow(UsageError);
  });

  it('draws every step of every scenario within the range, still without overlaps', () => {
    for (const s of SCENARIOS) {
      for (const schedule of fc.sample(withDurations(s.schedule(ctx), { minMs: 5000, maxMs: 15000 }), { seed: 3, numRuns: 30 })) {
        for (const step of schedule) expect(step.durationMs, s.name).toBeGreaterThanOrEqual(5000);
        for (const step of schedule) expect(step.durationMs, s.name).toBeLessThanOrEqual(15000);
        expect(findClash(schedule), s.name).toBeUndefined();
      }
    }
  });

  it('is carried by the options and the replay command', () => {
    const o = parseOptions(['--sim', '--scenario', 'partition', '--fault-duration', '5s-15s', '--seed', '1']);
    if (o === 'help') throw new Error('help');
    expect(o.suite.faultDurationMs).toEqual({ minMs: 5000, maxMs: 15000 });
    expect(replayCommand(o.report.replay, 'partition', 1, '3')).toBe('npm run chaos -- --sim --scenario partition --seed 1 --path 3 --fault-duration 5000ms-15000ms');
  });
});
