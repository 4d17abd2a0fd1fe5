// Planted bug `no-reclaim`: a stream consumer group used without XAUTOCLAIM and without
// re-reading its own pending entries on restart, so a crashed worker's job stays pending
// forever.

import { StreamJobQueue, type JobDelivery } from '../job-queue.ts';

export class NoReclaimJobQueue extends StreamJobQueue {
  protected override async ownPending(): Promise<JobDelivery | null> {
    return null;
  }

  protected override async reclaimIdle(): Promise<JobDelivery | null> {
    return null;
  }
}
