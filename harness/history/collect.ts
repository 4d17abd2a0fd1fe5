import type { Redis } from 'ioredis';
import { oneLine } from '../text/oneLine.ts';
import type { HistoryRecorder } from './recorder.ts';
import { JOB_STATES, type EventQueueView, type ExecutionEntry, type JobState, type JobView, type Malformed, type Orphan, type SnapshotEntry, type TaskView, type TransitionEntry, type Unreadable } from './types.ts';

// The harness reads what the SUT logged (PROTOCOL.md: sut:translog, sut:executions) and places
// it on the run's timeline by the stream ids' milliseconds. The final state is read the same
// way, over the harness's own connection: never through the system's API or a faulted link.

type StreamEntry = [id: string, fields: string[]];

/** A flat Redis reply [name, value, name, value, ...] as a record. */
export function fieldsOf<T>(raw: readonly T[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) out[String(raw[i])] = raw[i + 1]!;
  return out;
}

async function readStream(redis: Redis, key: string): Promise<StreamEntry[]> {
  const all: StreamEntry[] = [];
  let start = '-';
  for (;;) {
    const batch = (await redis.xrange(key, start, '+', 'COUNT', 5000)) as StreamEntry[];
    all.push(...batch);
    if (batch.length < 5000) return all;
    start = '(' + batch[batch.length - 1][0];
  }
}

const num = (s: string | undefined): number | null => (s === undefined || s === '' ? null : Number(s));

/** A transition log (the reference system's `sut:translog`, or the instrumentation kit's `<prefix>transitions`). */
export async function readTransitions(redis: Redis, history: HistoryRecorder, key = 'sut:translog'): Promise<TransitionEntry[]> {
  return (await readStream(redis, key)).map(([id, raw]) => transitionOf(id, raw, history));
}

function transitionOf(id: string, raw: string[], history: HistoryRecorder): TransitionEntry {
  const f = fieldsOf(raw);
  return {
    kind: 'transition',
    t: history.fromWall(Number(id.split('-')[0])),
    logId: id,
    jobId: f.jobId,
    eventId: f.eventId ?? '',
    type: f.type,
    source: f.source ?? '',
    sourceId: f.sourceId ?? '',
    attempt: Number(f.attempt ?? 0),
    from: (f.from || 'none') as JobState | 'none',
    to: (f.to || 'none') as JobState | 'none',
    decision: f.decision === 'applied' ? 'applied' : 'ignored',
    reason: f.reason ?? '',
    keeper: f.keeper ?? '',
    exitCode: num(f.exitCode),
    output: f.output ?? null,
  };
}

export async function readExecutions(redis: Redis, history: HistoryRecorder): Promise<ExecutionEntry[]> {
  return (await readStream(redis, 'sut:executions')).map(([id, raw]) => executionOf(id, raw, history));
}

function executionOf(id: string, raw: string[], history: HistoryRecorder): ExecutionEntry {
  const f = fieldsOf(raw);
  return { kind: 'execution', t: history.fromWall(Number(id.split('-')[0])), jobId: f.jobId, attempt: Number(f.attempt), executorId: f.executorId ?? '' };
}

export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** The SUT's logs and a snapshot of its state, all from one consistent cut. */
export interface FinalState {
  transitions: TransitionEntry[];
  executions: ExecutionEntry[];
  snapshot: SnapshotEntry;
}

const TASK_PREFIX = 'sut:task:';
const JOB_PREFIX = 'sut:job:';
const RUNNING_INFO_PREFIX = 'sut:running:';
const isJobState = (s: string): s is JobState => (JOB_STATES as readonly string[]).includes(s);

/**
 * Reads the final state over the harness's own connection: every task and job hash, the
 * running set and its per-job keys, the transition log and the executions log, in one MULTI
 * (after a SCAN for the key names), so the snapshot and the logs describe the same instant. A
 * failed attempt is retried; a key that cannot be read is listed as unreadable, never dropped;
 * when nothing can be read the snapshot says so (key '*'). A key that was read but breaks the
 * protocol is listed as malformed (a violation, not a gap), and a job hash no task lists as an orphan.
 */
export function readFinalState(redis: Redis, history: HistoryRecorder, attempts = 3): Promise<FinalState> {
  return retryingCut(() => readCut(redis, history), history, attempts);
}

