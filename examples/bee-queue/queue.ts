// What the bee-queue application's processes share: the queue's name and how a bee-queue Queue
// connects (node-redis v3 clients made by the application, where the role's dial points, with a
// retry_strategy that reconnects forever).

import { createRequire } from 'node:module';
import Queue from 'bee-queue';
import type { JobData, JobView, PayloadResult as JobResult, RoleOptions } from '../common/app.ts';

/** what a job carries, and what a worker returns for it (each library stores it its own way) */
export type { JobData, JobResult };

/** the one queue of this application: its keys are `bq:chaos:*` */
export const QUEUE_NAME = 'chaos';

/**
 * node-redis v3 client options. With a retry_strategy that returns a number node-redis never
 * gives up (and does not emit connection errors as 'error'); offlineQueue false makes a
 * command fail at once while the connection is down instead of waiting for it to come back.
 */
export function redisSettings(o: { offlineQueue: boolean }): Record<string, unknown> {
  return {
    retry_strategy: (r: { attempt: number }) => Math.min(50 * r.attempt, 500),
    enable_offline_queue: o.offlineQueue,
  };
}

/** the few things of node-redis v3's RedisClient used here */
export interface NodeRedisClient {
  options: Record<string, unknown>;
  stream: { removeAllListeners(): void; destroy(): void } | undefined;
  create_stream(): void;
  duplicate(): NodeRedisClient;
  end(flush: boolean): void;
  on(event: 'error', listener: (err: Error) => void): void;
}

/** node-redis v3, the copy bee-queue itself loads */
const nodeRedis = createRequire(createRequire(import.meta.url).resolve('bee-queue'))('redis') as {
  createClient(o: Record<string, unknown>): NodeRedisClient;
  /** a stream given here is the connection (createClient's options are deep-cloned: a stream among them is not) */
  RedisClient: new (o: Record<string, unknown>, stream: unknown) => NodeRedisClient;
};

/**
 * A node-redis client for bee-queue (given to it as `redis`: it duplicates it for its blocking and
 * events connections). Live it connects where the role's dial points; in simulation each
 * connection and reconnect gets a socket of the role's (`RoleOptions.socket`): node-redis keeps a
 * given `stream` for good, so a reconnect is handed a new one through create_stream, the seam
 * node-redis keeps for replacing its stream. Every client made, duplicates included, is told to `made`.
 */
export function nodeRedisClient(o: Pick<RoleOptions, 'dial' | 'socket'>, settings: Record<string, unknown>, made: (c: NodeRedisClient) => void): NodeRedisClient {
  let client: NodeRedisClient;
  const socket = o.socket;
  if (socket) {
    client = new nodeRedis.RedisClient({ ...settings }, socket());
    const createStream = client.create_stream;
    client.create_stream = function (this: NodeRedisClient) {
      this.stream?.removeAllListeners();
      this.stream?.destroy();
      this.stream = undefined;
      this.options.stream = socket();
      createStream.call(this);
    };
  } else {
    const { host, port, password } = o.dial({});
    client = nodeRedis.createClient({ ...settings, host, port, ...(password ? { password } : {}) });
  }
  client.duplicate = () => nodeRedisClient(o, settings, made);
  made(client);
  return client;
}

/** One job as the API shows it, from bee-queue's job hash and its active list. */
export function viewOf(jobId: string, job: { status: string; progress: unknown; options: { stacktraces?: string[] } }, active: boolean, attempt: number): JobView {
  const result = (job.progress && typeof job.progress === 'object' ? job.progress : {}) as Partial<JobResult>;
  if (job.status === 'succeeded') return { jobId, state: 'completed', attempt, exitCode: result.exitCode ?? 0, output: result.output ?? '', reason: null };
  if (job.status === 'failed') {
    const message = (job.options.stacktraces?.[0] ?? '').split('\n')[0]!.replace(/^Error: /, '');
    const exit = /^exit (\d+)$/.exec(message);
    if (exit) return { jobId, state: 'failed', attempt, exitCode: Number(exit[1]), output: result.output ?? '', reason: 'exit' };
    if (/timed out \(\d+ ms\)$/.test(message)) return { jobId, state: 'failed', attempt, exitCode: null, output: '', reason: 'timeout' };
    return { jobId, state: 'failed', attempt, exitCode: null, output: result.output ?? '', reason: message || 'failed' };
  }
  return { jobId, state: active ? 'running' : 'queued', attempt, exitCode: null, output: null, reason: null };
}

export type BeeQueue = Queue<JobData>;
export { Queue };
