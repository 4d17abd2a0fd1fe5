// Two steps on one resource must not overlap: the first to heal would end the other early, and the
// printed schedule would misstate what ran. Generated schedules drop such steps; playSchedule
// refuses a hand-written one.
import { describe, expect, it } from 'vitest';
import type { LinkControl, RunEnvironment } from '../../harness/env/surface.ts';
import { HistoryRecorder } from '../../harness/history/recorder.ts';
import { playSchedule, resourceOf, withoutOverlaps, type Fault, type FaultStep } from '../../harness/nemesis/index.ts';

const step = (atMs: number, durationMs: number, fault: Fault): FaultStep => ({ atMs, durationMs, fault });
const latency = (link: string): Fault => ({ kind: 'latency', link, stream: 'upstream', latencyMs: 100, jitterMs: 0 });
const bandwidth = (link: string): Fault => ({ kind: 'bandwidth', link, stream: 'downstream', rateKBps: 5 });

describe('resourceOf', () => {
  it('a link for down, a process for kill/pause/restart and a worker\'s executor, redis for a restart, nothing for a toxic', () => {
    expect(resourceOf({ kind: 'down', link: 'worker-1' })).toBe('link worker-1');
    expect(resourceOf({ kind: 'kill', process: 'worker-1' })).toBe('process worker-1');
    expect(resourceOf({ kind: 'pause', process: 'worker-1' })).toBe('process worker-1');
    expect(resourceOf({ kind: 'restart', process: 'keeper-1' })).toBe('process keeper-1');
    expect(resourceOf({ kind: 'kill-executor', worker: 'worker-1' })).toBe('process worker-1');
    expect(resourceOf({ kind: 'redis-restart' })).toBe('redis');
    expect(resourceOf(latency('worker-1'))).toBeUndefined();
    expect(resourceOf({ kind: 'limit_data', link: 'worker-1', stream: 'upstream', bytes: 10 })).toBeUndefined();
    // a link's toxics and its down state are separate things: a toxic outlives a partition
    expect(resourceOf({ kind: 'down', link: 'worker-1' })).not.toBe(resourceOf({ kind: 'kill', process: 'worker-1' }));
  });
});

