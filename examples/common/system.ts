// What the example library systems (bullmq, bull, bee-queue) share on the harness's side: their
// shape (a producer behind the client link, N workers, each process with its own link), how their
// processes are started (examples/<name>/<role>.ts under tsx), and the evidence their applications
// write themselves with the instrumentation kit: the execution log and the task records.
//
// They read library-native evidence (BullMQ's events stream, Bull's and bee-queue's pub/sub) with
// the harness's own readers, so they import its modules directly: a system of your own that only
// writes the kit's evidence needs none of this (kitSystem, see examples/node-resque/).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimLoader } from '../../harness/sim/embedding.ts';
import type { Redis } from 'ioredis';
import type { HistoryRecorder } from '../../harness/history/recorder.ts';
import type { ExecutionEntry, HistoryEntry, JobView, SnapshotEntry, TransitionEntry } from '../../harness/history/types.ts';
import type { ProcessSpec, Provides, Recording, StartContext, SystemModule, SystemShape } from '../../harness/systems/types.ts';
import { evidenceKeys } from '../../harness/instrument/index.ts';
import { libraryShape, snapshotOfTasks as snapshotOfRecordedTasks } from '../../harness/systems/library.ts';

// the evidence the applications write with the instrumentation kit, read under its default prefix
export { everyStartEnded, executionLogLength, readAppExecutions, readAppTasks } from '../../harness/systems/evidence.ts';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * What a queue library's application provides: jobs several at a time in one worker, and an
 * execution log of its own (app.ts). No keepers (the library decides a job's
 * state inside its own Redis scripts), no executor process (the worker runs the payload itself),
 * one event source (a worker reports through one connection), no consumer names (every start of
 * a worker is a new one already), no transition log with the state changed from, no running set,
 * no task status from its API, no planted bugs, no images; a simulated form where the application has one (`simulation`, examples/<dir>/sim.ts).
 */
export const LIBRARY_PROVIDES: Provides = { capabilities: ['concurrency'], evidence: ['executions-log'] };

/**
 * The installed version of a package (what the report names), '?' when it cannot be read: the
 * package.json of the copy this module resolves, wherever npm put it (the package's own
 * node_modules, or the project's that installed the package).
 */
export function packageVersion(pkg: string): string {
  try {
    let dir = path.dirname(createRequire(import.meta.url).resolve(pkg));
    for (;;) {
      try {
        const json = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
        if (json.name === pkg) return json.version;
      } catch {
        /* no package.json here: one folder up */
      }
      if (path.dirname(dir) === dir) return '?';
      dir = path.dirname(dir);
    }
  } catch {
    return '?';
  }
}

/**
 * A library system: its application in examples/<dir>/, the library shape and scenarios and
 * checkers, processes restarted every run (no `idle`); what differs is how its evidence is read.
 */
export function libraryModule(o: {
  name: string; pkg: string; dir: string; settings: string;
  record?: SystemModule['record']; readFinalState: SystemModule['readFinalState']; progress: SystemModule['progress']; quiescent: SystemModule['quiescent'];
  livenessBoundMs: NonNullable<SystemModule['livenessBoundMs']>;
  /** its simulated form (examples/<dir>/sim.ts), where it has one */
  simulation?: SimLoader;
}): SystemModule {
  return {
    name: o.name,
    label: `${o.pkg} ${packageVersion(o.pkg)}`,
    settings: o.settings,
    provides: o.simulation ? { ...LIBRARY_PROVIDES, capabilities: [...LIBRARY_PROVIDES.capabilities, 'simulation'] } : LIBRARY_PROVIDES,
    ...(o.simulation ? { simulation: o.simulation } : {}),
    evidence: { executionsLog: evidenceKeys().executions },
    shape: libraryShape,
    processes: (shape, ctx) => libraryProcesses(o.dir, shape, ctx),
    ...(o.record ? { record: o.record } : {}),
    readFinalState: o.readFinalState,
    progress: o.progress,
    quiescent: o.quiescent,
    livenessBoundMs: o.livenessBoundMs,
  };
}

/** `examples/<dir>/<role>.ts --id ID --redis-port P ...` under tsx, for the producer and every worker. */
export function libraryProcesses(dir: string, shape: SystemShape, ctx: StartContext): ProcessSpec[] {
  const script = (role: string) => [process.execPath, '--import', 'tsx', path.join(EXAMPLES, dir, `${role}.ts`)];
  const common = (id: string) => ['--id', id, '--redis-port', String(ctx.linkPort(id)), '--lease-ms', String(ctx.leaseMs)];
  return [
    { id: shape.frontDoor, role: 'producer', argv: [...script('producer'), ...common(shape.frontDoor), '--http-port', String(ctx.httpPort)] },
    ...shape.workers.map((id) => ({ id, role: 'worker', argv: [...script('worker'), ...common(id), ...(ctx.concurrency > 1 ? ['--concurrency', String(ctx.concurrency)] : [])] })),
  ];
}

