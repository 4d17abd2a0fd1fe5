// One linear pass over a history that groups what the checkers need: one record per job
// (its transitions in log order, the submit that acknowledged it, its state in the final
// snapshot), client operations paired invoke → completion, the snapshot. Checkers take it
// as an optional second argument so that `checkAll` builds it once for all of them.
//
// Built for histories of a million entries: entries are dereferenced once, here; checkers
// walk the compact records, and a job id is hashed once per occurrence, here, not again
// in every checker.

import type {
  ClientEntry,
  ExecutionEntry,
  History,
  JobView,
  NemesisEntry,
  Payload,
  PayloadStartEntry,
  ShapeEntry,
  SnapshotEntry,
  TaskView,
  TransitionEntry,
} from '../history/types.ts';
import { JOB_STATES } from '../history/types.ts';
import { DEFAULT_TIMEOUT_MS, payloadsOfSubmission } from './spec.ts';

/** The decimal digits of s[from, to) as a number; NaN when empty or not all digits. */
function digits(s: string, from: number, to: number): number {
  if (to <= from) return NaN;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return Number.isSafeInteger(n) ? n : NaN;
}

/** A Redis stream id "ms-seq" as two numbers; undefined when it is not one. */
export function parseLogId(id: string): [number, number] | undefined {
  const dash = id.indexOf('-');
  const ms = digits(id, 0, dash);
  const seq = digits(id, dash + 1, id.length);
  return Number.isNaN(ms) || Number.isNaN(seq) ? undefined : [ms, seq];
}

/**
 * Orders stream ids numerically by both parts ("9-0" < "10-0" < "10-1"), as Redis does.
 * Allocation-free: it runs once per transition over histories of a million entries.
 */
