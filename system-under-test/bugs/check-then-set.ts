// Planted bug `check-then-set`: the seed's recommended fix as written. Read the status
// (one round trip), return if it is terminal, else write (another round trip), then log.
// Each step is right on its own; between the read and the write another keeper, or
// another event of this keeper's concurrently applied batch, can change the job.

import type { Redis } from 'ioredis';
import { TERMINAL_STATES, type EventFields, errorText, groups, keys } from '../common.ts';
import type { EventMessage } from '../event-transport.ts';
import type { ApplyContext, EventApplier } from '../keeper.ts';

const LEGAL: Record<string, readonly string[]> = {
  queued: ['running', 'failed', 'cancelled'],
  running: ['completed', 'failed', 'cancelled'],
};

export function checkThenSetApplier(redis: Redis, ctx: ApplyContext): EventApplier {
  type Tx = ReturnType<Redis['multi']>;
  const log = (tx: Tx | Redis, m: EventMessage, e: Pick<EventFields, 'type' | 'source' | 'sourceId' | 'attempt' | 'exitCode' | 'output'>, from: string, to: string, decision: string, reason: string) =>
    tx.xadd(keys.translog, '*', 'jobId', m.fields.jobId, 'eventId', m.eventId, 'type', e.type, 'source', e.source, 'sourceId', e.sourceId,
      'attempt', e.attempt, 'from', from, 'to', to, 'decision', decision, 'reason', reason, 'keeper', ctx.keeperId, 'exitCode', e.exitCode, 'output', e.output);

  // The write and its log entry go together (MULTI), so the log tells the true order of writes;
  // only the read before them is separate: that gap is the bug.
  const write = (tx: Tx, f: EventFields, to: string, sourceId: string) => {
    const now = String(Date.now());
    tx.hset(keys.job(f.jobId), 'state', to, 'updatedAt', now, ...(f.attempt !== '' ? ['attempt', f.attempt] : []));
    if (to === 'running') {
      tx.sadd(keys.running, f.jobId);
      tx.hset(keys.runningInfo(f.jobId), 'sourceId', sourceId, 'attempt', f.attempt, 'startedAt', now);
      tx.pexpire(keys.runningInfo(f.jobId), ctx.runningTtlMs);
    } else {
      tx.hset(keys.job(f.jobId), 'exitCode', f.exitCode, 'output', f.output, 'reason', f.reason, 'durationMs', f.durationMs);
      tx.srem(keys.running, f.jobId);
      tx.del(keys.runningInfo(f.jobId));
    }
  };

  const applyOne = async (m: EventMessage) => {
    const f = m.fields;
    const to = f.type;
    const current = await redis.hget(keys.job(f.jobId), 'state');
    if (current === null) {
      await log(redis, m, f, 'none', 'none', 'ignored', 'unknown-job');
    } else if (TERMINAL_STATES.has(current)) {
      await log(redis, m, f, current, current, 'ignored', 'stale-terminal');
    } else if (current === 'running' && to === 'running') {
      await log(redis, m, f, current, current, 'ignored', 'duplicate');
    } else if (current === 'queued' && to === 'completed') {
      const tx = redis.multi();
      write(tx, f, 'running', ctx.keeperId);
      log(tx, m, { ...f, type: 'running', source: 'keeper', sourceId: ctx.keeperId, exitCode: '', output: '' }, 'queued', 'running', 'applied', 'ok');
      write(tx, f, to, f.sourceId);
      log(tx, m, f, 'running', to, 'applied', 'ok');
      await tx.exec();
    } else if (LEGAL[current]?.includes(to)) {
      const tx = redis.multi();
      write(tx, f, to, f.sourceId);
      log(tx, m, f, current, to, 'applied', 'ok');
      await tx.exec();
    } else {
      await log(redis, m, f, current, current, 'ignored', 'illegal');
    }
    if (m.ack) await redis.xack(keys.events, groups.keepers, m.eventId);
  };

  return async (batch) => {
    const results = await Promise.allSettled(batch.map(applyOne));
    results.forEach((r, i) => {
      if (r.status === 'rejected') ctx.log(`event ${batch[i]!.eventId}: ${errorText(r.reason)}`);
    });
  };
}
