// The simulation's clock: installed on the global object, so the system's own code (its
// setTimeout, setInterval, Date.now, performance.now) and ioredis's timers run on virtual time:
// @sinonjs/fake-timers fakes the clocks (Date, performance, hrtime), the timers are this module's
// own, with fake-timers' semantics (VirtualClock). Nothing advances it but the scheduler (scheduler.ts); between two steps the
// scheduler lets every queued microtask and process.nextTick run (`drain`), on the real event
// loop's setImmediate, captured here before any clock is installed. No real timer is ever used.
//
// Each timer belongs to whoever set it: the owner the code that set it runs as (runAs, an
// AsyncLocalStorage, so a role's promise continuations, nextTicks and the timers it sets carry
// it on), none for the harness's own code. An owner's timers can be frozen (a role paused, as
// SIGSTOP freezes a process's timers) and thawed: a timer of a frozen owner fires only once it
// is thawed, at once if it came due meanwhile.

import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
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

/** fake-timers' nanoRemainder: the fraction of a ms in `ms`, in whole nanoseconds */
function nanoRemainder(ms: number): number {
  const r = (ms * 1e6) % 1e6;
  return Math.floor(r < 0 ? r + 1e6 : r);
}

/** fake-timers' parseInt(String(delay)): an integral delay is itself (its text is its digits), no text made */
const wholeMs = (d: number): number => (Number.isSafeInteger(d) ? d : parseInt(String(d)));

/** fake-timers' bounds on a delay (WebIDL's ConvertToInt) */
const MAX_TIMEOUT = 2 ** 31 - 1;

/**
 * A timer of the virtual clock: what setTimeout, setInterval and setImmediate return while it is
 * installed. It has the methods of fake-timers' timer objects (as Node's Timeout has), and is
 * ordered as fake-timers orders them (compareTimers): by time, an immediate first, then by the
 * order it was set (or last rescheduled) in.
 */
class SimTimer {
  /** its place in the heap while it is set; -1 once it is not */
  heapIndex = -1;
  refed = true;
  constructor(
    readonly clock: VirtualClock,
    /** who set it (runAs): its owner's freeze holds it; undefined: the harness's own */
    readonly owner: object | undefined,
    readonly id: number,
    readonly func: (...args: unknown[]) => void,
    readonly args: unknown[],
    readonly delay: number,
    readonly interval: number | undefined,
    readonly immediate: boolean,
    public callAt: number,
    public order: number,
  ) {}

  ref(): this {
    this.refed = true;
    return this;
  }

  unref(): this {
    this.refed = false;
    return this;
  }

  hasRef(): boolean {
    return this.refed;
  }

  /** as fake-timers' refresh: due one delay from now, ordered as if set now */
  refresh(): this {
    this.clock.refreshTimer(this);
    return this;
  }

  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

/** fake-timers' compareTimers for the timers set here (no idle callbacks; ids and order are unique) */
function earlier(a: SimTimer, b: SimTimer): boolean {
  if (a.callAt !== b.callAt) return a.callAt < b.callAt;
  if (a.immediate !== b.immediate) return a.immediate;
  return a.order < b.order;
}

/** A binary heap of timers, first the one due first. */
class TimerHeap {
  readonly timers: SimTimer[] = [];

  peek(): SimTimer | undefined {
    return this.timers[0];
  }

  push(t: SimTimer): void {
    this.timers.push(t);
    t.heapIndex = this.timers.length - 1;
    this.up(t.heapIndex);
  }

  remove(t: SimTimer): void {
    const i = t.heapIndex;
    const timers = this.timers;
    if (i < 0 || timers[i] !== t) return;
    const last = timers.pop()!;
    t.heapIndex = -1;
    if (last === t) return;
    timers[i] = last;
    last.heapIndex = i;
    if (i > 0 && earlier(last, timers[(i - 1) >> 1]!)) this.up(i);
    else this.down(i);
  }