/** One read of a final state, retried (backing off) when it throws; when no attempt succeeds, a snapshot that says nothing could be read (key '*'). */
export async function retryingCut(read: () => Promise<FinalState>, history: HistoryRecorder, attempts = 3): Promise<FinalState> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await read();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 200 * (i + 1)));
    }
  }
  const unreadable: Unreadable[] = [{ key: '*', error: oneLine(last) }];
  return { transitions: [], executions: [], snapshot: { kind: 'snapshot', t: history.now(), tasks: [], runningSet: [], runningInfo: [], unreadable } };
}

type Reply = [Error | null, unknown];

/** the reference system's events stream and its keepers' group (PROTOCOL.md) */
const EVENTS = 'sut:events';
const KEEPERS = 'keepers';
/** more pending events than a run ever has */
const PENDING_READ = 1_000_000;

/**
 * The events queue from its three replies (XRANGE, XINFO GROUPS, XPENDING): absent when the
 * stream does not exist; a group not (yet, or no longer) there has delivered nothing. An XRANGE
 * that failed is unreadable, as is a group whose delivery could not be read.
 */
function eventQueueOf([rangeErr, range]: Reply, [groupsErr, groups]: Reply, [pendingErr, pending]: Reply, unreadable: Unreadable[]): EventQueueView | undefined {
  if (rangeErr) {
    unreadable.push({ key: EVENTS, error: oneLine(rangeErr) });
    return undefined;
  }
  const entries = range as StreamEntry[];
  if (entries.length === 0) return undefined;
  const group = groupsErr ? undefined : (groups as unknown[][]).map((g) => fieldsOf(g)).find((g) => String(g.name) === KEEPERS);
  if (!group) return { entries: entries.map(eventOf), lastDeliveredId: '0-0', pending: [] };
  if (pendingErr) {
    unreadable.push({ key: EVENTS, error: oneLine(pendingErr) });
    return undefined;
  }
  const held = (pending as unknown[][]).map(([id, consumer, idle, deliveries]) => ({ id: String(id), consumer: String(consumer), idleMs: Number(idle), deliveries: Number(deliveries) }));
  return { entries: entries.map(eventOf), lastDeliveredId: String(group['last-delivered-id']), pending: held };
}

function eventOf([id, raw]: StreamEntry): EventQueueView['entries'][number] {
  const f = fieldsOf(raw);
  return { id, jobId: f.jobId ?? '', type: f.type ?? '', source: f.source ?? '', sourceId: f.sourceId ?? '' };
}

