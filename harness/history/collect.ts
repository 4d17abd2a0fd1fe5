import type { Redis } from 'ioredis';
import type { HistoryRecorder } from './recorder.ts';
import type { ExecutionEntry, JobState, TransitionEntry } from './types.ts';

// The harness reads what the SUT logged (PROTOCOL.md: sut:translog, sut:executions) and places
// it on the run's timeline by the stream ids' milliseconds.

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

export async function readTransitions(redis: Redis, history: HistoryRecorder): Promise<TransitionEntry[]> {
  return (await readStream(redis, 'sut:translog')).map(([id, raw]) => {
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
  });
}

export async function readExecutions(redis: Redis, history: HistoryRecorder): Promise<ExecutionEntry[]> {
  return (await readStream(redis, 'sut:executions')).map(([id, raw]) => {
    const f = fieldsOf(raw);
    return { kind: 'execution', t: history.fromWall(Number(id.split('-')[0])), jobId: f.jobId, attempt: Number(f.attempt), executorId: f.executorId ?? '' };
  });
}
