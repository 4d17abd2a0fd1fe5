import type { FaultModule, Fault } from './types.ts';

type ToxicFault = Extract<Fault, { kind: 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data' }>;

function attributes(f: ToxicFault): Record<string, number> {
  switch (f.kind) {
    case 'latency': return { latency: f.latencyMs, jitter: f.jitterMs };
    case 'bandwidth': return { rate: f.rateKBps };
    case 'slow_close': return { delay: f.delayMs };
    case 'timeout': return { timeout: f.timeoutMs };
    case 'reset_peer': return { timeout: f.timeoutMs };
    case 'slicer': return { average_size: f.averageSize, size_variation: f.sizeVariation, delay: f.delayUs };
    case 'limit_data': return { bytes: f.bytes };
  }
}

const toxicName = (f: ToxicFault, stepId: number) => `step-${stepId}-${f.kind}`;

/** Any Toxiproxy toxic on one link (live: through toxiproxy-node-client). */
export const linkToxic: FaultModule<ToxicFault> = {
  async inject(env, fault, stepId) {
    return env.linkControl(fault.link).addToxic({ name: toxicName(fault, stepId), type: fault.kind, stream: fault.stream, attributes: attributes(fault) });
  },
  async heal(env, fault, stepId) {
    await env.linkControl(fault.link).removeToxic(toxicName(fault, stepId));
  },
};
