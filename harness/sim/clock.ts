// The simulation's clock: @sinonjs/fake-timers installed on the global object, so the system's
// own code (its setTimeout, setInterval, Date.now, performance.now) and ioredis's timers run on
// virtual time. Nothing advances it but the scheduler (scheduler.ts); between two steps the
// scheduler lets every queued microtask and process.nextTick run (`drain`), on the real event
// loop's setImmediate, captured here before any clock is installed. No real timer is ever used.

import { withGlobal, type Clock } from '@sinonjs/fake-timers';

const realSetImmediate = globalThis.setImmediate;

/** drains waiting for their immediate, first first */
const waiting: (() => void)[] = [];
/** immediates queued for drains and not yet run */
let queued = 0;
/**
 * Immediates are queued for drains in batches: one turn of the real event loop runs every
 * immediate queued before it began, with every nextTick and microtask run to the end between two
 * of them, just as between two turns, so a batch serves that many drains in one turn (a turn
 * also polls for I/O, the larger part of a drain's cost, and a simulated run does none).
 */
const DRAIN_BATCH = 64;

function drained(): void {
  queued--;
  waiting.shift()?.();
}

/** Lets every microtask and nextTick queued so far (and those they queue) run. */
export function drain(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (queued >= waiting.length) return;
    for (let i = 0; i < DRAIN_BATCH; i++) realSetImmediate(drained);
    queued += DRAIN_BATCH;
  });
}

/** What fake-timers keeps internally: its next timer, without firing it. */
interface TimerHeap {
  peek(): { callAt: number } | undefined;
}

export class VirtualClock {
  private readonly clock: Clock & { uninstall(): void };

  constructor(startMs: number) {
    this.clock = withGlobal(globalThis).install({
      now: startMs,
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date', 'performance', 'hrtime'],
      loopLimit: 1_000_000,
    });
  }

  now(): number {
    return this.clock.now;
  }

  /** When the next timer is due; undefined when none is set. */
  nextTimerAt(): number | undefined {
    const heap = (this.clock as unknown as { timerHeap?: TimerHeap }).timerHeap;
    if (heap) return heap.peek()?.callAt;
    // older fake-timers kept only the id map
    const timers = Object.values((this.clock as unknown as { timers?: Record<string, { callAt: number }> }).timers ?? {});
    return timers.length ? Math.min(...timers.map((t) => t.callAt)) : undefined;
  }

  /** Fires the next timer (only that one), moving the clock to its time. */
  fireNext(): void {
    this.clock.next();
  }

  /** Moves the clock forward to `t`; the caller has made sure no timer is due before then. */
  advanceTo(t: number): void {
    if (t > this.clock.now) this.clock.tick(t - this.clock.now);
  }

  uninstall(): void {
    this.clock.uninstall();
  }
}
