// Randomness on the run's seed: while a simulated run goes on, Math.random and node:crypto's
// random sources (randomUUID, randomFillSync, randomBytes, getRandomValues, and globalThis.crypto's)
// draw from a PRNG seeded by the run, as the clock is virtual. A library's own ids (Bull's and
// BullMQ's lock tokens from uuid, a jittered backoff) are then the same in every replay of a run.
// Keys and signatures are not made in a run: nothing here is fit for them.

import { createRequire } from 'node:module';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

type Crypto = typeof import('node:crypto');
/** the module object every importer of node:crypto shares (CommonJS and ESM default alike) */
const nodeCrypto = createRequire(import.meta.url)('node:crypto') as Crypto;
const webCrypto = globalThis.crypto;

const uuidOf = (b: Uint8Array): string => {
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** Installs seeded randomness; returns what puts the real sources back. */
export function seedEntropy(seed: number): () => void {
  const rng = xoroshiro128plus(seed);
  const random = () => uniformFloat64(rng);
  const fill = <T extends ArrayBufferView>(view: T, offset = 0, size?: number): T => {
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const end = size === undefined ? bytes.length : Math.min(bytes.length, offset + size);
    for (let i = offset; i < end; i++) bytes[i] = Math.floor(random() * 256);
    return view;
  };
  const saved = {
    mathRandom: Math.random,
    randomUUID: nodeCrypto.randomUUID,
    randomFillSync: nodeCrypto.randomFillSync,
    randomBytes: nodeCrypto.randomBytes,
    webRandomUUID: webCrypto.randomUUID,
    webGetRandomValues: webCrypto.getRandomValues,
  };
  const randomUUID = () => uuidOf(fill(new Uint8Array(16)));
  const randomBytes = (n: number, cb?: (err: Error | null, buf: Buffer) => void) => {
    const buf = fill(Buffer.alloc(n));
    if (cb) queueMicrotask(() => cb(null, buf));
    return buf;
  };
  const patch = (target: object, values: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(values)) Object.defineProperty(target, k, { value: v, writable: true, configurable: true });
  };
  // node:crypto's getRandomValues cannot be redefined: it hands on to globalThis.crypto's, patched below
  Math.random = random;
  patch(nodeCrypto, { randomUUID, randomFillSync: fill, randomBytes });
  patch(webCrypto, { randomUUID, getRandomValues: fill });
  return () => {
    Math.random = saved.mathRandom;
    patch(nodeCrypto, { randomUUID: saved.randomUUID, randomFillSync: saved.randomFillSync, randomBytes: saved.randomBytes });
    patch(webCrypto, { randomUUID: saved.webRandomUUID, getRandomValues: saved.webGetRandomValues });
  };
}