export function compareLogIds(a: string, b: string): number {
  const da = a.indexOf('-');
  const db = b.indexOf('-');
  const msA = digits(a, 0, da);
  const msB = digits(b, 0, db);
  const seqA = digits(a, da + 1, a.length);
  const seqB = digits(b, db + 1, b.length);
  const okA = !Number.isNaN(msA) && !Number.isNaN(seqA);
  const okB = !Number.isNaN(msB) && !Number.isNaN(seqB);
  if (okA && okB) return msA - msB || seqA - seqB;
  if (okA) return -1; // malformed ids sort last, in string order
  if (okB) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One transition as the checkers read it: the scalars copied out of the entry once, into a
 * small object. Over a large history the entries lie scattered across the heap, and every
 * checker pass that dereferenced them again would pay a cache miss per transition.
 */
export interface Step {
  readonly entry: TransitionEntry;
  /** the logId's two parts; ms relative to the history's first transition, so it stays a small integer */
  readonly ms: number;
  readonly seq: number;
  readonly t: number;
  readonly attempt: number;
  /** canonical strings, so comparisons with literals are cheap */
  readonly from: string;
  readonly to: string;
  readonly applied: boolean;
  readonly staleTerminal: boolean;
}

const CANONICAL = new Map<string, string>(['none', ...JOB_STATES].map((s) => [s, s]));
const canonical = (s: string): string => CANONICAL.get(s) ?? s;

function stepOf(e: TransitionEntry, msBase: number): Step {
  const dash = e.logId.indexOf('-');
  const ms = digits(e.logId, 0, dash);
  const seq = digits(e.logId, dash + 1, e.logId.length);
  const malformed = Number.isNaN(ms) || Number.isNaN(seq);
  return {
    entry: e,
    // a malformed id sorts last (the history reader rejects them; hand-built ones may not)
    ms: malformed ? Infinity : ms - msBase,
    seq: malformed ? Infinity : seq,
    t: e.t,
    attempt: e.attempt,
    from: canonical(e.from),
    to: canonical(e.to),
    applied: e.decision === 'applied',
    staleTerminal: e.reason === 'stale-terminal',
  };
}

const byLog = (a: Step, b: Step): number => a.ms - b.ms || a.seq - b.seq || compareLogIds(a.entry.logId, b.entry.logId);

function sortByLog(steps: Step[]): void {
  for (let i = 1; i < steps.length; i++) {
    const a = steps[i - 1];
    const b = steps[i];
    if (a.ms > b.ms || (a.ms === b.ms && a.seq > b.seq)) {
      steps.sort(byLog);
      return;
    }
  }
}

export interface SubmitOp {
  invoke: ClientEntry;
  /** ok / fail / info with the same process and opId; absent when the op never returned */
  completion?: ClientEntry;
  /** 'pending' (no completion) is indeterminate, like 'info' */
  outcome: 'ok' | 'fail' | 'info' | 'pending';
  /** the Idempotency-Key it carried; undefined for a keyless submission (its invoke says `keyless: true`) */
  idempotencyKey: string | undefined;
  /** payload of job i, in job order; undefined when the invoke's jobs are malformed */
  payloads?: Payload[];
  /** timeoutMs of job i (PROTOCOL.md's default where the request named none), aligned with payloads */
  timeouts?: number[];
  taskId?: string;
  jobIds?: string[];
}

export interface ReadOp {
  invoke?: ClientEntry;
  ok: ClientEntry;
  task: TaskView;
  /** the record of task.jobs[i] */
  records: JobRecord[];
  /** the invoke's t; -Infinity when the invoke is missing (it could have been any time) */
  invokeT: number;
  okT: number;
}

export interface JobOrigin {
  submit: SubmitOp;
  index: number;
}

export interface SnapshotJob {
  task: TaskView;
  job: JobView;
}

/** Everything the history says about one job. */
export interface JobRecord {
  readonly jobId: string;
  /** position in Observations.jobs: checkers keep per-job state in arrays by this index */
  readonly index: number;
  /** every transition (applied and ignored), in log order */
  readonly steps: Step[];
  /** the first submit whose ok response listed this job, and the job's position there */
  origin: JobOrigin | undefined;
  /** the job's first appearance in the final snapshot, with its task */
  inSnapshot: SnapshotJob | undefined;
}

export interface Observations {
  /** every job seen anywhere (transitions, responses, reads, snapshot), first seen first */
  jobs: JobRecord[];
  jobsById: Map<string, JobRecord>;
  submits: SubmitOp[];
  /** every submit that sent this idempotency key, in invoke-time order */
  submitsByKey: Map<string, SubmitOp[]>;
  reads: ReadOp[];
  /** the last snapshot entry of the history that is not marked `first`: the final state every checker judges */
  snapshot?: SnapshotEntry;
  /** the snapshot taken once the system was quiet, before the final one (SnapshotEntry.first); absent in histories without one */
  firstSnapshot?: SnapshotEntry;
  /** snapshot jobs whose id the snapshot had already listed (record.inSnapshot is the first) */
  snapshotRepeats: SnapshotJob[];
  executions: ExecutionEntry[];
  /** payload starts the harness saw itself (PayloadStartEntry) */
  payloadStarts: PayloadStartEntry[];
  nemesis: NemesisEntry[];
  /** the system's shape (roles, executors, links, evidence names); absent in histories written before it was recorded */
  shape?: ShapeEntry;
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

function submitTimeouts(value: Record<string, unknown>): number[] | undefined {
  const jobs = value.jobs;
  if (!Array.isArray(jobs)) return undefined;
  if (jobs.length === 0) return [DEFAULT_TIMEOUT_MS];
  return jobs.map((j) => (isRecord(j) && typeof j.timeoutMs === 'number' ? j.timeoutMs : DEFAULT_TIMEOUT_MS));
}

/** The job records, first seen first, and the lookup that creates a job's record on first sight. */
class JobTable {
  readonly jobs: JobRecord[] = [];
  readonly byId = new Map<string, JobRecord>();

  recordOf(jobId: string): JobRecord {
    let r = this.byId.get(jobId);
    if (!r) {
      r = { jobId, index: this.jobs.length, steps: [], origin: undefined, inSnapshot: undefined };
      this.jobs.push(r);
      this.byId.set(jobId, r);
    }
    return r;
  }
}

/** process → opId → invoke (nested maps: no key string built per operation) */
type Invokes = Map<string, Map<number, ClientEntry>>;

const invokeOf = (invokes: Invokes, c: ClientEntry): ClientEntry | undefined => invokes.get(c.process)?.get(c.opId);

/** The history's entries sorted by kind, from one pass; transitions go straight into their job's record. */
interface Scan {
  invokes: Invokes;
  completions: ClientEntry[];
  executions: ExecutionEntry[];
  nemesis: NemesisEntry[];
  payloadStarts: PayloadStartEntry[];
  snapshot?: SnapshotEntry;
  firstSnapshot?: SnapshotEntry;
  shape?: ShapeEntry;
}

function addInvoke(invokes: Invokes, e: ClientEntry): void {
  let ops = invokes.get(e.process);
  if (!ops) invokes.set(e.process, (ops = new Map()));
  ops.set(e.opId, e);
}

/** The one linear pass over the history; each job's steps are then put in log order. */
function scan(history: History, table: JobTable): Scan {
  const s: Scan = { invokes: new Map(), completions: [], executions: [], nemesis: [], payloadStarts: [] };
  // Stream ids are epoch milliseconds; relative to the first one they fit a small integer
  // (a V8 Smi), which a Step then holds without boxing.
  let msBase = NaN;
  for (const e of history) {
    switch (e.kind) {
      case 'transition':
        if (Number.isNaN(msBase)) msBase = parseLogId(e.logId)?.[0] ?? NaN;
        table.recordOf(e.jobId).steps.push(stepOf(e, Number.isNaN(msBase) ? 0 : msBase));
        break;
      case 'client':
        // Completions are paired in a second pass: the history need not be sorted by t.
        if (e.type === 'invoke') addInvoke(s.invokes, e);
        else s.completions.push(e);
        break;
      case 'execution':
        s.executions.push(e);
        break;
      case 'nemesis':
        s.nemesis.push(e);
        break;
      case 'snapshot':
        // by its mark, not its place: a hand-made or unsorted history may list the two in any order
        if (e.first) s.firstSnapshot ??= e;
        else s.snapshot = e;
        break;
      case 'payload':
        s.payloadStarts.push(e);
        break;
      case 'shape':
        s.shape = e;
        break;
    }
  }
  for (const r of table.jobs) sortByLog(r.steps);
  return s;
}

/** One pending op per submit invoke that names an idempotency key or says it had none (keyless), in invoke-time order; `submitOf`: invoke → its op. */
function submitOps(invokes: Invokes): { submits: SubmitOp[]; submitOf: Map<ClientEntry, SubmitOp> } {
  const submitOf = new Map<ClientEntry, SubmitOp>();
  const submits: SubmitOp[] = [];
  for (const ops of invokes.values()) {
    for (const inv of ops.values()) {
      if (inv.f !== 'submit' || !isRecord(inv.value)) continue;
      const key = inv.value.idempotencyKey;
      if (typeof key !== 'string' && !(key === undefined && inv.value.keyless === true)) continue;
      const op: SubmitOp = {
        invoke: inv,
        outcome: 'pending',
        idempotencyKey: key,
        payloads: submitPayloads(inv.value),
        timeouts: submitTimeouts(inv.value),
      };
      submits.push(op);
      submitOf.set(inv, op);
    }
  }
  submits.sort((a, b) => a.invoke.t - b.invoke.t);
  return { submits, submitOf };
}

/** A submit's completion into its op: the outcome and, from an ok, the task and job ids. */
function completeSubmit(op: SubmitOp, c: ClientEntry): void {
  op.completion = c;
  op.outcome = c.type === 'invoke' ? 'pending' : c.type;
  if (c.type === 'ok' && isRecord(c.value) && typeof c.value.taskId === 'string' && isStringArray(c.value.jobIds)) {
    op.taskId = c.value.taskId;
    op.jobIds = c.value.jobIds;
  }
}

/** A read's ok with its invoke, when its value is a task; its jobs' records are created here. */
function readOp(c: ClientEntry, invokes: Invokes, table: JobTable): ReadOp | undefined {
  const task = asTaskView(c.value);
  if (!task) return undefined;
  const inv = invokeOf(invokes, c)?.f === 'read' ? invokeOf(invokes, c) : undefined;
  const records = task.jobs.map((j) => table.recordOf(j.jobId));
  return { invoke: inv, ok: c, task, records, invokeT: inv ? inv.t : -Infinity, okT: c.t };
}

/** Pairs each completion with its invoke: submits are completed, ok reads collected. */
function pairCompletions(s: Scan, submitOf: Map<ClientEntry, SubmitOp>, table: JobTable): ReadOp[] {
  const reads: ReadOp[] = [];
  for (const c of s.completions) {
    if (c.f === 'submit') {
      const inv = invokeOf(s.invokes, c);
      const op = inv && submitOf.get(inv);
      if (op) completeSubmit(op, c);
    } else if (c.f === 'read' && c.type === 'ok') {
      const read = readOp(c, s.invokes, table);
      if (read) reads.push(read);
    }
  }
  return reads;
}

/** The submits by idempotency key (keyless ones under none); each job listed by an ok gets its origin (the first submit that listed it). */
function indexSubmits(submits: SubmitOp[], table: JobTable): Map<string, SubmitOp[]> {
  const submitsByKey = new Map<string, SubmitOp[]>();
  for (const op of submits) {
    if (op.idempotencyKey !== undefined) {
      let same = submitsByKey.get(op.idempotencyKey);
      if (!same) submitsByKey.set(op.idempotencyKey, (same = []));
      same.push(op);
    }
    if (!op.jobIds) continue;
    for (let index = 0; index < op.jobIds.length; index++) {
      const r = table.recordOf(op.jobIds[index]);
      if (!r.origin) r.origin = { submit: op, index };
    }
  }
  return submitsByKey;
}

/** Each snapshot job into its record (the first listing); the jobs the snapshot lists again are returned. */
function placeSnapshot(snapshot: SnapshotEntry | undefined, table: JobTable): SnapshotJob[] {
  const snapshotRepeats: SnapshotJob[] = [];
  if (!snapshot) return snapshotRepeats;
  for (const task of snapshot.tasks) {
    for (const job of task.jobs) {
      const r = table.recordOf(job.jobId);
      if (!r.inSnapshot) r.inSnapshot = { task, job };
      else snapshotRepeats.push({ task, job });
    }
  }
  return snapshotRepeats;
}

export function observe(history: History): Observations {
  // the order of the steps is the order in which jobs are first seen (Observations.jobs)
  const table = new JobTable();
  const s = scan(history, table);
  const { submits, submitOf } = submitOps(s.invokes);
  const reads = pairCompletions(s, submitOf, table);
  const submitsByKey = indexSubmits(submits, table);
  const snapshotRepeats = placeSnapshot(s.snapshot, table);
  const { snapshot, firstSnapshot, shape, executions, payloadStarts, nemesis } = s;
  const { jobs, byId: jobsById } = table;
  return { jobs, jobsById, submits, submitsByKey, reads, snapshot, snapshotRepeats, executions, payloadStarts, nemesis, ...(shape ? { shape } : {}), ...(firstSnapshot ? { firstSnapshot } : {}) };
}
