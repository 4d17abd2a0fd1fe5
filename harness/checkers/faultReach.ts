// Did a fault bite? A fault counts for coverage only when its injection took effect (the
// nemesis recorded `ok`, not `failed` or `empty`) and the part it hit had work in hand then:
//
// - a worker (its process, its link, its executor): it held a job when a kill, restart, pause
//   or executor kill began, or at any moment of a link fault's window (the slowed link carried
//   that job's commands). A worker holds a job from the first event or payload start of an
//   attempt by it or its executor until that attempt's outcome event (or a crash of it);
// - a link shared by executors: a worker whose executor it carries held a job during the window;
// - a keeper (process or link): an event was produced, or decided by that keeper, during the
//   fault's window (the events stream had something for it);
// - the front door (process, its Redis link, the client's link to it): a submit or cancel was
//   in flight during the window;
// - Redis: any of the above at the moment it went down.
//
// Roles come from the history's shape entry (roles.ts), whatever the processes are called.
// Times of events come from their stream ids (when they were added), placed on the history's
// timeline through the transition that decided them.

import type { ClientEntry, History, NemesisEntry } from '../history/types.ts';
import { parseLogId, type Observations } from './observations.ts';
import { effectOf, familyOf, isMeasured } from './effects.ts';
import { rolesOf, type Roles } from './roles.ts';
import { isTerminal } from './spec.ts';

export interface FaultReach {
  /** steps whose injection took effect */
  effective: number;
  /** steps whose injection threw */
  failed: number;
  /** steps that found nothing to hit (a dead process, no executor) */
  empty: number;
  /** effective steps whose target had work in hand (see above) */
  bit: number;
  /** per effective step: its target, the kind of part that is (partOf), and whether it bit */
  steps: { stepId: number; fault: string; target: string; part: string; t: number; bit: boolean }[];
}

/**
 * Whether a step struck a process (a kill, pause or restart: it bit if the process held work at
 * the instant it began): the start entry's family, as the kind's module says (effects.ts).
 */
const strikesProcess = (start: NemesisEntry): boolean => familyOf(start) === 'process';

/** What a step's target stands for, as roles (roles.ts): the workers whose work it can touch, keepers, the front door, Redis. */
interface Target {
  workers: string[];
  keepers: string[];
  frontDoor: boolean;
  redis: boolean;
}

function targetOf(start: NemesisEntry, roles: Roles): Target {
  const t: Target = { workers: [], keepers: [], frontDoor: false, redis: false };
  const add = (id: string) => {
    const role = roles.role(id);
    if (role === 'keeper') t.keepers.push(id);
    else if (role === 'front-door') t.frontDoor = true;
    else {
      const w = roles.workerOf(id) ?? id;
      if (!t.workers.includes(w)) t.workers.push(w);
    }
  };
  const hit = roles.hit(start);
  if (hit.kind === 'redis') t.redis = true;
  else if (hit.kind === 'process') add(hit.id);
  else if (hit.kind === 'executor') add(hit.worker);
  else if (hit.carries.includes('*-executor')) t.workers.push('*'); // by convention: every worker's executor
  else for (const id of hit.carries) add(id);
  return t;
}

interface Interval {
  from: number;
  until: number;
  /** ended by a crash at `until`: the crash itself still found the job held */
  crashed?: boolean;
}

