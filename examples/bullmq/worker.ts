// One BullMQ worker process of the application (roles.ts startWorker; settings there): it runs
// each job's payload and reports the outcome to BullMQ (a return value completes the job, a
// thrown error fails it).

import { dialPort, lifecycle, log, parseArgs, ready } from '../common/app.ts';
import { startWorker, type Role } from './roles.ts';

const args = parseArgs();
let role: Role | undefined;
lifecycle(args.id, async () => role?.close());

startWorker({ id: args.id, dial: dialPort(args.redisPort), log: (line) => log(args.id, line), leaseMs: args.leaseMs, concurrency: args.concurrency })
  .then((r) => {
    role = r;
    ready('worker', args.id);
  })
  .catch((err: unknown) => {
    log(args.id, `failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
