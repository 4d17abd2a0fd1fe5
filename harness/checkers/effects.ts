// What a fault step did to what it struck: its family and effect (NemesisEntry.family, .effect), as
// its kind's module says, for the judgments that excuse a deviation by a fault. No checker names a
// fault kind: a kind of a config's own is judged by what its module declares. Histories written
// before the two were recorded carry only the kind's name; for them, the built-in kinds' then (a
// config's kind is namespaced, `acme:flap`, so its name never reads as a built-in's).
import type { FaultEffect, NemesisEntry } from '../history/types.ts';

const BEFORE_RECORDED: Readonly<Record<string, { family: string; effect: FaultEffect }>> = {
  kill: { family: 'process', effect: 'ends' },
  restart: { family: 'process', effect: 'ends' },
  'kill-executor': { family: 'process', effect: 'ends' },
  'poison-job': { family: 'process', effect: 'ends' },
  pause: { family: 'process', effect: 'freezes' },
  'redis-restart': { family: 'redis', effect: 'ends' },
  'redis-wipe': { family: 'redis', effect: 'erases' },
  down: { family: 'link', effect: 'cuts' },
  timeout: { family: 'link', effect: 'cuts' },
  reset_peer: { family: 'link', effect: 'cuts' },
  limit_data: { family: 'link', effect: 'cuts' },
  bandwidth: { family: 'link', effect: 'stalls' },
  latency: { family: 'link', effect: 'delays' },
  slow_close: { family: 'link', effect: 'none' },
  slicer: { family: 'link', effect: 'none' },
};

/** `process`, `link`, `redis`, or undefined for a kind that names none */
export const familyOf = (n: NemesisEntry): string | undefined => n.family ?? BEFORE_RECORDED[n.fault]?.family;

/** what the step did; `none` for a kind that names nothing (it excuses no deviation) */
export const effectOf = (n: NemesisEntry): FaultEffect => n.effect ?? BEFORE_RECORDED[n.fault]?.effect ?? 'none';

/**
 * The final heal: when the last fault step ended (the latest `end` entry), or undefined when none
 * ended. A loop, not Math.max over a spread: a long soak's history may hold more steps than a call's
 * arguments may.
 */
export function finalHealAt(nemesis: readonly NemesisEntry[]): number | undefined {
  let at: number | undefined;
  for (const n of nemesis) if (n.type === 'end' && (at === undefined || n.t > at)) at = n.t;
  return at;
}

/** When each step ended: its `end` entry's time by stepId (a step still in place when the history ends has none). */
export function stepEnds(nemesis: readonly NemesisEntry[]): Map<number, number> {
  const ends = new Map<number, number>();
  for (const n of nemesis) if (n.type === 'end') ends.set(n.stepId, n.t);
  return ends;
}

/**
 * A step the harness measured rather than drew (harness/env/starvation.ts: a process starved of
 * CPU, read like a pause of it): it excuses what its effect excuses, and counts towards no
 * coverage goal.
 */
export const isMeasured = (n: NemesisEntry): boolean => n.detail?.measured === true;

/** What a step that `delays` adds to each message it holds: its latency + jitter (0 for any other step). */
export function delayOf(n: NemesisEntry): number {
  if (effectOf(n) !== 'delays') return 0;
  const d = n.detail ?? {};
  return (typeof d.latencyMs === 'number' ? d.latencyMs : 0) + (typeof d.jitterMs === 'number' ? d.jitterMs : 0);
}

/**
 * The most the delaying steps among `steps` on `n`'s link (its target) add to one message at one
 * moment of `n`'s window: toxics on one link nest, so the delays of those in place together add up
 * (found by the simulated soak: two 379 ms latencies on one worker's link, a guided mutation's
 * copy of a step, let a 2 s lease lapse that neither alone could). Directions are added too: a
 * round trip meets both. 0 for a step that does not delay.
 */
export function stackedDelayOf(n: NemesisEntry, steps: readonly NemesisEntry[], ends: ReadonlyMap<number, number>): number {
  if (delayOf(n) === 0) return 0;
  const endOf = (s: NemesisEntry) => ends.get(s.stepId) ?? Infinity;
  const mine = [n, ...steps.filter((s) => s !== n && s.target === n.target && delayOf(s) > 0 && s.t <= endOf(n) && endOf(s) >= n.t)];
  // the sum is largest at the start of one of them (within n's window): what is in place there
  let most = 0;
  for (const at of mine.map((s) => Math.max(s.t, n.t))) {
    const sum = mine.filter((s) => s.t <= at && endOf(s) >= at).reduce((total, s) => total + delayOf(s), 0);
    most = Math.max(most, sum);
  }
  return most;
}
