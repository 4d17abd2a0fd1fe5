// Planted bug `heartbeat-status`: the worker's lease heartbeat also writes the job's status
// (HSET state running, updatedAt) "so a dashboard shows the job alive" — outside the keeper's
// apply step, so the transition log never hears of it. A heartbeat that lands late (the worker
// was paused past its lease, or its link is slow) writes `running` over a job that another
// worker has finished meanwhile. Only the job hash shows it: reads and the final state.

import type { Redis } from 'ioredis';
import { keys } from '../common.ts';
import { QueueDecorator, type JobDelivery, type JobQueue } from '../job-queue.ts';

export class HeartbeatStatusQueue extends QueueDecorator {
  constructor(
    inner: JobQueue,
    private readonly redis: Redis,
  ) {
    super(inner);
  }

  override async heartbeat(delivery: JobDelivery): Promise<void> {
    await this.inner.heartbeat(delivery);
    const now = await this.redis.time();
    await this.redis.hset(keys.job(delivery.jobId), 'state', 'running', 'updatedAt', String(Number(now[0]) * 1000 + Math.floor(Number(now[1]) / 1000)));
  }
}
