// Every built-in fault kind declares what it does (its family and effect), recorded on each step's
// start entry for the checkers; and for a history written before they were recorded, the checkers'
// fallback gives each built-in kind the same, so an old and a new history are judged alike.
import { describe, expect, it } from 'vitest';
import { effectOf, familyOf, stackedDelayOf } from '../../harness/checkers/effects.ts';
import { BUILTIN_FAULT_KINDS } from '../../harness/nemesis/index.ts';
import type { NemesisEntry } from '../../harness/history/types.ts';

const entry = (fault: string, extra: Partial<NemesisEntry> = {}): NemesisEntry => ({ kind: 'nemesis', t: 0, type: 'start', stepId: 0, fault, target: 'x', ...extra });

describe('fault effects', () => {
  it('every built-in kind recorded as itself declares a family and an effect, and old histories read the same', () => {
    const recorded = BUILTIN_FAULT_KINDS.filter((k) => !k.recordedAs);
    expect(recorded.length).toBeGreaterThan(10);
    for (const k of recorded) {
      expect(k.family, k.kind).toBeDefined();
      expect(k.effect, k.kind).toBeDefined();
      expect(effectOf(entry(k.kind)), k.kind).toBe(k.effect);
      expect(familyOf(entry(k.kind)), k.kind).toBe(k.family);
    }
  });

  it('a recorded family or effect wins over the name; a kind of a config\'s own that declares none excuses nothing', () => {
    expect(effectOf(entry('kill', { family: 'process', effect: 'freezes' }))).toBe('freezes');
    expect(effectOf(entry('acme:flap'))).toBe('none');
    expect(familyOf(entry('acme:flap'))).toBeUndefined();
    // a history that recorded the family but not yet the effect: the built-in's effect
    expect(effectOf(entry('kill', { family: 'process' }))).toBe('ends');
    expect(effectOf(entry('acme:flap', { family: 'link' }))).toBe('none');
  });
});

describe('stackedDelayOf', () => {
  const step = (stepId: number, t: number, target: string, latencyMs: number, fault = 'latency'): NemesisEntry =>
    ({ kind: 'nemesis', stepId, t, type: 'start', fault, target, outcome: 'ok', family: 'link', effect: fault === 'latency' ? 'delays' : 'cuts', detail: { latencyMs, jitterMs: 10 } });
  it('adds the delays of toxics in place together on one link, at the moment most are, and nothing of other links, other times or other effects', () => {
    const a = step(0, 100, 'link worker-1', 300);
    const b = step(1, 200, 'link worker-1', 200);
    const c = step(2, 900, 'link worker-1', 500);
    const d = step(3, 150, 'link keeper-1', 1000);
    const e = step(4, 150, 'link worker-1', 0, 'down');
    const ends = new Map([[0, 800], [1, 1000], [2, 1200], [3, 800], [4, 800]]);
    const all = [a, b, c, d, e];
    // a and b together (310 + 210); c does not meet a
    expect(stackedDelayOf(a, all, ends)).toBe(520);
    // b meets a (at 200) and c (at 900), never both at once: the larger pair
    expect(stackedDelayOf(b, all, ends)).toBe(720);
    expect(stackedDelayOf(d, all, ends)).toBe(1010);
    expect(stackedDelayOf(e, all, ends)).toBe(0);
  });
});
