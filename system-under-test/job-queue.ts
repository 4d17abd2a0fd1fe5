// The job queue between the orchestrator and the workers: a Redis Stream with the
// consumer group `workers`. Delivery is at-least-once: a job stays pending until its
// worker acknowledges it after the outcome, and a job whose worker stopped heartbeating
// for a lease is reclaimed by another worker with XAUTOCLAIM.

import type { Redis } from 'ioredis';
import { ensureGroup, groups, isGroupGone, keys, parseAutoclaimReply, parseReadReply, type Logger, type StreamEntry } from './common.ts';

export interface JobDelivery {
  /** the stream entry id (the job id for the list queue) */
  deliveryId: string;
  jobId: string;
  /** how it came: new, left pending by this worker before a restart, or taken from another */
  via: 'new' | 'own-pending' | 'reclaimed';
}

export interface JobQueue {
  prepare(): Promise<void>;
  /** The next job for this worker, or null after about a second without one. */
  next(): Promise<JobDelivery | null>;
  /** Keeps the lease of a job in progress, so that it is not reclaimed. */
  heartbeat(delivery: JobDelivery): Promise<void>;
  /** Called once the job's outcome is recorded. */
  ack(delivery: JobDelivery): Promise<void>;
}

/** A queue that passes everything to another: planted bugs that change one step extend it. */
export class QueueDecorator implements JobQueue {
  constructor(protected readonly inner: JobQueue) {}

  prepare(): Promise<void> {
    return this.inner.prepare();
  }

  next(): Promise<JobDelivery | null> {
    return this.inner.next();
  }

  heartbeat(delivery: JobDelivery): Promise<void> {
    return this.inner.heartbeat(delivery);
  }

  ack(delivery: JobDelivery): Promise<void> {
    return this.inner.ack(delivery);
  }
}

export interface QueueOptions {
  id: string;
  leaseMs: number;
  log: Logger;
}

export class StreamJobQueue implements JobQueue {
  /** cursor through this consumer's own pending entries; null once they are all seen */
  private pendingCursor: string | null = '0';
  private claimCursor = '0-0';

  constructor(
    protected readonly redis: Redis,
    /** dedicated connection for XREADGROUP BLOCK */
    protected readonly blocking: Redis,
    protected readonly options: QueueOptions,
  ) {}

  async prepare(): Promise<void> {
    await ensureGroup(this.redis, keys.jobs, groups.workers);
  }

  async next(): Promise<JobDelivery | null> {
    try {
      const delivery = (await this.ownPending()) ?? (await this.reclaimIdle());
      if (delivery) return delivery;
      const raw = await this.blocking.call('XREADGROUP', 'GROUP', groups.workers, this.options.id, 'COUNT', 1, 'BLOCK', 1000, 'STREAMS', keys.jobs, '>');
      const [entry] = parseReadReply(raw);
      return entry ? toDelivery(entry, 'new') : null;
    } catch (err) {
      // Redis restarted empty: recreate the group, then carry on
      if (isGroupGone(err)) {
        await this.prepare();
        return null;
      }
      throw err;
    }
  }

  /** Entries this worker name read before a crash and restart, one at a time. */
  protected async ownPending(): Promise<JobDelivery | null> {
    if (this.pendingCursor === null) return null;
    const raw = await this.redis.call('XREADGROUP', 'GROUP', groups.workers, this.options.id, 'COUNT', 1, 'STREAMS', keys.jobs, this.pendingCursor);
    const [entry] = parseReadReply(raw);
    if (!entry) {
      this.pendingCursor = null;
      return null;
    }
    this.pendingCursor = entry.id;
    return toDelivery(entry, 'own-pending');
  }

  /** A job pending longer than the lease: its worker is dead, paused or cut off. */
  protected async reclaimIdle(): Promise<JobDelivery | null> {
    const raw = await this.redis.call('XAUTOCLAIM', keys.jobs, groups.workers, this.options.id, this.options.leaseMs, this.claimCursor, 'COUNT', 1);
    const { cursor, entries } = parseAutoclaimReply(raw);
    this.claimCursor = cursor;
    const [entry] = entries;
    return entry ? toDelivery(entry, 'reclaimed') : null;
  }

  async heartbeat(delivery: JobDelivery): Promise<void> {
    await this.redis.call('XCLAIM', keys.jobs, groups.workers, this.options.id, 0, delivery.deliveryId, 'JUSTID');
  }

  async ack(delivery: JobDelivery): Promise<void> {
    await this.redis.xack(keys.jobs, groups.workers, delivery.deliveryId);
  }
}

function toDelivery(entry: StreamEntry, via: JobDelivery['via']): JobDelivery {
  // an entry deleted from the stream has no fields: its job id is '' and it is skipped
  return { deliveryId: entry.id, jobId: entry.fields.jobId ?? '', via };
}