/**
 * Listens to what a library only publishes (pub/sub: bee-queue's events, Bull's job channels) on
 * a connection of the harness's own, reconnecting within 20 ms. `patterns` are PSUBSCRIBE
 * patterns (a channel name is a pattern of itself); `parse` turns one message into a transition
 * stamped with this machine's clock (undefined: it moves no job; a throw: not the library's).
 * Pub/sub keeps nothing for a subscriber that is away: from the moment the connection drops (a
 * Redis restart) until it is subscribed again, what is published is lost; those intervals are
 * returned as gaps (the checkers then do not read a missing event as an unlogged write).
 */
export async function recordPublished(
  admin: Redis, history: HistoryRecorder, patterns: string[],
  parse: (channel: string, message: string, logId: string, t: number) => TransitionEntry | undefined,
): Promise<Recording> {
  const sub = admin.duplicate({ retryStrategy: () => 20, autoResubscribe: false });
  sub.on('error', () => undefined);
  const heard: TransitionEntry[] = [];
  const gaps: { from: number; to: number }[] = [];
  let downSince: number | undefined;
  let stopping = false;
  let seq = 0;
  sub.on('pmessage', (_pattern: string, channel: string, message: string) => {
    const now = Date.now();
    const logId = `${now}-${seq++}`;
    try {
      const e = parse(channel, message, logId, history.fromWall(now));
      if (e) heard.push(e);
    } catch {
      /* not the library's message */
    }
  });
  sub.on('close', () => {
    if (!stopping && downSince === undefined) downSince = history.now();
  });
  sub.on('ready', () => {
    if (downSince === undefined || stopping) return;
    // listening again once the PSUBSCRIBE is answered
    void sub.psubscribe(...patterns).then(() => {
      if (downSince !== undefined) gaps.push({ from: downSince, to: history.now() });
      downSince = undefined;
    }, () => undefined);
  });
  await sub.psubscribe(...patterns);
  return {
    async stop() {
      stopping = true;
      if (downSince !== undefined) gaps.push({ from: downSince, to: history.now() });
      await sub.punsubscribe().catch(() => undefined);
      sub.disconnect();
      return { transitions: heard, gaps };
    },
  };
}

// ---------------------------------------------------------------------------------------
// the final snapshot: the recorded tasks, and the tasks whose record was never written

/** A task as the front door recorded it (readAppTasks). */
export interface AppTaskRecord {
  taskId: string;
  idempotencyKey: string | null;
  jobIds: readonly string[];
}

/** A task of the final snapshot: the front door's record of it, or (`inferred`) the jobs the history can know it has when no record was written. */
export interface TaskToRead {
  taskId: string;
  idempotencyKey: string | null;
  jobIds: string[];
  /** no record of it was read: its job ids come from the history, and it is left out of the snapshot when the library has none of them */
  inferred?: true;
}

/** Job `i` of task T is `${T}-${i}` (PROTOCOL.md); a library application's task id is the submit's Idempotency-Key (examples/common/app.ts). */
const jobIdOf = (taskId: string, i: number): string => `${taskId}-${i}`;
/** The task id and index a job id names (`${taskId}-${i}`), or undefined when it names none. */
const JOB_ID = /^(.+)-(0|[1-9][0-9]*)$/;

/**
 * The tasks whose jobs the final snapshot looks up in the library. The front door records a task
 * only after the library has its jobs (examples/<library>/roles.ts, submit: add the jobs, then
 * saveTask), so a submit whose answer was lost (a fault on the client link or the producer's link)
 * may leave jobs in the library and no record: a reader that lists only the records would then
 * miss jobs that landed, where the reference system (one MULTI for the task and its jobs) shows
 * them. Besides every record (`records`), in their order, this names the jobs of each task the
 * history can know of that has no record:
 * - a submit's ok answer: its task id and job ids;
 * - a submit with an Idempotency-Key, whatever its outcome: the task id is the key, its jobs are
 *   the key's `${key}-${i}` for as many jobs as the most any submit with that key sent;
 * - a job id the system's own evidence names (`named`: the execution log, a library's event log or
 *   its own lists of jobs) that no task above lists: its task id is what `${taskId}-${i}` says, its
 *   jobs 0.. up to the highest index named, or the most jobs a keyless submit whose answer was lost
 *   sent (its task id was made up by the front door and never reached the client, so only the
 *   system's evidence can name it).
 * Those tasks are `inferred`; the snapshot keeps only the jobs the library has (snapshotOfTasks), so
 * a job that did not land is absent, as it is from the reference system's snapshot, and the
 * checkers judge a landed one as any other (recovered, owed a terminal state). A named job id
 * that names no task (no `-<index>` suffix) is left out: the checkers see a job the logs name and
 * the snapshot lacks.
 */
