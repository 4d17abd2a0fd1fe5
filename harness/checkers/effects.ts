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
 * A step the harness measured rather than drew (harness/env/starvation.ts: a process starved of
 * CPU, read like a pause of it): it excuses what its effect excuses, and counts towards no
 * coverage goal.
 */
export const isMeasured = (n: NemesisEntry): boolean => n.detail?.measured === true;
