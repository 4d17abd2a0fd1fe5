// How job events travel from their sources (worker, executor, orchestrator) to the
// keepers: a Redis Stream with the consumer group `keepers` (at-least-once: an event
// stays pending until the keeper's apply script acknowledges it).

import type { Redis } from 'ioredis';
import { PubSubEventFeed, PubSubEventPublisher } from './bugs/pubsub-events.ts';
import {
  type Bugs,
  type EventFields,
  type JobEvent,
  type Lifecycle,
  type Logger,
  ensureGroup,
  errorText,
  eventFields,
  flatten,
  groups,
  isGroupGone,
  keys,
  parseAutoclaimReply,
  parseReadReply,
  type StreamEntry,
  toEventFields,
} from './common.ts';

export interface EventPublisher {
  /** Resolves once Redis has the event. */
  publish(event: JobEvent): Promise<void>;
}

export interface EventMessage {
  /** the stream entry id (pub/sub messages get a local id) */
  eventId: string;
  fields: EventFields;
  /** whether the apply step must XACK it in the events stream */
  ack: boolean;
}

export type EventBatchHandler = (batch: EventMessage[]) => Promise<void>;

export interface EventFeed {
  /** Hands batches of events to `handle` until the keeper stops; `started` once listening. */
  run(handle: EventBatchHandler, started: () => void): Promise<void>;
}

export class StreamEventPublisher implements EventPublisher {
  constructor(private readonly redis: Redis) {}

  async publish(event: JobEvent): Promise<void> {
    await this.redis.xadd(keys.events, '*', ...flatten(eventFields(event)));
  }
}

export interface FeedOptions {
  id: string;
  /** an event pending longer than this on a (dead) keeper is taken over */
  reclaimMs: number;
  lifecycle: Lifecycle;
  log: Logger;
}

const BATCH = 50;

export class StreamEventFeed implements EventFeed {
  constructor(
    private readonly redis: Redis,
    /** dedicated connection for XREADGROUP BLOCK */
    private readonly blocking: Redis,
    private readonly options: FeedOptions,
  ) {}

  async run(handle: EventBatchHandler, started: () => void): Promise<void> {
    const { lifecycle, log, id, reclaimMs } = this.options;
    await this.retrying(() => ensureGroup(this.redis, keys.events, groups.keepers));
    started();
    await this.ownPending(handle);
    const reclaimEvery = Math.min(1000, Math.max(100, reclaimMs / 2));
    let lastReclaim = 0;
    while (!lifecycle.stopping) {
      try {
        if (Date.now() - lastReclaim >= reclaimEvery) {
          lastReclaim = Date.now();
          await this.reclaim(handle);
        }
        const raw = await this.blocking.call('XREADGROUP', 'GROUP', groups.keepers, id, 'COUNT', BATCH, 'BLOCK', 1000, 'STREAMS', keys.events, '>');
        const entries = parseReadReply(raw);
        if (entries.length > 0) await handle(entries.map(toMessage));
      } catch (err) {
        if (lifecycle.stopping) break;
        log(`event feed: ${errorText(err)}`);
        // a gone group is re-created at once; anything else (a lost connection) is waited out
        if (!(isGroupGone(err) && (await recreated(this.redis)))) await lifecycle.sleep(200);
      }
    }
  }

  /** Events delivered to this keeper name before a crash and restart, not yet acknowledged. */
  private async ownPending(handle: EventBatchHandler): Promise<void> {
    let cursor = '0';
    while (!this.options.lifecycle.stopping) {
      const entries = await this.retrying(async () =>
        parseReadReply(await this.redis.call('XREADGROUP', 'GROUP', groups.keepers, this.options.id, 'COUNT', BATCH, 'STREAMS', keys.events, cursor)),
      );
      if (entries.length === 0) return;
      cursor = entries[entries.length - 1]!.id;
      await handle(entries.map(toMessage));
    }
  }

  /** Takes over events that another keeper (or this one, before a lost reply) left pending. */
  private async reclaim(handle: EventBatchHandler): Promise<void> {
    let cursor = '0-0';
    do {
      const reply = parseAutoclaimReply(
        await this.redis.call('XAUTOCLAIM', keys.events, groups.keepers, this.options.id, this.options.reclaimMs, cursor, 'COUNT', BATCH),
      );
      cursor = reply.cursor;
      if (reply.entries.length > 0) {
        this.options.log(`reclaimed ${reply.entries.length} idle event(s)`);
        await handle(reply.entries.map(toMessage));
      }
    } while (cursor !== '0-0' && !this.options.lifecycle.stopping);
  }

  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (this.options.lifecycle.stopping) throw err;
        this.options.log(`event feed: ${errorText(err)}`);
        if (!(isGroupGone(err) && (await recreated(this.redis)))) await this.options.lifecycle.sleep(200);
      }
    }
  }
}

/** Re-creates the keepers' group; false if Redis could not be reached. */
async function recreated(redis: Redis): Promise<boolean> {
  return ensureGroup(redis, keys.events, groups.keepers).then(() => true, () => false);
}

function toMessage(entry: StreamEntry): EventMessage {
  return { eventId: entry.id, fields: toEventFields(entry.fields), ack: true };
}

/** The transport every role uses, chosen once at startup. */
export function createEventPublisher(bugs: Bugs, redis: Redis): EventPublisher {
  return bugs.has('pubsub-events') ? new PubSubEventPublisher(redis) : new StreamEventPublisher(redis);
}

/** `subscriber` is a dedicated connection: blocking reads or SUBSCRIBE. */
export function createEventFeed(bugs: Bugs, redis: Redis, subscriber: Redis, options: FeedOptions): EventFeed {
  return bugs.has('pubsub-events') ? new PubSubEventFeed(subscriber, options) : new StreamEventFeed(redis, subscriber, options);
}
