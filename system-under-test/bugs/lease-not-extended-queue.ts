// Planted bug `lease-not-extended`: the worker takes a job and never extends its lease while the
// job runs (the heartbeat does nothing), as if delivery alone held the job. A job that runs longer
// than the lease looks abandoned: another worker reclaims it and runs it again although nothing
// failed — the classic "lock shorter than the job" of Redis job queues.

import type { JobDelivery, JobQueue } from '../job-queue.ts';

export class LeaseNotExtendedQueue implements JobQueue {
  constructor(private readonly inner: JobQueue) {}

  prepare(): Promise<void> {
    return this.inner.prepare();
  }

  next(): Promise<JobDelivery | null> {
    return this.inner.next();
  }

  async heartbeat(): Promise<void> {
    // the mistake: the lease is never extended
  }

  ack(delivery: JobDelivery): Promise<void> {
    return this.inner.ack(delivery);
  }
}