async function readCut(redis: Redis, history: HistoryRecorder): Promise<FinalState> {
  const [taskKeys, jobKeys, infoKeys] = [await scanKeys(redis, `${TASK_PREFIX}*`), await scanKeys(redis, `${JOB_PREFIX}*`), await scanKeys(redis, `${RUNNING_INFO_PREFIX}*`)];
  const multi = redis.multi();
  for (const k of taskKeys) multi.hgetall(k);
  for (const k of jobKeys) multi.hgetall(k);
  for (const k of infoKeys) multi.exists(k);
  multi.smembers('sut:running').xrange('sut:translog', '-', '+').xrange('sut:executions', '-', '+');
  // the events queue in the same cut as the transition log: an event the keepers' group let go of is decided in it
  multi.xrange(EVENTS, '-', '+').xinfo('GROUPS', EVENTS).xpending(EVENTS, KEEPERS, '-', '+', PENDING_READ);
  const replies = (await multi.exec()) as Reply[] | null;
  if (!replies) throw new Error('MULTI aborted');
  const t = history.now();
  const unreadable: Unreadable[] = [];
  const malformed: Malformed[] = [];
  let at = 0;
  const next = (): Reply => replies[at++]!;

  const taskHashes = taskKeys.map((key) => ({ key, reply: next() }));
  const jobs = new Map<string, JobView>();
  // every job hash read (well-formed or not): the ones no task lists are orphans
  const jobHashes = new Map<string, Orphan>();
  for (const key of jobKeys) {
    const [err, value] = next();
    const jobId = key.slice(JOB_PREFIX.length);
    if (err) {
      unreadable.push({ key, jobId, error: oneLine(err) });
      continue;
    }
    const h = value as Record<string, string>;
    if (Object.keys(h).length === 0) continue; // gone since the SCAN
    jobHashes.set(jobId, { key, jobId, ...(h.taskId ? { taskId: h.taskId } : {}), state: h.state ?? '' });
    if (!isJobState(h.state ?? '')) {
      // read fine, but outside the protocol: evidence against the system, not a gap in the cut
      malformed.push({ key, jobId, ...(h.taskId ? { taskId: h.taskId } : {}), problem: `state ${JSON.stringify(h.state ?? null)} is not a job state` });
      continue;
    }
    const terminal = h.state === 'completed' || h.state === 'failed' || h.state === 'cancelled';
    jobs.set(jobId, {
      jobId,
      state: h.state as JobState,
      attempt: Number(h.attempt || 0),
      exitCode: num(h.exitCode),
      // PROTOCOL.md: output is a string once the job is terminal, null before
      output: terminal ? (h.output ?? '') : null,
      reason: h.reason ? h.reason : null,
      // how long the payload ran, once the job is terminal (null when the system recorded none, as for a cancel of a queued job)
      ...(terminal ? { durationMs: num(h.durationMs) } : {}),
    });
  }
  const runningInfo: string[] = [];
  for (const key of infoKeys) {
    const [err, value] = next();
    if (err) unreadable.push({ key, jobId: key.slice(RUNNING_INFO_PREFIX.length), error: oneLine(err) });
    else if (Number(value) > 0) runningInfo.push(key.slice(RUNNING_INFO_PREFIX.length));
  }
  const [setErr, runningSet] = next();
  if (setErr) unreadable.push({ key: 'sut:running', error: oneLine(setErr) });
  const [logErr, log] = next();
  if (logErr) unreadable.push({ key: 'sut:translog', error: oneLine(logErr) });
  const [execErr, execs] = next();
  if (execErr) unreadable.push({ key: 'sut:executions', error: oneLine(execErr) });
  const eventQueue = eventQueueOf(next(), next(), next(), unreadable);

  const tasks: TaskView[] = [];
  const listed = new Set<string>();
  const malformedTasks = new Set<string>();
  for (const { key, reply: [err, value] } of taskHashes) {
    const taskId = key.slice(TASK_PREFIX.length);
    if (err) {
      unreadable.push({ key, taskId, error: oneLine(err) });
      continue;
    }
    const h = value as Record<string, string>;
    if (Object.keys(h).length === 0) continue;
    let jobIds: unknown;
    try {
      jobIds = JSON.parse(h.jobIds ?? '');
    } catch {
      /* reported below */
    }
    if (!Array.isArray(jobIds) || !jobIds.every((j) => typeof j === 'string')) {
      malformed.push({ key, taskId, problem: `jobIds ${JSON.stringify(h.jobIds ?? null)} is not a JSON array of job ids` });
      malformedTasks.add(taskId);
      continue;
    }
    for (const id of jobIds as string[]) listed.add(id);
    // a job the task lists without a job hash is left out: the checkers see it missing
    const views = (jobIds as string[]).flatMap((id) => jobs.get(id) ?? []);
    tasks.push({ taskId: h.id || taskId, idempotencyKey: h.idempotencyKey ? h.idempotencyKey : null, jobs: views });
  }

  // A task whose list is malformed or unread may list a job: a job hash that claims such a task
  // (or claims none while such a task exists) cannot be called an orphan.
  const unlisted = new Set([...malformedTasks, ...unreadable.flatMap((u) => (u.taskId !== undefined && u.jobId === undefined ? [u.taskId] : []))]);
  const mayBeListed = (o: Orphan): boolean => listed.has(o.jobId) || (o.taskId === undefined ? unlisted.size > 0 : unlisted.has(o.taskId));
  const orphans = [...jobHashes.values()].filter((o) => !mayBeListed(o));

  const snapshot: SnapshotEntry = {
    kind: 'snapshot',
    t,
    tasks,
    runningSet: setErr ? [] : (runningSet as string[]),
    runningInfo,
    ...(unreadable.length ? { unreadable } : {}),
    ...(malformed.length ? { malformed } : {}),
    ...(orphans.length ? { orphans } : {}),
    ...(eventQueue ? { eventQueue } : {}),
  };
  return {
    transitions: logErr ? [] : (log as StreamEntry[]).map(([id, raw]) => transitionOf(id, raw, history)),
    executions: execErr ? [] : (execs as StreamEntry[]).map(([id, raw]) => executionOf(id, raw, history)),
    snapshot,
  };
}
