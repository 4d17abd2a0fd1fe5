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
  const log = (m: EventMessage, e: Pick<EventFields, 'type' | 'source' | 'sourceId' | 'attempt' | 'exitCode' | 'output'>, from: string, to: string, decision: string, reason: string) =>
    redis.xadd(keys.translog, '*', 'jobId', m.fields.jobId, 'eventId', m.eventId, 'type', e.type, 'source', e.source, 'sourceId', e.sourceId,
      'attempt', e.attempt, 'from', from, 'to', to, 'decision', decision, 'reason', reason, 'keeper', ctx.keeperId, 'exitCode', e.exitCode, 'output', e.output);

  const write = async (f: EventFields, to: string, sourceId: string) => {
    const now = String(Date.now());
    await redis.hset(keys.job(f.jobId), 'state', to, 'updatedAt', now, ...(f.attempt !== '' ? ['attempt', f.attempt] : []));
    if (to === 'running') {
      await redis.sadd(keys.running, f.jobId);
      await redis.hset(keys.runningInfo(f.jobId), 'sourceId', sourceId, 'attempt', f.attempt, 'startedAt', now);
      await redis.pexpire(keys.runningInfo(f.jobId), ctx.runningTtlMs);
    } else {
      await redis.hset(keys.job(f.jobId), 'exitCode', f.exitCode, 'output', f.output, 'reason', f.reason, 'durationMs', f.durationMs);
      await redis.srem(keys.running, f.jobId);
      await redis.del(keys.runningInfo(f.jobId));
    }
  };

  const applyOne = async (m: EventMessage) => {
    const f = m.fields;
    const to = f.type;
    const current = await redis.hget(keys.job(f.jobId), 'state');
    if (current === null) {
      await log(m, f, 'none', 'none', 'ignored', 'unknown-job');
    } else if (TERMINAL_STATES.has(current)) {
      await log(m, f, current, current, 'ignored', 'stale-terminal');
    } else if (current === 'running' && to === 'running') {
      await log(m, f, current, current, 'ignored', 'duplicate');
    } else if (current === 'queued' && to === 'completed') {
      await write(f, 'running', ctx.keeperId);
      await log(m, { ...f, type: 'running', source: 'keeper', sourceId: ctx.keeperId, exitCode: '', output: '' }, 'queued', 'running', 'applied', 'ok');
      await write(f, to, f.sourceId);
      await log(m, f, 'running', to, 'applied', 'ok');
    } else if (LEGAL[current]?.includes(to)) {
      await write(f, to, f.sourceId);
      await log(m, f, current, to, 'applied', 'ok');
    } else {
      await log(m, f, current, current, 'ignored', 'illegal');
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
