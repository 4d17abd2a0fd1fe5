// The simulation's scheduler: the only thing that moves virtual time. Each step lets the code
// that is ready run to its next wait (drain), then does the one next thing: a message the
// network has due (a seeded pick among the connections), a blocked Redis command that timed out,
// or the next timer, moving the clock to it. Nothing happens between steps, so a seed fixes the
// whole run.

import { drain, type VirtualClock } from './clock.ts';
import type { SimNetwork } from './network.ts';
import type { SimRedis } from './redis/engine.ts';

export class Scheduler {
  /** steps taken so far (a measure of a run's work) */
  steps = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly network: SimNetwork,
    private readonly engine: SimRedis,
  ) {}

  /**
   * Runs until `done()` holds (checked after every step) or nothing can happen before `until`
   * (virtual ms); returns whether `done()` held.
   */
  async runUntil(until: number, done: () => boolean): Promise<boolean> {
    // set when the last step ran no code at all (it only moved the clock, no timer due by then):
    // nothing is queued, so the drain would run nothing and done() would answer as it just did
    let nothingRan = false;
    for (;;) {
      if (!nothingRan) {
        await drain();
        if (done()) return true;
      }
      nothingRan = false;
      this.steps++;
      if (this.network.step()) {
        // a command that only reached Redis queued no code: the next drain would run nothing
        nothingRan = this.network.lastStepQuiet;
        continue;
      }
      const now = this.clock.now();
      const redisAt = this.engine.nextDeadline();
      if (redisAt !== undefined && redisAt <= now) {
        this.engine.tick();
        continue;
      }
      const timerAt = this.clock.nextTimerAt();
      const netAt = this.network.nextAt();
      const next = Math.min(timerAt ?? Infinity, netAt ?? Infinity, redisAt ?? Infinity);
      // nothing scheduled at all, yet not done: the code waits on something outside the virtual
      // clock (real I/O, a real timer). Stop here, at this instant, so the caller can say so.
      if (next === Infinity) return done();
      if (next > until) {
        this.clock.advanceTo(until);
        await drain();
        return done();
      }
      // a timer due no later than anything else fires first (it was set before the message arrived)
      if (timerAt !== undefined && timerAt <= next) this.clock.fireNext();
      else {
        // often the clock's ms does not even move: it keeps whole ms, and a message due at a
        // fraction of one takes a few of these steps to come due (fake-timers adds the fractions up)
        this.clock.advanceTo(next);
        // no timer fires before timerAt, and nothing but a timer runs code when the clock moves
        nothingRan = timerAt === undefined || timerAt > this.clock.now();
        // while the clock's ms stays where it was, the next step sees just what this one saw (no
        // code ran, and what is due depends on the ms): it would advance to `next` again
        while (nothingRan && this.clock.now() === now) {
          // the advances that would not reach the next ms, taken as one (each a step, as before)
          this.steps += this.clock.advanceWithinMs(next);
          this.steps++;
          this.clock.advanceTo(next);
          nothingRan = timerAt === undefined || timerAt > this.clock.now();
        }
      }
    }
  }
}
