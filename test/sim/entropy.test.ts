// Seeded randomness during a simulated run (harness/sim/entropy.ts): Math.random and node:crypto's
// random sources give the same values for the same seed, other values for another seed, and the
// real sources are back once the run's seeding is undone.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seedEntropy } from '../../harness/sim/entropy.ts';

const draw = () => [Math.random(), crypto.randomUUID(), crypto.randomBytes(8).toString('hex'), crypto.randomFillSync(Buffer.alloc(4)).toString('hex'), globalThis.crypto.getRandomValues(new Uint8Array(4)).join(','), crypto.getRandomValues(new Uint8Array(4)).join(',')];

function drawSeeded(seed: number) {
  const undo = seedEntropy(seed);
  try {
    return draw();
  } finally {
    undo();
  }
}

describe('seeded entropy', () => {
  it('repeats every source for one seed and differs for another', () => {
    const a = drawSeeded(123456789);
    expect(drawSeeded(123456789)).toEqual(a);
    const b = drawSeeded(987654321);
    for (let i = 0; i < a.length; i++) expect(b[i]).not.toEqual(a[i]);
    expect(a[1]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('puts the real sources back', () => {
    const original = [Math.random, crypto.randomUUID, crypto.randomBytes, crypto.randomFillSync, globalThis.crypto.getRandomValues];
    drawSeeded(5);
    expect([Math.random, crypto.randomUUID, crypto.randomBytes, crypto.randomFillSync, globalThis.crypto.getRandomValues]).toEqual(original);
    // real randomness again: two draws differ
    expect(crypto.randomUUID()).not.toBe(crypto.randomUUID());
  });
});
