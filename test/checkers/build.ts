// Small builders for hand-made histories. Times are explicit in every call so that a test
// reads as a timeline; stream ids default to "<t>-<n>" in call order.

import type {
  ClientEntry,
  History,
  JobState,
  JobView,
  NemesisEntry,
  Payload,
  ShapeEntry,
  SnapshotEntry,
  TaskView,
  TransitionEntry,
} from '../../harness/history/types.ts';

export function payload(output: string[], exitCode = 0): Payload {
  return { durationMs: 20, exitCode, output };
}

export function job(jobId: string, state: JobState, extra: Partial<JobView> = {}): JobView {
  return { jobId, state, attempt: 1, ...extra };
}

export function task(taskId: string, idempotencyKey: string | null, status: string, jobs: JobView[]): TaskView {
  return { taskId, status, idempotencyKey, jobs };
}

export interface SubmitOptions {
  t: number;
  /** null: sent without an Idempotency-Key (the invoke says keyless: true) */
  key: string | null;
  payloads: Payload[];
  outcome?: 'ok' | 'fail' | 'info' | 'none';
  taskId?: string;
  jobIds?: string[];
  okT?: number;
  process?: string;
}

export interface TransitionOptions {
  t: number;
  logId?: string;
  decision?: 'applied' | 'ignored';
  reason?: string;
  source?: string;
  sourceId?: string;
  attempt?: number;
  output?: string | null;
  exitCode?: number | null;
}

export class HistoryBuilder {
  readonly entries: History = [];
  private nextOpId = 1;
  private nextSeq = 0;

  submit(o: SubmitOptions): { invoke: ClientEntry; completion?: ClientEntry } {
    const process = o.process ?? 'client-1';
    const opId = this.nextOpId++;
    const invoke: ClientEntry = {
      kind: 'client',
      t: o.t,
      type: 'invoke',
      process,
      opId,
      f: 'submit',
      value: {
        ...(o.key === null ? { keyless: true } : { idempotencyKey: o.key }),
        description: `task ${o.key ?? 'without a key'}`,
        jobs: o.payloads.map((p, i) => ({ description: `job ${i}`, payload: p, timeoutMs: 30000 })),
      },
    };
    this.entries.push(invoke);
    const outcome = o.outcome ?? 'ok';
    if (outcome === 'none') return { invoke };
    const completion: ClientEntry = {
      kind: 'client',
      t: o.okT ?? o.t + 5,
      type: outcome,
      process,
      opId,
      f: 'submit',
      value: outcome === 'ok' ? { taskId: o.taskId, jobIds: o.jobIds } : { error: outcome === 'info' ? 'timeout' : 'connection refused' },
    };
    this.entries.push(completion);
    return { invoke, completion };
  }

  read(view: TaskView, t: number, okT = t + 2, process = 'client-2'): { invoke: ClientEntry; ok: ClientEntry } {
    const opId = this.nextOpId++;
    const invoke: ClientEntry = { kind: 'client', t, type: 'invoke', process, opId, f: 'read', value: { taskId: view.taskId } };
    const ok: ClientEntry = { kind: 'client', t: okT, type: 'ok', process, opId, f: 'read', value: view };
    this.entries.push(invoke, ok);
    return { invoke, ok };
  }

  transition(jobId: string, from: TransitionEntry['from'], to: TransitionEntry['to'], o: TransitionOptions): TransitionEntry {
    const e: TransitionEntry = {
      kind: 'transition',
      t: o.t,
      logId: o.logId ?? `${o.t}-${this.nextSeq++}`,
      jobId,
      eventId: `ev-${this.entries.length}`,
      type: to === 'none' ? 'running' : to,
      source: o.source ?? 'executor',
      sourceId: o.sourceId ?? 'worker-1',
      attempt: o.attempt ?? 1,
      from,
      to,
      decision: o.decision ?? 'applied',
      reason: o.reason ?? 'ok',
      keeper: 'keeper-1',
    };
    if (o.output !== undefined) e.output = o.output;
    if (o.exitCode !== undefined) e.exitCode = o.exitCode;
    this.entries.push(e);
    return e;
  }

  execution(jobId: string, attempt: number, t: number, executorId = 'worker-1'): void {
    this.entries.push({ kind: 'execution', t, jobId, attempt, executorId });
  }

