// The virtual clock's timers against fake-timers' own: VirtualClock keeps fake-timers for Date,
// performance and hrtime but sets and fires its timers itself, and takes at once the advances the
// scheduler repeats within a ms (advanceWithinMs). Both must leave a simulated run exactly as
// fake-timers did (the determinism tests hold digests to that): here the same random programs of
// timers (timeouts, intervals, immediates, clears, refreshes, timers set from timers, a delay of
// every shape fake-timers reads) run on the clock fake-timers drove before, and on VirtualClock,
// driven as the scheduler drives them; what fired, when, and what the clocks read must be equal.
import { withGlobal, type Clock } from '@sinonjs/fake-timers';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { drain, VirtualClock } from '../../harness/sim/clock.ts';

/** The clock as fake-timers drove it before (harness/sim/clock.ts until timers were its own). */
class FakeTimersClock {
  private readonly clock: Clock & { uninstall(): void; now: number; timerHeap?: { peek(): { callAt: number } | undefined } };
  constructor(startMs: number) {
    this.clock = withGlobal(globalThis).install({
      now: startMs,
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date', 'performance', 'hrtime'],
      loopLimit: 1_000_000,
    }) as never;
  }
  now(): number {
    return this.clock.now;
  }
  nextTimerAt(): number | undefined {
    return this.clock.timerHeap?.peek()?.callAt;
  }
  fireNext(): void {
    this.clock.next();
  }
  advanceTo(t: number): void {
    if (t > this.clock.now) this.clock.tick(t - this.clock.now);
  }
  advanceWithinMs(): number {
    return 0;
  }
  uninstall(): void {
    this.clock.uninstall();
  }
}

type AnyClock = Pick<VirtualClock, 'now' | 'nextTimerAt' | 'fireNext' | 'advanceTo' | 'advanceWithinMs' | 'uninstall'>;

/** what a timer does when it fires: set more timers, clear one, refresh one */
type Action =
  | { kind: 'timeout'; delay: unknown; then: Action[] }
  | { kind: 'interval'; delay: unknown; times: number }
  | { kind: 'immediate'; then: Action[] }
  | { kind: 'clear'; which: number }
  | { kind: 'refresh'; which: number };

const delayArb = fc.oneof(
  fc.integer({ min: 0, max: 50 }),
  fc.double({ min: 0, max: 30, noNaN: true }),
  fc.constantFrom(undefined, -5, '7', '2.5ms', 5e-7, Infinity, NaN, 2 ** 31),
);
const actionArb: fc.Arbitrary<Action> = fc.letrec<{ action: Action }>((tie) => ({
  action: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('clear' as const), which: fc.nat(20) }),
    fc.record({ kind: fc.constant('refresh' as const), which: fc.nat(20) }),
    fc.record({ kind: fc.constant('interval' as const), delay: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom('3', 2.5)), times: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant('timeout' as const), delay: delayArb, then: fc.array(tie('action'), { maxLength: 2 }) }),
    fc.record({ kind: fc.constant('immediate' as const), then: fc.array(tie('action'), { maxLength: 2 }) }),
  ),
})).action;

/** the scheduler's moves: messages due at fractions of a ms after the clock's ms, as network delays are */
const movesArb = fc.array(fc.double({ min: 0.05, max: 40, noNaN: true }), { minLength: 1, maxLength: 30 });

/** Runs the program on `clock` as the scheduler drives it; returns everything observable. */
function play(clock: AnyClock, program: Action[], moves: number[]): string[] {
  const seen: string[] = [];
  const handles: { t: NodeJS.Timeout | NodeJS.Immediate; kind: 'timeout' | 'interval' | 'immediate' }[] = [];
  let label = 0;
  const read = () => `${clock.now()} ${Date.now()} ${performance.now()} ${process.hrtime().join('.')} ${new Date().toISOString()}`;
  const run = (a: Action): void => {
    const me = label++;
    switch (a.kind) {
      case 'timeout':
        handles.push({ t: setTimeout(() => { seen.push(`timeout ${me} at ${read()}`); a.then.forEach(run); }, a.delay as number), kind: 'timeout' });
        break;
      case 'immediate':
        handles.push({ t: setImmediate(() => { seen.push(`immediate ${me} at ${read()}`); a.then.forEach(run); }), kind: 'immediate' });
        break;
      case 'interval': {
        let left = a.times;
        const t = setInterval(() => {
          seen.push(`interval ${me} at ${read()}`);
          if (--left <= 0) clearInterval(t);
        }, a.delay as number);
        handles.push({ t, kind: 'interval' });
        break;
      }
      case 'clear': {
        const h = handles[a.which % Math.max(1, handles.length)];
        if (!h) break;
        if (h.kind === 'immediate') clearImmediate(h.t as NodeJS.Immediate);
        else clearTimeout(h.t as NodeJS.Timeout);
        break;
      }
      case 'refresh': {
        const h = handles[a.which % Math.max(1, handles.length)];
        if (h && h.kind !== 'immediate') (h.t as NodeJS.Timeout).refresh();
        break;
      }
    }
  };
  program.forEach(run);
  // the scheduler's loop (scheduler.ts), with the moves as the messages it has due
  let steps = 0;
  for (const m of moves) {
    // due a fraction of a ms past a whole one, as a message sent at the clock's (whole) ms is
    const next = clock.now() + m;
    for (;;) {
      const now = clock.now();
      const timerAt = clock.nextTimerAt();
      if (timerAt !== undefined && timerAt <= next) {
        steps++;
        clock.fireNext();
        continue;
      }
      if (next <= now) break;
      steps++;
      clock.advanceTo(next);
      let nothingRan = timerAt === undefined || timerAt > clock.now();
      while (nothingRan && clock.now() === now) {
        steps += clock.advanceWithinMs(next);
        steps++;
        clock.advanceTo(next);
        nothingRan = timerAt === undefined || timerAt > clock.now();
      }
      seen.push(`moved ${read()} steps ${steps}`);
      if (clock.now() >= next) break;
    }
  }
  seen.push(`left ${clock.nextTimerAt()} at ${read()}`);
  return seen;
}

