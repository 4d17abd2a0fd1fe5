// The keeper (the seed's storage-worker): consumes job events and applies each with one
// Lua script that enforces the state machine, keeps the running set, logs the decision
// to the transition log and acknowledges the event, all in one atomic step.

import type { Redis } from 'ioredis';
import { checkThenSetApplier } from './bugs/check-then-set.ts';
import {
  type LinkOptions,
  type Logger,
  Lifecycle,
  closeRedis,
  cutRedis,
  errorText,
  eventArgs,
  groups,
  keys,
  loadScript,
} from './common.ts';
import type { Edges, RoleHandle } from './embed.ts';
import { createEventFeed, type EventMessage } from './event-transport.ts';

export interface KeeperOptions extends LinkOptions {
  runningTtlMs: number;
  reclaimMs: number;
}

export interface ApplyContext {
  keeperId: string;
  runningTtlMs: number;
  log: Logger;
}

/** Applies a batch of events; an event that fails stays pending and is retried by reclaim. */
export type EventApplier = (batch: EventMessage[]) => Promise<void>;

/** KEYS of apply-event.lua (and of its lww variant). */
export function applyKeys(jobId: string): string[] {
  return [keys.job(jobId), keys.running, keys.runningInfo(jobId), keys.translog, keys.events];
}

function scriptApplier(redis: Redis, file: string, ctx: ApplyContext): EventApplier {
  const applyEvent = loadScript(redis, file);
  return async (batch) => {
    // The whole batch goes out at once (one round trip); each script is atomic and one
    // connection runs them in stream order, so concurrency costs no correctness.
    const results = await Promise.allSettled(
      batch.map((m) =>
        applyEvent(applyKeys(m.fields.jobId), [m.eventId, groups.keepers, m.ack ? '1' : '0', ctx.keeperId, ctx.runningTtlMs, ...eventArgs(m.fields)]),
      ),
    );
    results.forEach((result, i) => {
      const m = batch[i]!;
      if (result.status === 'rejected') {
        ctx.log(`event ${m.eventId} (${m.fields.type} ${m.fields.jobId}): ${errorText(result.reason)}`);
      } else if (Array.isArray(result.value) && result.value[0] === 'ignored' && result.value[1] !== 'duplicate') {
        ctx.log(`event ${m.eventId} ${m.fields.type} from ${m.fields.sourceId} for ${m.fields.jobId}: ignored, ${String(result.value[1])} (${String(result.value[2])})`);
      }
    });
  };
}

/**
 * Starts a keeper in this process; resolves once it listens for events (its group exists).
 * `lifecycle` (default: a new one) lets a caller stop it while it is still starting.
 */
export async function startKeeper(options: KeeperOptions, edges: Edges, lifecycle = new Lifecycle(edges.log(options.id))): Promise<RoleHandle> {
  const log = lifecycle.log;
  const redis = edges.redis(options, log, 'commands');
  // XREADGROUP BLOCK, or SUBSCRIBE with the pubsub-events bug
  const listener = edges.redis(options, log, 'listener', 1000);
  lifecycle.onStop(() => closeRedis(redis, listener));
  lifecycle.onCrash(() => [redis, listener].forEach(cutRedis));

  const ctx: ApplyContext = { keeperId: options.id, runningTtlMs: options.runningTtlMs, log };
  // the apply seam, chosen once: the atomic script, or a planted bug's variant
  const apply = options.bugs.has('check-then-set')
    ? checkThenSetApplier(redis, ctx)
    : scriptApplier(redis, options.bugs.has('lww-status') ? 'apply-event-lww.lua' : 'apply-event.lua', ctx);
  const feed = createEventFeed(options.bugs, redis, listener, { id: options.consumer ?? options.id, reclaimMs: options.reclaimMs, lifecycle, log });

  let started!: () => void;
  const listening = new Promise<void>((resolve) => (started = resolve));
  const loop = feed.run(apply, () => started());
  await Promise.race([listening, loop.then(() => Promise.reject(new Error('keeper stopped before it was ready')))]);
  const done = loop.catch((err: unknown) => log(`event feed ended: ${errorText(err)}`));
  return {
    id: options.id,
    stop: async (why = 'stopped') => {
      await lifecycle.stop(why);
      await done;
    },
    crash: () => lifecycle.crash(),
  };
}
