import type { Environment } from '../env/environment.ts';

export type Direction = 'upstream' | 'downstream';

/** One fault, as data: a fast-check value, printable and replayable. */
export type Fault =
  | { kind: 'latency'; link: string; stream: Direction; latencyMs: number; jitterMs: number }
  | { kind: 'bandwidth'; link: string; stream: Direction; rateKBps: number }
  | { kind: 'slow_close'; link: string; stream: Direction; delayMs: number }
  | { kind: 'timeout'; link: string; stream: Direction; timeoutMs: number }
  | { kind: 'reset_peer'; link: string; stream: Direction; timeoutMs: number }
  | { kind: 'slicer'; link: string; stream: Direction; averageSize: number; sizeVariation: number; delayUs: number }
  | { kind: 'limit_data'; link: string; stream: Direction; bytes: number }
  | { kind: 'down'; link: string }
  | { kind: 'kill'; process: string }
  | { kind: 'kill-executor'; worker: string }
  | { kind: 'pause'; process: string }
  | { kind: 'restart'; process: string }
  | { kind: 'redis-restart' };

export type FaultKind = Fault['kind'];

/** A timed step of a schedule: inject at `atMs` after the run starts, heal `durationMs` later. */
export interface FaultStep {
  atMs: number;
  durationMs: number;
  fault: Fault;
}

export type Schedule = FaultStep[];

/** One fault kind: how to inject it and how to heal it (Toxiproxy style: one kind, one module). */
export interface FaultModule<F extends Fault = Fault> {
  inject(env: Environment, fault: F, stepId: number): Promise<void>;
  heal(env: Environment, fault: F, stepId: number): Promise<void>;
}

export function targetOf(fault: Fault): string {
  if ('link' in fault) return `link ${fault.link}`;
  if ('process' in fault) return fault.process;
  if ('worker' in fault) return `executor of ${fault.worker}`;
  return 'redis';
}

export function describeStep(step: FaultStep): string {
  const { fault } = step;
  const params = Object.entries(fault)
    .filter(([k]) => !['kind', 'link', 'process', 'worker'].includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `at ${step.atMs} ms for ${step.durationMs} ms: ${fault.kind} on ${targetOf(fault)}${params ? ` (${params})` : ''}`;
}