describe('withoutOverlaps', () => {
  it('drops a step that begins while an earlier step on the same resource is still in place', () => {
    const s = [
      step(100, 500, { kind: 'down', link: 'worker-1' }),
      step(300, 100, { kind: 'down', link: 'worker-1' }), // inside the first: its heal would re-enable the link early
      step(300, 100, { kind: 'down', link: 'worker-2' }), // another link: kept
      step(601, 50, { kind: 'down', link: 'worker-1' }), // after the first healed: kept
    ];
    expect(withoutOverlaps(s)).toEqual([s[0], s[2], s[3]]);
  });

  it('sorts by start first, so the earlier step wins whatever order it was written in', () => {
    const late = step(400, 100, { kind: 'pause', process: 'worker-1' });
    const early = step(100, 400, { kind: 'kill', process: 'worker-1' });
    expect(withoutOverlaps([late, early])).toEqual([early]);
  });

  it('a worker\'s kill-executor and its kill or pause share the worker; two redis restarts clash', () => {
    expect(withoutOverlaps([step(0, 1000, { kind: 'pause', process: 'worker-1' }), step(500, 0, { kind: 'kill-executor', worker: 'worker-1' })])).toHaveLength(1);
    expect(withoutOverlaps([step(0, 1000, { kind: 'pause', process: 'worker-1' }), step(500, 0, { kind: 'kill-executor', worker: 'worker-2' })])).toHaveLength(2);
    expect(withoutOverlaps([step(0, 300, { kind: 'redis-restart' }), step(200, 300, { kind: 'redis-restart' })])).toHaveLength(1);
  });

  it('a kill-executor holds its worker only at the instant it strikes: the worker may be killed or paused while it recovers', () => {
    // its heal undoes nothing (the worker starts a new executor), so its duration holds nothing
    const strike = step(100, 2000, { kind: 'kill-executor', worker: 'worker-1' });
    expect(withoutOverlaps([strike, step(130, 500, { kind: 'kill', process: 'worker-1' })])).toHaveLength(2);
    expect(withoutOverlaps([strike, step(101, 500, { kind: 'crash-point', process: 'worker-1', watch: 'worker-1', command: 'XACK', nth: 1, action: 'pause' })])).toHaveLength(2);
    // but not at that instant, nor inside another step's window on the worker
    expect(withoutOverlaps([strike, step(100, 500, { kind: 'kill', process: 'worker-1' })])).toHaveLength(1);
    expect(withoutOverlaps([step(50, 100, { kind: 'pause', process: 'worker-1' }), strike])).toHaveLength(1);
    // a crash point that kills the executor holds no more: its heal undoes nothing either
    const armed = step(100, 2000, { kind: 'crash-point', process: 'worker-1', watch: 'worker-1-executor', command: '*', nth: 2, action: 'kill-executor' });
    expect(withoutOverlaps([armed, step(120, 1000, { kind: 'crash-point', process: 'worker-1', watch: 'worker-1', command: 'XACK', nth: 1, action: 'kill' })])).toHaveLength(2);
    const killing = step(100, 2000, { kind: 'crash-point', process: 'worker-1', watch: 'worker-1', command: '*', nth: 2, action: 'kill' });
    expect(withoutOverlaps([killing, step(120, 1000, { kind: 'pause', process: 'worker-1' })])).toHaveLength(1);
  });

  it('windows are closed: a step starting the very ms the other heals is dropped (heal and inject would race)', () => {
    const a = step(100, 200, { kind: 'kill', process: 'keeper-1' });
    expect(withoutOverlaps([a, step(300, 100, { kind: 'kill', process: 'keeper-1' })])).toEqual([a]);
    expect(withoutOverlaps([a, step(301, 100, { kind: 'kill', process: 'keeper-1' })])).toHaveLength(2);
    // two zero-length kills of one executor at the same ms: the second would find nothing to kill
    expect(withoutOverlaps([step(50, 0, { kind: 'kill-executor', worker: 'worker-1' }), step(50, 0, { kind: 'kill-executor', worker: 'worker-1' })])).toHaveLength(1);
  });

  it('keeps overlapping toxics, on one link or not: each is its own named toxic', () => {
    const s = [step(0, 1000, latency('worker-1')), step(100, 1000, latency('worker-1')), step(200, 50, bandwidth('worker-1')), step(200, 50, { kind: 'down', link: 'worker-1' })];
    expect(withoutOverlaps(s)).toEqual(s);
  });

  it('leaves a schedule without overlaps as it is, and is idempotent', () => {
    const s = [step(0, 100, { kind: 'kill', process: 'worker-1' }), step(50, 100, { kind: 'down', link: 'worker-1' }), step(200, 100, { kind: 'kill', process: 'worker-1' })];
    expect(withoutOverlaps(s)).toEqual(s);
    const messy = [step(0, 500, { kind: 'kill', process: 'worker-1' }), step(100, 100, { kind: 'kill', process: 'worker-1' }), step(550, 10, { kind: 'kill', process: 'worker-1' })];
    expect(withoutOverlaps(withoutOverlaps(messy))).toEqual(withoutOverlaps(messy));
  });
});

/** An environment that only has links with toxics, and records what the nemesis does to it. */
function fakeEnv() {
  const calls: string[] = [];
  const env = {
    linkControl: (name: string): LinkControl => ({
      addToxic: async (t) => void calls.push(`add ${name} ${t.name}`),
      removeToxic: async (toxic) => void calls.push(`remove ${name} ${toxic}`),
      setEnabled: async (enabled) => void calls.push(`${enabled ? 'enable' : 'disable'} ${name}`),
    }),
  } as unknown as RunEnvironment;
  return { env, calls };
}

describe('playSchedule', () => {
  it('refuses a schedule with two overlapping steps on one resource, naming both, before injecting anything', async () => {
    const { env, calls } = fakeEnv();
    const history = new HistoryRecorder();
    const s = [step(0, 60, { kind: 'down', link: 'worker-1' }), step(20, 60, { kind: 'down', link: 'worker-1' })];
    await expect(playSchedule(env, s, history)).rejects.toThrow(/at 0 ms for 60 ms: down on link worker-1.*at 20 ms for 60 ms: down on link worker-1/);
    expect(calls).toEqual([]);
    expect(history.entries).toEqual([]);
  });

  it('plays overlapping toxics on one link, and steps on one link that do not overlap', async () => {
    const { env, calls } = fakeEnv();
    const history = new HistoryRecorder();
    const s = [step(0, 60, latency('worker-1')), step(10, 60, bandwidth('worker-1')), step(0, 20, { kind: 'down', link: 'worker-1' }), step(40, 20, { kind: 'down', link: 'worker-1' })];
    await playSchedule(env, s, history);
    expect(calls.filter((c) => c.startsWith('add'))).toEqual(['add worker-1 step-0-latency', 'add worker-1 step-1-bandwidth']);
    expect(calls.filter((c) => c.startsWith('disable'))).toHaveLength(2);
    expect(history.entries.filter((e) => e.kind === 'nemesis' && e.type === 'end')).toHaveLength(4);
  });
});