/** the first index of a sorted list whose value is >= t */
function lowerBound(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** whether a sorted list has a value in [a, b] */
const anyIn = (sorted: readonly number[], a: number, b: number): boolean => {
  const i = lowerBound(sorted, a);
  return i < sorted.length && sorted[i]! <= b;
};

/**
 * Intervals sorted by start, with the latest end among those that start by each point: whether
 * one holds an instant (from <= a < until, or a crash at exactly `until`) or meets a window
 * (from <= b, until >= a) is one binary search.
 */
class Intervals {
  private readonly froms: number[];
  /** max until of the first i + 1 intervals */
  private readonly maxUntil: number[];
  /** max until of the crashed ones among the first i + 1 (-Infinity: none) */
  private readonly maxCrashed: number[];

  constructor(xs: readonly Interval[]) {
    const sorted = [...xs].sort((x, y) => x.from - y.from);
    this.froms = sorted.map((x) => x.from);
    this.maxUntil = [];
    this.maxCrashed = [];
    let u = -Infinity;
    let c = -Infinity;
    for (const x of sorted) {
      u = Math.max(u, x.until);
      if (x.crashed) c = Math.max(c, x.until);
      this.maxUntil.push(u);
      this.maxCrashed.push(c);
    }
  }

  holds(a: number): boolean {
    const k = this.upTo(a);
    return k > 0 && (this.maxUntil[k - 1]! > a || this.maxCrashed[k - 1]! >= a);
  }

  meets(a: number, b: number): boolean {
    const k = this.upTo(b);
    return k > 0 && this.maxUntil[k - 1]! >= a;
  }

  /** how many intervals start at or before t */
  private upTo(t: number): number {
    let lo = 0;
    let hi = this.froms.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.froms[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export function faultReach(history: History, obs: Observations): FaultReach {
  const roles = rolesOf(obs);
  const workerOf = (id: string): string => roles.workerOf(id) ?? id;
  // pair every step's start with its end
  const ends = new Map<number, number>();
  const starts: NemesisEntry[] = [];
  for (const n of obs.nemesis) {
    // a starvation the harness measured is no fault it drew: it reaches no coverage goal
    if (isMeasured(n)) continue;
    if (n.type === 'start') starts.push(n);
    else ends.set(n.stepId, n.t);
  }
  starts.sort((a, b) => a.t - b.t);
  const okStarts = starts.filter((s) => (s.outcome ?? 'ok') === 'ok');

  // what each worker held: one interval per (job, attempt, worker)
  const spans = new Map<string, { worker: string; from: number; until: number }>();
  const span = (jobId: string, attempt: number, worker: string) => {
    const key = `${jobId}\u0000${attempt}\u0000${worker}`;
    let s = spans.get(key);
    if (!s) spans.set(key, (s = { worker, from: Infinity, until: Infinity }));
    return s;
  };
  // event times: when each event was produced, and by which keeper it was decided when
  const eventTimes: number[] = [];
  const decided: { keeper: string; t: number }[] = [];
  for (const { steps } of obs.jobs) {
    for (const step of steps) {
      const e = step.entry;
      const logMs = parseLogId(e.logId)?.[0];
      const eventMs = parseLogId(e.eventId)?.[0];
      const eventT = logMs !== undefined && eventMs !== undefined ? e.t - (logMs - eventMs) : e.t;
      eventTimes.push(eventT);
      decided.push({ keeper: e.keeper, t: e.t });
      if (e.source !== 'worker' && e.source !== 'executor') continue;
      const s = span(e.jobId, e.attempt, workerOf(e.sourceId));
      s.from = Math.min(s.from, eventT);
      if (isTerminal(e.type)) s.until = Math.min(s.until, eventT);
    }
  }
  for (const x of obs.executions) {
    const s = span(x.jobId, x.attempt, workerOf(x.executorId));
    s.from = Math.min(s.from, x.t);
    if (x.endedAt !== undefined) s.until = Math.min(s.until, x.endedAt);
  }
  // a crash of the worker (or its executor, or Redis) ends what it held: the first one at or after
  // the span's start, looked up by time in each worker's crashes and Redis's
  const targets = new Map(okStarts.map((f) => [f, targetOf(f, roles)]));
  const redisCrashes: number[] = [];
  const crashesOf = new Map<string, number[]>();
  for (const f of okStarts) {
    // a wipe (`erases`) ends Redis as a restart does
    if (effectOf(f) !== 'ends' && effectOf(f) !== 'erases') continue;
    if (familyOf(f) === 'redis') redisCrashes.push(f.t);
    else {
      for (const w of targets.get(f)!.workers) {
        const list = crashesOf.get(w);
        if (list) list.push(f.t);
        else crashesOf.set(w, [f.t]);
      }
    }
  }
  const firstAtOrAfter = (times: readonly number[] | undefined, t: number): number => {
    if (!times) return Infinity;
    const i = lowerBound(times, t);
    return i < times.length ? times[i]! : Infinity;
  };
  const held = new Map<string, Interval[]>();
  for (const s of spans.values()) {
    if (s.from === Infinity) continue;
    const crashT = Math.min(firstAtOrAfter(crashesOf.get(s.worker), s.from), firstAtOrAfter(redisCrashes, s.from));
    const crashed = crashT < s.until;
    const until = Math.max(s.from, crashed ? crashT : s.until);
    let list = held.get(s.worker);
    if (!list) held.set(s.worker, (list = []));
    list.push({ from: s.from, until, crashed });
  }
  const allHeld = [...held.values()].flat();

  // writes through the orchestrator: submits and cancels, invoke to completion
  const writes = clientWrites(history);

  // what held work, and when events were produced and decided, indexed by time: each step asks in O(log n)
  const heldIndex = new Map([...held].map(([w, xs]) => [w, new Intervals(xs)]));
  const allIndex = new Intervals(allHeld);
  const writesIndex = new Intervals(writes);
  eventTimes.sort((x, y) => x - y);
  const decidedBy = new Map<string, number[]>();
  for (const d of decided) {
    const list = decidedBy.get(d.keeper);
    if (list) list.push(d.t);
    else decidedBy.set(d.keeper, [d.t]);
  }
  for (const ts of decidedBy.values()) ts.sort((x, y) => x - y);
  const eventsIn = (a: number, b: number, keeper?: string): boolean =>
    anyIn(eventTimes, a, b) || (keeper !== undefined && anyIn(decidedBy.get(keeper) ?? [], a, b));

  const steps: FaultReach['steps'] = [];
  for (const start of okStarts) {
    const a = start.t;
    const b = ends.get(start.stepId) ?? Infinity;
    const target = targets.get(start)!;
    const point = strikesProcess(start);
    const workersHeld = target.workers.includes('*') ? [allIndex] : target.workers.flatMap((w) => heldIndex.get(w) ?? []);
    const bit = target.redis
      ? allIndex.holds(a) || writesIndex.holds(a) || eventsIn(a, a)
      : workersHeld.some((x) => (point ? x.holds(a) : x.meets(a, b)))
        || target.keepers.some((k) => eventsIn(a, b, k))
        || (target.frontDoor && writesIndex.meets(a, b));
    steps.push({ stepId: start.stepId, fault: start.fault, target: start.target, part: partOf(start, roles), t: a, bit });
  }
  return {
    effective: okStarts.length,
    failed: starts.filter((s) => s.outcome === 'failed').length,
    empty: starts.filter((s) => s.outcome === 'empty').length,
    bit: steps.filter((s) => s.bit).length,
    steps,
  };
}

/** The kind of part a step hit, by role: `worker`, `keeper`, `front-door`, `executor`, `redis`, `<role> link`, `executor link`, `client link`. */
export function partOf(start: NemesisEntry, roles: Roles): string {
  const hit = roles.hit(start);
  switch (hit.kind) {
    case 'redis':
      return 'redis';
    case 'executor':
      return 'executor';
    case 'process':
      return hit.role ?? 'process';
    case 'link': {
      // `client` is the harness's own link to the front door's HTTP port, not one of the system's
      if (hit.link === 'client') return 'client link';
      const ids = hit.carries;
      if (ids.length > 0 && ids.every((id) => id === '*-executor' || (roles.role(id) === undefined && roles.workerOf(id) !== undefined))) return 'executor link';
      const role = ids.length === 1 ? roles.role(ids[0]!) : undefined;
      return `${role ?? 'shared'} link`;
    }
  }
}

function clientWrites(history: History): Interval[] {
  const open = new Map<string, ClientEntry>();
  const out: Interval[] = [];
  for (const e of history) {
    if (e.kind !== 'client' || (e.f !== 'submit' && e.f !== 'cancel')) continue;
    const key = `${e.process}\u0000${e.opId}`;
    if (e.type === 'invoke') open.set(key, e);
    else {
      const inv = open.get(key);
      if (!inv) continue;
      open.delete(key);
      out.push({ from: inv.t, until: e.t });
    }
  }
  // never answered: in flight until the end
  for (const inv of open.values()) out.push({ from: inv.t, until: Infinity });
  return out;
}
