// Reading what the instrumentation kit (harness/instrument/) writes: the execution log, the task
// records and the transition log under one key prefix. The library applications write it with the
// default prefix (examples/common/app.ts); a system of your own that uses the kit is read by the
// same functions with its prefix.
import type { Redis } from 'ioredis';
import { evidenceKeys, type EvidenceKeys } from '../instrument/index.ts';
import { fieldsOf, readTransitions, scanKeys } from '../history/collect.ts';
import type { HistoryRecorder } from '../history/recorder.ts';
import type { ExecutionEntry, TransitionEntry } from '../history/types.ts';

const DEFAULT_KEYS = evidenceKeys();

/** The execution log: every start, with its end when one was logged. */
export async function readAppExecutions(admin: Redis, history: HistoryRecorder, keys: EvidenceKeys = DEFAULT_KEYS): Promise<ExecutionEntry[]> {
  const raw = (await admin.xrange(keys.executions, '-', '+')) as [string, string[]][];
  const starts = new Map<string, ExecutionEntry>();
  const out: ExecutionEntry[] = [];
  for (const [id, fields] of raw) {
    const f = fieldsOf(fields);
    const t = history.fromWall(Number(id.split('-')[0]));
    const key = `${f.jobId}/${f.attempt}`;
    if (f.phase === 'start') {
      const e: ExecutionEntry = { kind: 'execution', t, jobId: f.jobId!, attempt: Number(f.attempt), executorId: f.workerId ?? '' };
      starts.set(key, e);
      out.push(e);
    } else {
      const s = starts.get(key);
      if (s && s.endedAt === undefined) s.endedAt = t;
    }
  }
  return out;
}

/** Every payload start of the execution log has its end: no worker (a paused one, say) is still running a payload. */
export async function everyStartEnded(admin: Redis, keys: EvidenceKeys = DEFAULT_KEYS): Promise<boolean> {
  const raw = (await admin.xrange(keys.executions, '-', '+')) as [string, string[]][];
  const open = new Set<string>();
  for (const [, fields] of raw) {
    const f = fieldsOf(fields);
    const id = `${f.jobId}/${f.attempt}`;
    if (f.phase === 'start') open.add(id);
    else open.delete(id);
  }
  return open.size === 0;
}

/** How many entries the execution log has (a progress signature). */
export const executionLogLength = (admin: Redis, keys: EvidenceKeys = DEFAULT_KEYS): Promise<number> => admin.xlen(keys.executions);

/** Every task the front door recorded: its id, Idempotency-Key and job ids. */
export async function readAppTasks(admin: Redis, keys: EvidenceKeys = DEFAULT_KEYS): Promise<{ taskId: string; idempotencyKey: string | null; jobIds: string[] }[]> {
  const found = await scanKeys(admin, `${keys.taskPrefix}*`);
  const out = [];
  for (const key of found) {
    const h = await admin.hgetall(key);
    let jobIds: string[] = [];
    try {
      jobIds = JSON.parse(h.jobIds ?? '[]') as string[];
    } catch {
      /* a task without readable jobs: its jobs are missing to the checkers */
    }
    out.push({ taskId: key.slice(keys.taskPrefix.length), idempotencyKey: h.idempotencyKey || null, jobIds });
  }
  return out;
}

/** The state changes recorded with recordStateChange (or STATE_CHANGE_LUA), as the judge reads a transition log. */
export const readAppTransitions = (admin: Redis, history: HistoryRecorder, keys: EvidenceKeys = DEFAULT_KEYS): Promise<TransitionEntry[]> =>
  readTransitions(admin, history, keys.transitions);
