// Planted bug `brpop-queue` (seed 004): jobs on a plain Redis list, LPUSHed by the submit
// script and taken with BRPOP. Taking a job removes it: there is no acknowledgement, lease
// or reclaim, so a worker that crashes mid-job loses it.

import type { Redis } from 'ioredis';
import { keys } from '../common.ts';
import type { JobDelivery, JobQueue } from '../job-queue.ts';

export class ListJobQueue implements JobQueue {
  constructor(
    /** dedicated connection for BRPOP */
    private readonly blocking: Redis,
  ) {}

  async prepare(): Promise<void> {}

  async next(): Promise<JobDelivery | null> {
    const popped = await this.blocking.brpop(keys.queue, 1);
    if (!popped) return null;
    const jobId = popped[1];
    return { deliveryId: jobId, jobId, via: 'new' };
  }

  async heartbeat(): Promise<void> {}

  async ack(): Promise<void> {}
}
