// One linear pass over a history that groups what the checkers need: transitions per job
// in log order, client operations paired invoke → completion, the acknowledging submit of
// every job, the final snapshot. Checkers take it as an optional second argument so that
// `checkAll` builds it once for all of them.

import type {
  ClientEntry,
  ExecutionEntry,
  History,
  JobView,
  NemesisEntry,
  Payload,
  SnapshotEntry,
  TaskView,
  TransitionEntry,
} from '../history/types.ts';
import { payloadsOfSubmission } from './spec.ts';

/** A Redis stream id "ms-seq" as two numbers; undefined when it is not one. */
export function parseLogId(id: string): [number, number] | undefined {
  const dash = id.indexOf('-');
  if (dash <= 0) return undefined;
  const ms = Number(id.slice(0, dash));
  const seq = Number(id.slice(dash + 1));
  if (!Number.isSafeInteger(ms) || !Number.isSafeInteger(seq) || ms < 0 || seq < 0) return undefined;
  return [ms, seq];
}

/** Orders stream ids numerically by both parts ("9-0" < "10-0" < "10-1"), as Redis does. */
export function compareLogIds(a: string, b: string): number {
  const pa = parseLogId(a);
  const pb = parseLogId(b);
  if (pa && pb) return pa[0] - pb[0] || pa[1] - pb[1];
  if (pa) return -1; // malformed ids sort last, in string order
  if (pb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface SubmitOp {
  invoke: ClientEntry;
  /** ok / fail / info with the same process and opId; absent when the op never returned */
  completion?: ClientEntry;
  /** 'pending' (no completion) is indeterminate, like 'info' */
  outcome: 'ok' | 'fail' | 'info' | 'pending';
  idempotencyKey: string;
  /** payload of job i, in job order; undefined when the invoke's jobs are malformed */
  payloads?: Payload[];
  taskId?: string;
  jobIds?: string[];
}

export interface ReadOp {
  invoke?: ClientEntry;
  ok: ClientEntry;
  task: TaskView;
}

export interface JobOrigin {
  submit: SubmitOp;
  index: number;
}

export interface SnapshotJob {
  task: TaskView;
  job: JobView;
}

export interface Observations {
  /** every transition (applied and ignored) per job, in log order */
  transitionsByJob: Map<string, TransitionEntry[]>;
  /** applied transitions per job, in log order */
  appliedByJob: Map<string, TransitionEntry[]>;
  submits: SubmitOp[];
  /** every submit that sent this idempotency key, in history order */
  submitsByKey: Map<string, SubmitOp[]>;
  /** jobId → the first submit whose ok response listed it, and its position there */
  origins: Map<string, JobOrigin>;
  reads: ReadOp[];
  /** the last snapshot entry of the history */
  snapshot?: SnapshotEntry;
  /** jobId → its first appearance in the snapshot */
  snapshotJobs: Map<string, SnapshotJob>;
  executions: ExecutionEntry[];
  nemesis: NemesisEntry[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function isPayload(v: unknown): v is Payload {
  return isRecord(v) && typeof v.exitCode === 'number' && isStringArray(v.output);
}

/** A TaskView with at least the fields the checkers read; anything else is skipped. */
export function asTaskView(v: unknown): TaskView | undefined {
  if (!isRecord(v) || typeof v.taskId !== 'string' || typeof v.status !== 'string' || !Array.isArray(v.jobs)) {
    return undefined;
  }
  for (const j of v.jobs) {
    if (!isRecord(j) || typeof j.jobId !== 'string' || typeof j.state !== 'string') return undefined;
  }
  return v as unknown as TaskView;
}

function submitPayloads(value: Record<string, unknown>): Payload[] | undefined {
  const jobs = value.jobs;
  if (!Array.isArray(jobs)) return undefined;
  const description = typeof value.description === 'string' ? value.description : '';
  for (const j of jobs) if (!isRecord(j) || !isPayload(j.payload)) return undefined;
  return payloadsOfSubmission(description, jobs as { payload: Payload; description: string; timeoutMs: number }[]);
}

const opKey = (e: ClientEntry): string => `${e.process}\u0000${e.opId}`;

function sortByLog(list: TransitionEntry[]): void {
  for (let i = 1; i < list.length; i++) {
    if (compareLogIds(list[i - 1].logId, list[i].logId) > 0) {
      list.sort((a, b) => compareLogIds(a.logId, b.logId));
      return;
    }
  }
}

export function observe(history: History): Observations {
  const transitionsByJob = new Map<string, TransitionEntry[]>();
  const appliedByJob = new Map<string, TransitionEntry[]>();
  const invokes = new Map<string, ClientEntry>();
  const completions: ClientEntry[] = [];
  const executions: ExecutionEntry[] = [];
  const nemesis: NemesisEntry[] = [];
  let snapshot: SnapshotEntry | undefined;

  for (const e of history) {
    switch (e.kind) {
      case 'transition': {
        let all = transitionsByJob.get(e.jobId);
        if (!all) transitionsByJob.set(e.jobId, (all = []));
        all.push(e);
        if (e.decision === 'applied') {
          let applied = appliedByJob.get(e.jobId);
          if (!applied) appliedByJob.set(e.jobId, (applied = []));
          applied.push(e);
        }
        break;
      }
      case 'client':
        // Completions are paired in a second pass: the history need not be sorted by t.
        if (e.type === 'invoke') invokes.set(opKey(e), e);
        else completions.push(e);
        break;
      case 'execution':
        executions.push(e);
        break;
      case 'nemesis':
        nemesis.push(e);
        break;
      case 'snapshot':
        snapshot = e;
        break;
    }
  }
  for (const list of transitionsByJob.values()) sortByLog(list);
  for (const list of appliedByJob.values()) sortByLog(list);

  const submitByKey = new Map<string, SubmitOp>();
  const submits: SubmitOp[] = [];
  for (const inv of invokes.values()) {
    if (inv.f !== 'submit' || !isRecord(inv.value) || typeof inv.value.idempotencyKey !== 'string') continue;
    const op: SubmitOp = {
      invoke: inv,
      outcome: 'pending',
      idempotencyKey: inv.value.idempotencyKey,
      payloads: submitPayloads(inv.value),
    };
    submits.push(op);
    submitByKey.set(opKey(inv), op);
  }

  const reads: ReadOp[] = [];
  for (const c of completions) {
    if (c.f === 'submit') {
      const op = submitByKey.get(opKey(c));
      if (!op) continue;
      op.completion = c;
      op.outcome = c.type === 'invoke' ? 'pending' : c.type;
      if (c.type === 'ok' && isRecord(c.value) && typeof c.value.taskId === 'string' && isStringArray(c.value.jobIds)) {
        op.taskId = c.value.taskId;
        op.jobIds = c.value.jobIds;
      }
    } else if (c.f === 'read' && c.type === 'ok') {
      const task = asTaskView(c.value);
      if (!task) continue;
      const inv = invokes.get(opKey(c));
      reads.push({ invoke: inv?.f === 'read' ? inv : undefined, ok: c, task });
    }
  }

  const submitsByKey = new Map<string, SubmitOp[]>();
  const origins = new Map<string, JobOrigin>();
  for (const op of submits) {
    let same = submitsByKey.get(op.idempotencyKey);
    if (!same) submitsByKey.set(op.idempotencyKey, (same = []));
    same.push(op);
    if (op.jobIds) {
      op.jobIds.forEach((jobId, index) => {
        if (!origins.has(jobId)) origins.set(jobId, { submit: op, index });
      });
    }
  }

  const snapshotJobs = new Map<string, SnapshotJob>();
  if (snapshot) {
    for (const task of snapshot.tasks) {
      for (const job of task.jobs) if (!snapshotJobs.has(job.jobId)) snapshotJobs.set(job.jobId, { task, job });
    }
  }

  return { transitionsByJob, appliedByJob, submits, submitsByKey, origins, reads, snapshot, snapshotJobs, executions, nemesis };
}
