// The harness's config for the job system on node-resque in this folder: one process contract per
// role and the kit's key prefix (no reading code: the judge reads what the kit wrote).
//
//   npm run chaos -- --config examples/node-resque/chaos.config.ts --ci
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, kitSystem } from '../../harness/index.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = [process.execPath, '--import', 'tsx'];

export default defineConfig({
  systems: [
    kitSystem({
      name: 'node-resque',
      label: 'node-resque 9.7.1 (example application)',
      settings: 'node-resque Worker + Scheduler per worker process; ping/poll lease/4, stuckWorkerTimeout = lease, retryStuckJobs, leader lock 1.5 leases; idempotent enqueue in one script; kit evidence under tasks:*',
      prefix: 'tasks:',
      // ports from the environment, ready when /health answers
      frontDoor: {
        command: [...tsx, 'front-door.ts'], cwd: here,
        env: { NR_REDIS_PORT: '{redisPort}', NR_HTTP_PORT: '{httpPort}' },
        ready: { http: 'http://127.0.0.1:{httpPort}/health' },
      },
      // its id, link and lease on the command line, ready by its JSON line
      worker: { command: [...tsx, 'worker.ts', '{id}', '{redisPort}', '{leaseMs}'], cwd: here },
      // an idle worker polls every lease/4; after a heal its connection is back within 0.5 s
      pickupMs: 5000,
    }),
  ],
  system: 'node-resque',
});