let installed: AnyClock | undefined;
afterEach(() => {
  installed?.uninstall();
  installed = undefined;
});

function playOn(make: () => AnyClock, program: Action[], moves: number[]): string[] {
  installed = make();
  try {
    return play(installed, program, moves);
  } finally {
    installed.uninstall();
    installed = undefined;
  }
}

describe('VirtualClock', () => {
  it('fires the same timers at the same virtual times, and its clocks read the same, as fake-timers', () => {
    fc.assert(
      fc.property(fc.array(actionArb, { minLength: 1, maxLength: 12 }), movesArb, (program, moves) => {
        const before = playOn(() => new FakeTimersClock(Date.UTC(2026, 0, 1)), program, moves);
        const after = playOn(() => new VirtualClock(Date.UTC(2026, 0, 1)), program, moves);
        expect(after).toEqual(before);
      }),
      { numRuns: 300, seed: 2026 },
    );
  });

  it('takes the advances within a ms at once, leaving fake-timers as the repeated advances did', () => {
    for (const frac of [0.05, 0.1, 0.3, 0.333, 0.49, 0.5, 0.999, 0.0123, 0.123456789]) {
      const stepwise = playOn(() => new FakeTimersClock(1_000_000), [], [frac, frac, 2.5 + frac, frac * 7]);
      const atOnce = playOn(() => new VirtualClock(1_000_000), [], [frac, frac, 2.5 + frac, frac * 7]);
      expect(atOnce, String(frac)).toEqual(stepwise);
    }
  });

  it("holds a frozen owner's timers (those its code sets after an await too), and fires the overdue ones at once when thawed, in the order they came due", async () => {
    const clock = new VirtualClock(0);
    installed = clock;
    const runTo = (t: number) => {
      for (let next = clock.nextTimerAt(); next !== undefined && next <= t; next = clock.nextTimerAt()) clock.fireNext();
      clock.advanceTo(t);
    };
    const a = { role: 'a' };
    const b = { role: 'b' };
    const fired: string[] = [];
    const at = (name: string, then?: () => void) => () => {
      fired.push(`${name}@${clock.now()}`);
      then?.();
    };
    clock.runAs(a, () => {
      setTimeout(at('a30'), 30);
      // a timer its callback sets is the owner's too
      setTimeout(at('a10', () => setTimeout(at('a10-then'), 50)), 10);
      setInterval(at('a-every-20'), 20);
    });
    // code of the owner after an await still runs as it
    void clock.runAs(a, async () => {
      await Promise.resolve();
      setTimeout(at('a-after-await'), 15);
    });
    await drain();
    setTimeout(at('harness25'), 25);
    clock.runAs(b, () => setTimeout(at('b12'), 12));
    const cleared = clock.runAs(a, () => setTimeout(at('a-cleared'), 5));

    clock.freeze(a);
    clearTimeout(cleared);
    clock.runAs(a, () => setTimeout(at('a-set-while-frozen'), 1));
    runTo(100);
    expect(fired).toEqual(['b12@12', 'harness25@25']);

    clock.thaw(a);
    runTo(140);
    expect(fired.slice(2)).toEqual([
      // overdue: all at once, in the order they came due
      'a-set-while-frozen@100', 'a10@100', 'a-after-await@100', 'a-every-20@100', 'a30@100',
      // then at their own times: the interval a period after it fired, what a10 set 50 ms after it
      'a-every-20@120', 'a-every-20@140',
    ]);
    clock.freeze(a);
    runTo(200);
    expect(fired.length).toBe(9);
    clock.thaw(a);
    runTo(200);
    expect(fired.slice(9)).toEqual(['a10-then@200', 'a-every-20@200']);
  });

  it('restores the real timers when uninstalled', () => {
    const real = globalThis.setTimeout;
    const clock = new VirtualClock(0);
    expect(globalThis.setTimeout).not.toBe(real);
    clock.uninstall();
    expect(globalThis.setTimeout).toBe(real);
  });
});
