// Who is who in a run: each process's role, each worker's executor, what each link carries, and
// what a fault step hit, read from the history's shape entry (ShapeEntry), never from names.
// Histories written before the shape entry existed name their parts as the reference system does
// (PROTOCOL.md "Processes"); for those alone the roles are inferred from that convention.

import type { History, NemesisEntry, ProcessRole, ShapeEntry } from '../history/types.ts';
import { familyOf } from './effects.ts';

/** What a fault step hit, as roles. */
export type Hit =
  | { kind: 'redis' }
  /** a process (kill, pause, restart): its role; a worker's executor and payload go with it */
  | { kind: 'process'; id: string; role: ProcessRole | undefined }
  /** a worker's executor (kill-executor): the worker keeps running */
  | { kind: 'executor'; worker: string }
  /** a link: the ids (processes and executors) whose traffic it carries */
  | { kind: 'link'; link: string; carries: readonly string[] };

export interface Roles {
  readonly shape: ShapeEntry | undefined;
  readonly clockMarginMs: number;
  /** the run's lease (absent in histories written before it was recorded) */
  readonly leaseMs: number | undefined;
  readonly evidence: ShapeEntry['evidence'];
  role(id: string): ProcessRole | undefined;
  readonly workers: readonly string[];
  /** the worker whose executor (or itself) has this id: an executorId or an event's sourceId */
  workerOf(id: string): string | undefined;
  executorOf(worker: string): string;
  /** the ids a link carries */
  carries(link: string): readonly string[];
  /** what a nemesis step hit */
  hit(n: NemesisEntry): Hit;
}

/** The live harness's margin for a client's clock against Redis's stream ids (histories without a shape entry). */
export const LIVE_CLOCK_MARGIN_MS = 100;

export function rolesOf(history: History | { shape?: ShapeEntry }): Roles {
  const shape = Array.isArray(history) ? (history.find((e) => e.kind === 'shape') as ShapeEntry | undefined) : (history as { shape?: ShapeEntry }).shape;
  return shape ? fromShape(shape) : byConvention();
}

function fromShape(shape: ShapeEntry): Roles {
  const roleOf = new Map(shape.processes.map((p) => [p.id, p.role]));
  const executorOf = new Map(shape.processes.filter((p) => p.role === 'worker').map((p) => [p.id, p.executor ?? p.id]));
  const workerOf = new Map<string, string>();
  for (const [w, x] of executorOf) {
    workerOf.set(w, w);
    workerOf.set(x, w);
  }
  const carries = new Map(shape.links.map((l) => [l.name, l.carries]));
  return {
    shape,
    clockMarginMs: shape.clockMarginMs,
    leaseMs: shape.leaseMs,
    evidence: shape.evidence,
    role: (id) => roleOf.get(id),
    workers: [...executorOf.keys()],
    workerOf: (id) => workerOf.get(id),
    executorOf: (w) => executorOf.get(w) ?? w,
    carries: (link) => carries.get(link) ?? [],
    hit: (n) => hitOf(n, (id) => roleOf.get(id), (link) => carries.get(link) ?? []),
  };
}

/** PROTOCOL.md's names: orchestrator (behind `client`), worker-N with executor worker-N-executor on the shared `executor` link, keeper-N. */
function byConvention(): Roles {
  const role = (id: string): ProcessRole | undefined =>
    id === 'orchestrator' ? 'front-door' : id.startsWith('keeper') ? 'keeper' : id.startsWith('worker') && !id.endsWith('-executor') ? 'worker' : undefined;
  const workerOf = (id: string): string | undefined => {
    const w = id.endsWith('-executor') ? id.slice(0, -'-executor'.length) : id;
    return role(w) === 'worker' ? w : undefined;
  };
  const carries = (link: string): readonly string[] =>
    link === 'client' ? ['orchestrator'] : link === 'executor' ? ['*-executor'] : [link];
  return {
    shape: undefined,
    clockMarginMs: LIVE_CLOCK_MARGIN_MS,
    leaseMs: undefined,
    evidence: { transitionLog: 'sut:translog', runningSet: 'sut:running', executionsLog: 'sut:executions' },
    role,
    workers: [],
    workerOf,
    executorOf: (w) => `${w}-executor`,
    carries,
    hit: (n) => hitOf(n, role, carries),
  };
}

function hitOf(n: NemesisEntry, role: (id: string) => ProcessRole | undefined, carries: (link: string) => readonly string[]): Hit {
  const d = n.detail ?? {};
  if (familyOf(n) === 'redis') return { kind: 'redis' };
  // a step that names a worker and no process strikes that worker's executor (kill-executor, a
  // crash point's executor kill, a config's kind that does the same); no checker names a kind
  if (typeof d.worker === 'string' && typeof d.process !== 'string') return { kind: 'executor', worker: d.worker };
  if (typeof d.process !== 'string' && n.target.startsWith('executor of ')) return { kind: 'executor', worker: n.target.slice('executor of '.length) };
  if (typeof d.process === 'string') return { kind: 'process', id: d.process, role: role(d.process) };
  const link = typeof d.link === 'string' ? d.link : n.target.replace(/^link /, '');
  return { kind: 'link', link, carries: carries(link) };
}

/** Whether a hit reached one of these workers: its process, its executor, or a link that carries either (a Redis restart is no hit on a worker). */
export function hitsWorkers(hit: Hit, workers: readonly string[], roles: Roles): boolean {
  switch (hit.kind) {
    case 'redis':
      return false;
    case 'process':
      return workers.includes(hit.id);
    case 'executor':
      return workers.includes(hit.worker);
    case 'link':
      return workers.some((w) => linkCarries(hit.carries, w) || linkCarries(hit.carries, roles.executorOf(w)));
  }
}

/** Whether a link that carries `carried` carries `id` (the convention's `*-executor` stands for every executor). */
export function linkCarries(carried: readonly string[], id: string): boolean {
  return carried.some((c) => c === id || (c === '*-executor' && id.endsWith('-executor')));
}
