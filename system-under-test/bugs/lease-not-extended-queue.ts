// Planted bug `lease-not-extended`: the worker takes a job and never extends its lease while the
// job runs (the heartbeat does nothing), as if delivery alone held the job. A job that runs longer
// than the lease looks abandoned: another worker reclaims it and runs it again although nothing
// failed — the classic "lock shorter than the job" of Redis job queues.

import { QueueDecorator } from '../job-queue.ts';

export class LeaseNotExtendedQueue extends QueueDecorator {
  override async heartbeat(): Promise<void> {
    // the mistake: the lease is never extended
  }
}
