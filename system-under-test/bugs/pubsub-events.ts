// Planted bug `pubsub-events` (the seed's storage-worker): events are PUBLISHed on a
// channel, fire-and-forget. A keeper that is down, restarting or cut off when an event is
// published never sees it, and nothing is left to reclaim.

import type { Redis } from 'ioredis';
import { EVENTS_CHANNEL, type JobEvent, errorText, eventFields, toEventFields } from '../common.ts';
import type { EventBatchHandler, EventFeed, EventMessage, EventPublisher, FeedOptions } from '../event-transport.ts';

export class PubSubEventPublisher implements EventPublisher {
  constructor(private readonly redis: Redis) {}

  async publish(event: JobEvent): Promise<void> {
    await this.redis.publish(EVENTS_CHANNEL, JSON.stringify(eventFields(event)));
  }
}

export class PubSubEventFeed implements EventFeed {
  private counter = 0;

  constructor(
    private readonly subscriber: Redis,
    private readonly options: FeedOptions,
  ) {}

  async run(handle: EventBatchHandler, started: () => void): Promise<void> {
    const { lifecycle, log, id } = this.options;
    const queue: EventMessage[] = [];
    let draining = false;
    // Batches like the stream feed does, so both keepers apply events the same way.
    const drain = async () => {
      if (draining) return;
      draining = true;
      try {
        while (queue.length > 0) await handle(queue.splice(0, 50));
      } catch (err) {
        log(`pubsub feed: ${errorText(err)}`);
      } finally {
        draining = false;
      }
    };
    this.subscriber.on('message', (_channel: string, text: string) => {
      let raw: Record<string, string>;
      try {
        raw = JSON.parse(text) as Record<string, string>;
      } catch {
        log(`pubsub feed: dropped a malformed message`);
        return;
      }
      queue.push({ eventId: `pubsub-${id}-${++this.counter}`, fields: toEventFields(raw), ack: false });
      void drain();
    });
    // ioredis resubscribes by itself after a reconnect; what was published meanwhile is gone.
    await this.subscriber.subscribe(EVENTS_CHANNEL);
    started();
    while (!lifecycle.stopping) await lifecycle.sleep(200);
  }
}