  private up(i: number): void {
    const timers = this.timers;
    const t = timers[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = timers[p]!;
      if (!earlier(t, parent)) break;
      timers[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    timers[i] = t;
    t.heapIndex = i;
  }

  private down(i: number): void {
    const timers = this.timers;
    const n = timers.length;
    const t = timers[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && earlier(timers[r]!, timers[l]!) ? r : l;
      const child = timers[c]!;
      if (!earlier(child, t)) break;
      timers[i] = child;
      child.heapIndex = i;
      i = c;
    }
    timers[i] = t;
    t.heapIndex = i;
  }
}

/** the owner the code running now runs as (VirtualClock.runAs): one store for every clock, read when a timer is set */
const owners = new AsyncLocalStorage<object>();

/** Runs `fn` as `owner` (VirtualClock.runAs); as the code running now when `owner` is undefined. */
export function runAs<T>(owner: object | undefined, fn: () => T): T {
  return owner === undefined || owners.getStore() === owner ? fn() : owners.run(owner, fn);
}

type TimerFunctions = Pick<typeof globalThis, 'setTimeout' | 'clearTimeout' | 'setInterval' | 'clearInterval' | 'setImmediate' | 'clearImmediate'>;
const TIMER_FUNCTIONS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'] as const;

/**
 * fake-timers for the global object, made at the first clock's construction, when the globals are
 * the real ones (each clock is uninstalled before the next is made): withGlobal builds its whole
 * API anew each time it is called, install makes a fresh clock each time.
 */
let fakeTimers: ReturnType<typeof withGlobal> | undefined;

const require = createRequire(import.meta.url);
/** node:timers, whose functions fake-timers replaces along with the globals: so are they here */
const timersModule = require('node:timers') as Record<string, unknown>;

/**
 * The virtual clock. fake-timers fakes Date, performance (the global's and node:perf_hooks') and
 * process.hrtime, and moves the time they read (its `now`, and the nanoseconds its fractional
 * ticks add up); the timers (setTimeout, setInterval, setImmediate and their clears, global and
 * node:timers) are this clock's own, with fake-timers' semantics to the letter (a delay as its
 * addTimer reads it, a timer set while timers fire runs no earlier than the next ms, the order
 * among timers due at once): the same code sets the same timers at the same virtual times and
 * they fire in the same order, only without fake-timers' cost per timer, which a simulated run
 * with a socket timeout armed on every command pays thousands of times.
 */
export class VirtualClock {
  private readonly clock: Clock & { uninstall(): void; now: number };
  private readonly heap = new TimerHeap();
  private readonly byId = new Map<number, SimTimer>();
  private nextId = 1e12;
  private nextOrder = 0;
  /** while timers fire (fireNext, or an advance that reaches them): a timer set then with no delay is due 1 ms later, as in fake-timers */
  private duringTick = false;
  /** frozen owners, each with its timers held out of the heap (set, refreshed or rescheduled while frozen included) */
  private readonly frozen = new Map<object, Set<SimTimer>>();
  /** fake-timers' nanoseconds (what its fractional ticks added up, below a whole ms), followed tick by tick */
  private nanos = 0;
  private readonly saved: { globals: Partial<TimerFunctions>; module: Record<string, unknown> } = { globals: {}, module: {} };

  constructor(startMs: number) {
    fakeTimers ??= withGlobal(globalThis);
    this.clock = fakeTimers.install({
      now: startMs,
      toFake: ['Date', 'performance', 'hrtime'],
      loopLimit: 1_000_000,
    }) as Clock & { uninstall(): void; now: number };
    const fakes: TimerFunctions = {
      setTimeout: ((func: (...args: unknown[]) => void, timeout?: unknown, ...args: unknown[]) => this.add(func, args, timeout, undefined, false)) as never,
      clearTimeout: ((id: unknown) => this.clear(id, 'Timeout')) as never,
      setInterval: ((func: (...args: unknown[]) => void, timeout?: unknown, ...args: unknown[]) => {
        const t = parseInt(String(timeout), 10);
        return this.add(func, args, t, t, false);
      }) as never,
      clearInterval: ((id: unknown) => this.clear(id, 'Interval')) as never,
      setImmediate: ((func: (...args: unknown[]) => void, ...args: unknown[]) => this.add(func, args, undefined, undefined, true)) as never,
      clearImmediate: ((id: unknown) => this.clear(id, 'Immediate')) as never,
    };
    for (const name of TIMER_FUNCTIONS) {
      (this.saved.globals as Record<string, unknown>)[name] = globalThis[name];
      (globalThis as Record<string, unknown>)[name] = fakes[name];
      if (typeof timersModule[name] === 'function') {
        this.saved.module[name] = timersModule[name];
        timersModule[name] = fakes[name];
      }
    }
  }

  now(): number {
    return this.clock.now;
  }

  /**
   * Runs `fn` as `owner`: the timers it sets, and those set by the code it leads to (its promise
   * continuations, nextTicks, microtasks, and the timers' own callbacks in turn), are the owner's.
   */
  runAs<T>(owner: object, fn: () => T): T {
    return runAs(owner, fn);
  }

  /**
   * Holds every timer of `owner` (and each it sets, refreshes or reschedules from now on) until
   * thaw: none of them fires meanwhile, as none of a stopped process's does.
   */
  freeze(owner: object): void {
    if (this.frozen.has(owner)) return;
    const held = new Set<SimTimer>();
    this.frozen.set(owner, held);
    for (const t of [...this.heap.timers]) {
      if (t.owner !== owner) continue;
      this.heap.remove(t);
      held.add(t);
    }
  }

  /**
   * The owner's timers run again: one due by now fires at once (those overdue in the order they
   * came due, before anything set later), the others at their own time, as a process's overdue
   * timers fire when it gets SIGCONT. An interval overdue by several periods fires once, and
   * then every period from now (Node's setInterval, not fake-timers' catching up).
   */
  thaw(owner: object): void {
    const held = this.frozen.get(owner);
    if (!held) return;
    this.frozen.delete(owner);
    const now = this.clock.now;
    for (const t of [...held].sort((a, b) => (earlier(a, b) ? -1 : 1))) {
      if (t.callAt < now) {
        t.callAt = now;
        t.order = this.nextOrder++;
      }
      this.heap.push(t);
    }
  }

  /** a timer goes in the heap, or is held while its owner is frozen */
  private place(t: SimTimer): void {
    const held = t.owner === undefined ? undefined : this.frozen.get(t.owner);
    if (held) held.add(t);
    else this.heap.push(t);
  }

  /** a timer leaves the heap, or its owner's held timers */
  private unplace(t: SimTimer): void {
    if (t.heapIndex >= 0) this.heap.remove(t);
    else if (t.owner !== undefined) this.frozen.get(t.owner)?.delete(t);
  }

  /** When the next timer is due; undefined when none is set. */
  nextTimerAt(): number | undefined {
    return this.heap.peek()?.callAt;
  }

  /** Fires the next timer (only that one), moving the clock to its time (fake-timers' next()). */
  fireNext(): void {
    const timer = this.heap.peek();
    if (!timer) return;
    this.duringTick = true;
    try {
      this.clock.now = timer.callAt;
      this.call(timer);
    } finally {
      this.duringTick = false;
    }
  }

  /**
   * Moves the clock forward to `t`; the caller has made sure no timer is due before then. As
   * fake-timers' tick: the fraction of a ms is added to its nanoseconds, the clock keeps whole
   * ms, and a timer due by the whole ms reached fires at its own time on the way.
   */
  advanceTo(t: number): void {
    const from = this.clock.now;
    if (!(t > from)) return;
    // fake-timers moves its own time (now, nanoseconds); it has no timers to fire
    this.tick(t - from);
    const to = this.clock.now;
    let first = this.heap.peek();
    if (!first || first.callAt > to) return;
    let failure: unknown;
    let failed = false;
    this.duringTick = true;
    try {
      while (first && first.callAt <= to) {
        this.clock.now = first.callAt;
        try {
          this.call(first);
        } catch (err) {
          // as fake-timers: the rest of the range still runs, the first exception is thrown after
          if (!failed) failure = err;
          failed = true;
        }
        first = this.heap.peek();
      }
    } finally {
      this.duringTick = false;
      this.clock.now = to;
    }
    if (failed) throw failure;
  }

  /**
   * The ticks toward `t` that would leave the whole ms where it is, taken at once: the scheduler,
   * moving the clock to a message due at a fraction of a ms, advances to it again and again
   * (each tick adds the same fraction to fake-timers' nanoseconds, no timer can fire) until the
   * fractions add up to a ms. One tick of their sum leaves fake-timers as they would; the one
   * that reaches the next ms is left to advanceTo. Returns how many ticks it took (0: none).
   */
  advanceWithinMs(t: number): number {
    const delta = t - this.clock.now;
    if (!(delta > 0 && delta < 1)) return 0;
    const each = nanoRemainder(delta);
    if (each === 0) return 0;
    // the first tick that makes the nanoseconds reach a ms rolls the clock over: those before it
    const before = Math.ceil((1e6 - this.nanos) / each) - 1;
    if (before <= 0) return 0;
    const sum = before * each;
    // (sum + 0.5) / 1e6 ms reads back as exactly `sum` nanoseconds in fake-timers' nanoRemainder
    this.tick((sum + 0.5) / 1e6);
    return before;
  }

  /** fake-timers' tick, its nanoseconds followed (createTickState) */
  private tick(ms: number): void {
    let nanos = this.nanos + nanoRemainder(ms);
    if (nanos >= 1e6) nanos -= 1e6;
    this.nanos = nanos;
    this.clock.tick(ms);
  }

  uninstall(): void {
    // the owners' promise hook goes with the clock (a run that told no owners apart never had it)
    owners.disable();
    for (const name of TIMER_FUNCTIONS) {
      (globalThis as Record<string, unknown>)[name] = this.saved.globals[name];
      if (name in this.saved.module) timersModule[name] = this.saved.module[name];
    }
    this.clock.uninstall();
  }

  /** fake-timers' addTimer */
  private add(func: (...args: unknown[]) => void, args: unknown[], delay: unknown, interval: number | undefined, immediate: boolean): SimTimer {
    if (func === undefined) throw new Error('Callback must be provided to timer calls');
    if (typeof func !== 'function') {
      throw new TypeError(`[ERR_INVALID_CALLBACK]: Callback must be a function. Received ${func} of type ${typeof func}`);
    }
    let d = 0;
    if (!immediate) {
      let v = typeof delay === 'number' ? delay : parseInt(delay as string, 10);
      if (!Number.isFinite(v)) v = 0;
      v = v > MAX_TIMEOUT ? 1 : v;
      d = Math.max(0, v);
    }
    let every = interval;
    if (every !== undefined) {
      if (!Number.isFinite(every)) every = 1;
      every = every > MAX_TIMEOUT ? 1 : every;
    }
    const now = this.clock.now;
    // a setImmediate has no delay: String(undefined) reads as NaN, as in fake-timers
    const callAt = now + ((immediate ? NaN : wholeMs(d)) || (this.duringTick ? 1 : 0));
    const timer = new SimTimer(this, owners.getStore(), this.nextId++, func, args, d, every, immediate, callAt, this.nextOrder++);
    this.byId.set(timer.id, timer);
    this.place(timer);
    return timer;
  }

  /** fake-timers' refresh */
  refreshTimer(timer: SimTimer): void {
    timer.callAt = this.clock.now + ((timer.immediate ? NaN : wholeMs(timer.delay)) || (this.duringTick ? 1 : 0));
    this.unplace(timer);
    timer.order = this.nextOrder++;
    this.byId.set(timer.id, timer);
    this.place(timer);
  }

  /** fake-timers' clearTimer: a timeout and an interval clear each other; an immediate only by clearImmediate */
  private clear(handle: unknown, kind: 'Timeout' | 'Interval' | 'Immediate'): void {
    if (!handle) return;
    const id = Number(handle);
    const timer = this.byId.get(id);
    if (!timer) return;
    if ((kind === 'Immediate') !== timer.immediate) {
      const schedule = timer.immediate ? 'setImmediate' : timer.interval !== undefined ? 'setInterval' : 'setTimeout';
      throw new Error(`Cannot clear timer: timer created with ${schedule}() but cleared with clear${kind}()`);
    }
    this.byId.delete(id);
    this.unplace(timer);
  }

  /**
   * fake-timers' callTimer: an interval is set again (after the others due now), a timeout is
   * gone; then its function runs, as the timer's owner (the harness's own: as none).
   */
  private call(timer: SimTimer): void {
    if (!this.byId.has(timer.id)) return;
    this.heap.remove(timer);
    if (timer.interval !== undefined) {
      timer.callAt += timer.interval;
      timer.order = this.nextOrder++;
      this.place(timer);
    } else this.byId.delete(timer.id);
    if (timer.owner === owners.getStore()) timer.func.apply(null, timer.args);
    else if (timer.owner === undefined) owners.exit(() => timer.func.apply(null, timer.args));
    else owners.run(timer.owner, () => timer.func.apply(null, timer.args));
  }
}
