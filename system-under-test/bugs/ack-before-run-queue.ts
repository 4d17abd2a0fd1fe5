// Planted bug `ack-before-run`: the worker acknowledges the job as soon as it reads it,
// before the executor ran it. A worker that dies mid-job leaves nothing pending to reclaim.

import type { JobDelivery, JobQueue } from '../job-queue.ts';

export class AckBeforeRunQueue implements JobQueue {
  constructor(private readonly inner: JobQueue) {}

  prepare(): Promise<void> {
    return this.inner.prepare();
  }

  async next(): Promise<JobDelivery | null> {
    const delivery = await this.inner.next();
    if (delivery) await this.inner.ack(delivery);
    return delivery;
  }

  async heartbeat(): Promise<void> {
    // nothing pending to keep
  }

  async ack(): Promise<void> {
    // done already, in next()
  }
}