  nemesis(t: number, type: 'start' | 'end', stepId: number, fault = 'kill', target = 'worker-1', extra: Partial<NemesisEntry> = {}): NemesisEntry {
    const e: NemesisEntry = { kind: 'nemesis', t, type, stepId, fault, target, ...extra };
    this.entries.push(e);
    return e;
  }

  snapshot(t: number, tasks: TaskView[], runningSet: string[] = [], runningInfo: string[] = []): SnapshotEntry {
    const e: SnapshotEntry = { kind: 'snapshot', t, tasks, runningSet, runningInfo };
    this.entries.push(e);
    return e;
  }

  build(): History {
    return this.entries;
  }
}

/**
 * A history's shape entry: front door, workers (each with its executor: `<id>-executor` as in the
 * reference system, or the worker itself when `inProcess`), keepers; links as the reference names
 * them (one per process, `executor` shared by the executors, `client` to the front door).
 */
export function shapeEntry(o: { frontDoor?: string; workers?: string[]; keepers?: string[]; inProcess?: boolean; simulated?: boolean; evidence?: ShapeEntry['evidence']; cancelWithinMs?: number; recoveryWithinMs?: number; leaseMs?: number } = {}): ShapeEntry {
  const frontDoor = o.frontDoor ?? 'orchestrator';
  const workers = o.workers ?? ['worker-1', 'worker-2'];
  const keepers = o.keepers ?? ['keeper-1'];
  const executor = (w: string) => (o.inProcess ? w : `${w}-executor`);
  return {
    kind: 'shape',
    t: 0,
    system: 'test',
    processes: [
      { id: frontDoor, role: 'front-door' },
      ...workers.map((id) => ({ id, role: 'worker' as const, executor: executor(id) })),
      ...keepers.map((id) => ({ id, role: 'keeper' as const })),
    ],
    links: [
      { name: frontDoor, carries: [frontDoor] },
      ...workers.map((w) => ({ name: w, carries: [w] })),
      ...(o.inProcess ? [] : [{ name: 'executor', carries: workers.map(executor) }]),
      ...keepers.map((k) => ({ name: k, carries: [k] })),
      { name: 'client', carries: [frontDoor] },
    ],
    evidence: o.evidence ?? { transitionLog: 'sut:translog', runningSet: 'sut:running', executionsLog: 'sut:executions' },
    clockMarginMs: o.simulated ? 0 : 100,
    ...(o.cancelWithinMs !== undefined ? { cancelWithinMs: o.cancelWithinMs } : {}),
    ...(o.recoveryWithinMs !== undefined ? { recoveryWithinMs: o.recoveryWithinMs } : {}),
    ...(o.leaseMs !== undefined ? { leaseMs: o.leaseMs } : {}),
  };
}

/**
 * A correct run: task T-1 (key k-1) with jobs J-1 (prints "hello") and J-2 (exits 3),
 * both processed to the end, read once midway and once at the end, then a snapshot.
 */
export function healthyRun(): HistoryBuilder {
  const h = new HistoryBuilder();
  h.submit({ t: 100, key: 'k-1', payloads: [payload(['hello']), payload(['oops'], 3)], taskId: 'T-1', jobIds: ['J-1', 'J-2'] });
  h.transition('J-1', 'queued', 'running', { t: 110, source: 'worker' });
  h.transition('J-1', 'running', 'running', { t: 111, decision: 'ignored', reason: 'duplicate' });
  h.read(task('T-1', 'k-1', 'running', [job('J-1', 'running'), job('J-2', 'queued')]), 115);
  h.transition('J-1', 'running', 'completed', { t: 130, output: 'hello\n', exitCode: 0 });
  h.transition('J-2', 'queued', 'running', { t: 131, source: 'worker', sourceId: 'worker-2' });
  h.transition('J-2', 'running', 'failed', { t: 150, sourceId: 'worker-2', exitCode: 3, output: 'oops\n' });
  const done = [
    job('J-1', 'completed', { exitCode: 0, output: 'hello\n', reason: null }),
    job('J-2', 'failed', { exitCode: 3, output: 'oops\n', reason: 'exit' }),
  ];
  h.read(task('T-1', 'k-1', 'failed', done), 160);
  h.snapshot(200, [task('T-1', 'k-1', 'failed', done)]);
  return h;
}
