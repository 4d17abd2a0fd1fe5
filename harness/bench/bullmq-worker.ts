// One BullMQ worker process for the vs-bullmq benchmark: a Worker with an async no-op
// processor, concurrency 1, on the Environment's redis-server (direct connection). Prints one
// ready line on stdout; exits on SIGTERM, and when its parent (the bench) is gone.
// Env: BENCH_REDIS_PORT, BENCH_REDIS_PASSWORD, BENCH_QUEUE, BENCH_WORKER_NAME.

import { readFileSync } from 'node:fs';
// loaded at run time: BullMQ is installed only for the vs-bullmq benchmark (see vs-bullmq.ts)
const BULLMQ = 'bullmq';
const { Worker } = (await import(BULLMQ)) as { Worker: new (...args: unknown[]) => { on: (event: string, fn: (err: Error) => void) => unknown; close: (force?: boolean) => Promise<void>; waitUntilReady: () => Promise<unknown> } };

const port = Number(process.env.BENCH_REDIS_PORT);
const password = process.env.BENCH_REDIS_PASSWORD || undefined;
const queue = process.env.BENCH_QUEUE ?? 'bench';
const name = process.env.BENCH_WORKER_NAME ?? `bullmq-${process.pid}`;

const worker = new Worker(queue, async () => undefined, {
  connection: { host: '127.0.0.1', port, password, maxRetriesPerRequest: null, connectionName: name },
  concurrency: 1,
});
worker.on('error', (err) => process.stderr.write(`[${name}] ${err.message}\n`));

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    setTimeout(() => process.exit(code), 1000).unref();
    await worker.close(true).catch(() => undefined);
  }
  process.exit(code);
}
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));

function parentPid(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}
const parent = parentPid();
setInterval(() => {
  if (parentPid() !== parent) void stop(0);
}, 500).unref();

await worker.waitUntilReady();
process.stdout.write(JSON.stringify({ ready: true, role: 'bullmq-worker', id: name, pid: process.pid }) + '\n');
