// What a step that `erases` (NemesisEntry.effect: Redis killed and started again empty, as the
// redis-wipe kind does) excuses, and what it does not. What was in Redis when it began may be gone:
// a task acknowledged before it, its jobs, their states, the idempotency key, the logs. So the
// judgments that hold the final state (or a later read) to what a job's submission wrote excuse a
// job whose submit was invoked before an erasure began: acknowledged before it, or in flight
// across it (whether it wrote before the kill or after the restart cannot be told). Everything
// submitted once it had begun is owed in full: Redis was down or empty when it wrote, and a
// system must go on working after the loss. Like every excuse, it is read from the step's
// effect, never from a fault kind's name.

import type { NemesisEntry } from '../history/types.ts';
import { effectOf, familyOf, stepEnds } from './effects.ts';
import type { JobRecord, Observations, SubmitOp } from './observations.ts';
import { rolesOf } from './roles.ts';

/** One step that erased Redis: from its start to its heal (Infinity when the history has no end for it). */
export interface Erasure {
  stepId: number;
  start: number;
  end: number;
}

/** The steps of a history that erased Redis (only those whose injection did it: outcome ok). */
export function erasuresOf(nemesis: readonly NemesisEntry[]): Erasure[] {
  const out: Erasure[] = [];
  for (const n of nemesis) {
    if (n.type !== 'start' || (n.outcome ?? 'ok') !== 'ok' || effectOf(n) !== 'erases') continue;
    const end = nemesis.find((e) => e.type === 'end' && e.stepId === n.stepId && e.t >= n.t);
    out.push({ stepId: n.stepId, start: n.t, end: end ? end.t : Infinity });
  }
  return out;
}

/**
 * The broader question a liveness judgment asks (backAfterHeal: is a job acknowledged before the
 * heal still owed a worker within the promise?): until when Redis may have lost what was written to
 * it, or what its clients held of it. Besides an erasure, a restart of Redis (`ends` on the redis
 * family) keeps acknowledged writes only as far as its configuration syncs them (a user's
 * --redis-config may not), and drops every connection and blocked read: a liveness promise is not
 * held for work acknowledged before the heal of the last such step (-Infinity: there was none).
 * The safety judgments keep their own, narrower excuse (Erasures, below).
 */
export function redisMayHaveLostUntil(nemesis: readonly NemesisEntry[]): number {
  const ends = stepEnds(nemesis);
  let at = -Infinity;
  for (const n of nemesis) {
    if (n.type !== 'start' || (n.outcome ?? 'ok') !== 'ok' || familyOf(n) !== 'redis') continue;
    const effect = effectOf(n);
    if (effect === 'ends' || effect === 'erases') at = Math.max(at, ends.get(n.stepId) ?? n.t);
  }
  return at;
}

/**
 * The erasures of one run, as the checkers ask about them. A step's start is recorded just before
 * its injection kills Redis; a submit invoked within the clock margin after it (ShapeEntry
 * .clockMarginMs, 0 in simulation) may still have reached Redis before the kill, so it counts as
 * invoked before.
 */
export class Erasures {
  readonly list: readonly Erasure[];
  readonly marginMs: number;

  constructor(obs: Pick<Observations, 'nemesis' | 'shape' | 'submitsByKey'>) {
    this.list = erasuresOf(obs.nemesis);
    this.marginMs = this.list.length > 0 ? rolesOf(obs).clockMarginMs : 0;
    this.submitsByKey = obs.submitsByKey;
  }

  private readonly submitsByKey: Observations['submitsByKey'];

  get any(): boolean {
    return this.list.length > 0;
  }

  /** The erasures that may have taken what this submit wrote: those that began after it was invoked (within the margin). */
  of(op: SubmitOp | undefined): Erasure[] {
    if (!op || this.list.length === 0) return [];
    return this.list.filter((e) => op.invoke.t <= e.start + this.marginMs);
  }

  /** What this submit wrote may be gone: it was acknowledged before an erasure, or in flight across one. */
  mayErase(op: SubmitOp | undefined): boolean {
    return this.of(op).length > 0;
  }

  /** Some submit that sent this idempotency key may have had what it wrote erased (the key's record with it). */
  mayEraseKey(key: string | null | undefined): boolean {
    if (key == null || this.list.length === 0) return false;
    return (this.submitsByKey.get(key) ?? []).some((op) => this.mayErase(op));
  }

  /** The submits that may have written this job: the one whose answer listed it, else those that sent its task's key. */
  private submitsOfJob(r: JobRecord): SubmitOp[] {
    if (r.origin) return [r.origin.submit];
    const key = r.inSnapshot?.task.idempotencyKey;
    return key == null ? [] : (this.submitsByKey.get(key) ?? []);
  }

  /**
   * A state of this job seen at `t` (a read that began then, a decision the log made then) may be
   * gone from the final state: an erasure that may have taken the job had not healed by then.
   * Seen after every such erasure healed, it was in the Redis that came back, and is owed.
   */
  mayEraseJobAfter(r: JobRecord, t: number): boolean {
    if (this.list.length === 0) return false;
    return this.submitsOfJob(r).some((op) => this.of(op).some((e) => e.end >= t));
  }

  /**
   * A state of this job seen at `seenT` may be gone by `laterT`, when another read or decision saw
   * something else: an erasure that may have taken the job had not healed when the state was seen
   * and had begun by `laterT` (the harness's clock: a time from Redis's adds marginMs). The later
   * one may have seen the empty Redis, or what the system wrote again into it.
   */
  mayEraseBetween(r: JobRecord, seenT: number, laterT: number): boolean {
    if (this.list.length === 0) return false;
    return this.submitsOfJob(r).some((op) => this.of(op).some((e) => e.end >= seenT && e.start <= laterT));
  }

  /** An erasure that may have taken what this submit wrote had begun by `t` (a read answered 404 then may find nothing). */
  erasedBefore(op: SubmitOp | undefined, t: number): boolean {
    return this.of(op).some((e) => e.start <= t);
  }
}