export function tasksToRead(records: readonly AppTaskRecord[], entries: readonly HistoryEntry[], named: Iterable<string> = []): TaskToRead[] {
  const out: TaskToRead[] = records.map((r) => ({ taskId: r.taskId, idempotencyKey: r.idempotencyKey, jobIds: [...r.jobIds] }));
  const known = new Set(out.map((t) => t.taskId));
  const listed = new Set(out.flatMap((t) => t.jobIds));
  const add = (taskId: string, idempotencyKey: string, jobIds: string[]): void => {
    if (known.has(taskId)) return;
    known.add(taskId);
    for (const id of jobIds) listed.add(id);
    out.push({ taskId, idempotencyKey, jobIds, inferred: true });
  };

  // the submits: each invoke with its completion (same process and opId)
  const invokes = new Map<string, { key?: string; keyless: boolean; jobs: number; answered: boolean }>();
  const oks: { key?: string; taskId: string; jobIds: string[] }[] = [];
  for (const e of entries) {
    if (e.kind !== 'client' || e.f !== 'submit') continue;
    const op = `${e.process}/${e.opId}`;
    const v = (e.value ?? {}) as { idempotencyKey?: unknown; keyless?: unknown; jobs?: unknown; taskId?: unknown; jobIds?: unknown };
    if (e.type === 'invoke') {
      invokes.set(op, {
        ...(typeof v.idempotencyKey === 'string' ? { key: v.idempotencyKey } : {}),
        keyless: v.keyless === true, jobs: Array.isArray(v.jobs) ? v.jobs.length : 0, answered: false,
      });
      continue;
    }
    const inv = invokes.get(op);
    if (inv && e.type !== 'info') inv.answered = true;
    if (e.type === 'ok' && typeof v.taskId === 'string' && Array.isArray(v.jobIds)) {
      oks.push({ ...(inv?.key !== undefined ? { key: inv.key } : {}), taskId: v.taskId, jobIds: v.jobIds.map(String) });
    }
  }
  for (const ok of oks) add(ok.taskId, ok.key ?? ok.taskId, ok.jobIds);
  const jobsOfKey = new Map<string, number>();
  let keylessLost = 0;
  for (const inv of invokes.values()) {
    if (inv.key !== undefined) jobsOfKey.set(inv.key, Math.max(jobsOfKey.get(inv.key) ?? 0, inv.jobs));
    else if (inv.keyless && !inv.answered) keylessLost = Math.max(keylessLost, inv.jobs);
  }
  for (const [k, n] of jobsOfKey) add(k, k, Array.from({ length: n }, (_, i) => jobIdOf(k, i)));

  // what only the system's own evidence names
  const highest = new Map<string, number>();
  for (const jobId of named) {
    if (listed.has(jobId)) continue;
    const m = JOB_ID.exec(jobId);
    if (!m || known.has(m[1]!)) continue;
    highest.set(m[1]!, Math.max(highest.get(m[1]!) ?? 0, Number(m[2])));
  }
  for (const [taskId, top] of highest) add(taskId, taskId, Array.from({ length: Math.max(top + 1, keylessLost) }, (_, i) => jobIdOf(taskId, i)));
  return out;
}

/**
 * The final snapshot of a library application's jobs: every task of `tasksToRead` with each of
 * its jobs as the library's own API shows it (`view`; harness/systems/library.ts snapshotOfTasks:
 * a job the library does not have is left out, one whose reading throws is unreadable). A task
 * with no record of which the library has no job and nothing was unreadable is left out (the
 * submit did not land, as the reference system's snapshot would show it). `named`: job ids the
 * system's evidence names beyond the execution log's (a library's own event log, its lists of jobs).
 */
export async function snapshotOfTasks(
  history: HistoryRecorder, records: readonly AppTaskRecord[], executions: readonly ExecutionEntry[],
  view: (jobId: string, attempt: number) => Promise<JobView | undefined>, keyOf: (jobId: string) => string, named: Iterable<string> = [],
): Promise<SnapshotEntry> {
  const tasks = tasksToRead(records, history.entries, [...executions.map((e) => e.jobId), ...named]);
  const snapshot = await snapshotOfRecordedTasks(history, tasks, executions, view, keyOf);
  return withoutUnlanded(snapshot, tasks);
}

/** The snapshot without the inferred tasks of which it holds no job and nothing was unreadable. */
export function withoutUnlanded(snapshot: SnapshotEntry, tasks: readonly TaskToRead[]): SnapshotEntry {
  const inferred = new Set(tasks.filter((t) => t.inferred).map((t) => t.taskId));
  const unread = new Set((snapshot.unreadable ?? []).map((u) => u.taskId));
  return { ...snapshot, tasks: snapshot.tasks.filter((t) => !inferred.has(t.taskId) || t.jobs.length > 0 || unread.has(t.taskId)) };
}
