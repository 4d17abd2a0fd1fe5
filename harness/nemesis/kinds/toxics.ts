// The seven Toxiproxy toxics on one link, one table: each a fault kind of its own (its kind is the
// toxic's type), with its parameters' arbitraries, the toxic's attributes, and how long it may hold
// a message. Each step adds its own named toxic and removes only that one, so toxics on one link
// nest (they hold no resource).
import fc from 'fast-check';
import type { Direction } from '../types.ts';
import type { FaultEffect } from '../../history/types.ts';
import { COLOURS, type BuiltinKindModule } from './shared.ts';

export type LatencyFault = { kind: 'latency'; link: string; stream: Direction; latencyMs: number; jitterMs: number };
export type BandwidthFault = { kind: 'bandwidth'; link: string; stream: Direction; rateKBps: number };
export type SlowCloseFault = { kind: 'slow_close'; link: string; stream: Direction; delayMs: number };
export type TimeoutFault = { kind: 'timeout'; link: string; stream: Direction; timeoutMs: number };
export type ResetPeerFault = { kind: 'reset_peer'; link: string; stream: Direction; timeoutMs: number };
export type SlicerFault = { kind: 'slicer'; link: string; stream: Direction; averageSize: number; sizeVariation: number; delayUs: number };
export type LimitDataFault = { kind: 'limit_data'; link: string; stream: Direction; bytes: number };
export type ToxicFault = LatencyFault | BandwidthFault | SlowCloseFault | TimeoutFault | ResetPeerFault | SlicerFault | LimitDataFault;

/** What one toxic says: the rest is the same for all seven (toxicKind). */
interface ToxicSpec<F extends ToxicFault> {
  kind: F['kind'];
  summary: string;
  /** its parameters' arbitraries, in the order they are drawn (after kind, link and stream) */
  params: { [K in Exclude<keyof F, 'kind' | 'link' | 'stream'>]: fc.Arbitrary<F[K]> };
  /** the toxic's attributes in Toxiproxy's API */
  attributes(fault: F): Record<string, number>;
  /** the longest it holds one message; absent: it cuts, and delays nothing (what it held is gone) */
  maxDelayMs?(fault: F, messageBytes: number): number;
  /** what it does to a command in flight, for the checkers (FaultEffect) */
  effect: FaultEffect;
}

const direction: fc.Arbitrary<Direction> = fc.constantFrom('upstream', 'downstream');
const toxicName = (f: ToxicFault, stepId: number) => `step-${stepId}-${f.kind}`;

/** A toxic as a fault kind: live through toxiproxy-node-client, in simulation through the simulated Toxiproxy. */
function toxicKind<F extends ToxicFault>(spec: ToxicSpec<F>): BuiltinKindModule<F> {
  return {
    kind: spec.kind,
    summary: spec.summary,
    family: 'link',
    effect: spec.effect,
    colour: COLOURS.toxic,
    target: (f) => `link ${f.link}`,
    arbitrary: (t) => fc.record({ kind: fc.constant(spec.kind), link: fc.constantFrom(...t.links), stream: direction, ...spec.params }) as unknown as fc.Arbitrary<F>,
    ...(spec.maxDelayMs ? { maxDelayMs: spec.maxDelayMs } : {}),
    // `{ empty }` when this environment has no form of the toxic
    async inject(env, fault, stepId) {
      return env.linkControl(fault.link).addToxic({ name: toxicName(fault, stepId), type: fault.kind, stream: fault.stream, attributes: spec.attributes(fault) });
    },
    async heal(env, fault, stepId) {
      await env.linkControl(fault.link).removeToxic(toxicName(fault, stepId));
    },
  };
}

export const latency = toxicKind<LatencyFault>({
  kind: 'latency', effect: 'delays', summary: 'every message on the link delayed by latencyMs ± jitterMs',
  params: { latencyMs: fc.integer({ min: 10, max: 1000 }), jitterMs: fc.integer({ min: 0, max: 200 }) },
  attributes: (f) => ({ latency: f.latencyMs, jitter: f.jitterMs }),
  maxDelayMs: (f) => f.latencyMs + f.jitterMs,
});

export const bandwidth = toxicKind<BandwidthFault>({
  kind: 'bandwidth', effect: 'stalls', summary: 'the link limited to rateKBps',
  params: { rateKBps: fc.integer({ min: 1, max: 100 }) },
  attributes: (f) => ({ rate: f.rateKBps }),
  maxDelayMs: (f, bytes) => (bytes / 1024 / Math.max(1, f.rateKBps)) * 1000,
});

export const slowClose = toxicKind<SlowCloseFault>({
  kind: 'slow_close', effect: 'none', summary: 'a connection closed delayMs late',
  params: { delayMs: fc.integer({ min: 10, max: 1000 }) },
  attributes: (f) => ({ delay: f.delayMs }),
  maxDelayMs: (f) => f.delayMs,
});

export const timeout = toxicKind<TimeoutFault>({
  kind: 'timeout', effect: 'cuts', summary: 'the link stops passing data, and closes the connection after timeoutMs (0: never)',
  params: { timeoutMs: fc.integer({ min: 0, max: 1000 }) },
  attributes: (f) => ({ timeout: f.timeoutMs }),
});

export const resetPeer = toxicKind<ResetPeerFault>({
  kind: 'reset_peer', effect: 'cuts', summary: 'connections reset (TCP RST) after timeoutMs',
  params: { timeoutMs: fc.integer({ min: 0, max: 500 }) },
  attributes: (f) => ({ timeout: f.timeoutMs }),
});

export const slicer = toxicKind<SlicerFault>({
  kind: 'slicer', effect: 'none', summary: 'messages cut into slices of averageSize bytes, delayUs apart',
  params: { averageSize: fc.integer({ min: 1, max: 64 }), sizeVariation: fc.integer({ min: 0, max: 0 }), delayUs: fc.integer({ min: 0, max: 5000 }) },
  attributes: (f) => ({ average_size: f.averageSize, size_variation: f.sizeVariation, delay: f.delayUs }),
  maxDelayMs: (f, bytes) => (Math.ceil(bytes / Math.max(1, f.averageSize)) * f.delayUs) / 1000,
});

export const limitData = toxicKind<LimitDataFault>({
  kind: 'limit_data', effect: 'cuts', summary: 'connections closed after bytes bytes',
  params: { bytes: fc.integer({ min: 1, max: 4096 }) },
  attributes: (f) => ({ bytes: f.bytes }),
});
