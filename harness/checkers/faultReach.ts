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
import { effectOf, familyOf } from './effects.ts';
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

export function faultReach(history: History, obs: Observations): FaultReach {
  const roles = rolesOf(obs);
  const workerOf = (id: string): string => roles.workerOf(id) ?? id;
  // pair every step's start with its end
  const ends = new Map<number, number>();
  const starts: NemesisEntry[] = [];
  for (const n of obs.nemesis) {
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
  // a crash of the worker (or its executor, or Redis) ends what it held
  const held = new Map<string, Interval[]>();
  for (const s of spans.values()) {
    if (s.from === Infinity) continue;
    const crash = okStarts.find((f) => f.t >= s.from && effectOf(f) === 'ends' && (familyOf(f) === 'redis' || targetOf(f, roles).workers.includes(s.worker)));
    const crashed = crash !== undefined && crash.t < s.until;
    const until = Math.max(s.from, crashed ? crash.t : s.until);
    let list = held.get(s.worker);
    if (!list) held.set(s.worker, (list = []));
    list.push({ from: s.from, until, crashed });
  }
  const allHeld = [...held.values()].flat();

  // writes through the orchestrator: submits and cancels, invoke to completion
  const writes = clientWrites(history);

  const overlaps = (xs: readonly Interval[], a: number, b: number, point: boolean): boolean =>
    xs.some((x) => (point ? x.from <= a && (a < x.until || (x.crashed === true && a === x.until)) : x.from <= b && x.until >= a));
  const eventsIn = (a: number, b: number, keeper?: string): boolean =>
    eventTimes.some((t) => t >= a && t <= b) || (keeper !== undefined && decided.some((d) => d.keeper === keeper && d.t >= a && d.t <= b));

  const steps: FaultReach['steps'] = [];
  for (const start of okStarts) {
    const a = start.t;
    const b = ends.get(start.stepId) ?? Infinity;
    const target = targetOf(start, roles);
    const point = strikesProcess(start);
    const workersHeld = target.workers.includes('*') ? allHeld : target.workers.flatMap((w) => held.get(w) ?? []);
    const bit = target.redis
      ? overlaps(allHeld, a, a, true) || overlaps(writes, a, a, true) || eventsIn(a, a)
      : overlaps(workersHeld, a, b, point)
        || target.keepers.some((k) => eventsIn(a, b, k))
        || (target.frontDoor && overlaps(writes, a, b, false));
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
