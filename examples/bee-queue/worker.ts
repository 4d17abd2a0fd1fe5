// One bee-queue worker process of the application (roles.ts startWorker; settings there):
// concurrency --concurrency (default 1), stall interval --lease-ms.
import { workerMain } from '../common/app.ts';
import { startWorker } from './roles.ts';

workerMain(startWorker);
