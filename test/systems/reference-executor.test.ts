// The reference executor (system-under-test/executor.ts) when its payload dies of a signal it did
// not send. A graceful restart signals the whole process group, and a worker stopping its executor
// kills the payload first: the payload can die before the executor hears of its own stop. That
// death is the stop, not the payload's outcome (a job that exits 0 once ended `failed`, exit 143,
// in a live restart). A payload killed by someone else while the executor carries on is still its
// failure, with the shell's 128 + signal.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS, requireBinary } from '../../harness/env/binaries.ts';
import { ProcessRegistry } from '../../harness/env/processes.ts';
import { RedisServer } from '../../harness/env/redis.ts';
import { keys } from '../../system-under-test/common.ts';
import { connectRedis, parseBugs, type PayloadExit, type PayloadHandle } from '../../system-under-test/embed.ts';
import { type ExecutorMessage, startExecutorCore } from '../../system-under-test/executor.ts';

const registry = new ProcessRegistry();
let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await RedisServer.start({ bin: requireBinary(REDIS), registry, aof: false });
  admin = server.client();
});

afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
  await registry.stopAll(1000);
});

/** An executor whose one payload ends when the test says, as the test says. */
async function executorWithPayload(id: string) {
  const messages: ExecutorMessage[] = [];
  let end!: (exit: PayloadExit) => void;
  const ended = new Promise<PayloadExit>((resolve) => (end = resolve));
  const payload: PayloadHandle = { pid: 4_000_000, ended, kill: () => undefined };
  let ready!: () => void;
  const up = new Promise<void>((resolve) => (ready = resolve));
  const core = startExecutorCore(
    { redisHost: '127.0.0.1', redisPort: server.port, id, bugs: parseBugs('') },
    {
      redis: (link, log, purpose, blockMs) => connectRedis(link, log, purpose, blockMs, { password: server.password }),
      runPayload: () => payload,
      log: () => () => undefined,
    },
    {
      send: (m) => {
        messages.push(m);
        if (m.type === 'ready') ready();
      },
      fatal: () => undefined,
    },
  );
  await up;
  return { core, messages, end };
}

async function eventsOf(jobId: string): Promise<string[]> {
  const entries = await admin.xrange(keys.events, '-', '+');
  return entries.map(([, flat]) => Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]))).filter((e) => e.jobId === jobId || (e.data ?? '').includes(jobId)).map((e) => JSON.stringify(e));
}

const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!ok()) throw new Error(`never: ${what}`);
};

const run = (jobId: string) => ({ type: 'run', jobId, attempt: 1, timeoutMs: 60_000, payload: { durationMs: 1000, exitCode: 0, output: [] } });

describe('reference executor: a payload killed by a signal it did not send', () => {
  it('while the executor stops: no outcome, the job is left to its lease', async () => {
    const { core, messages, end } = await executorWithPayload('executor-stop');
    core.receive(run('job-stop'));
    await until('the payload started', () => messages.some((m) => m.type === 'started'));
    // the group's SIGTERM reaches the payload first, the executor's own handler a moment later
    end({ kind: 'exited', code: null, signal: 'SIGTERM', output: '' });
    await new Promise((r) => setTimeout(r, 20));
    await core.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(messages.filter((m) => m.type === 'outcome')).toEqual([]);
    const events = await eventsOf('job-stop');
    expect(events.length).toBe(1); // its `running`, no outcome
    expect(events[0]).toContain('running');
  });

  it('while the executor carries on: failed, exit 128 + signal', async () => {
    const { core, messages, end } = await executorWithPayload('executor-on');
    core.receive(run('job-on'));
    await until('the payload started', () => messages.some((m) => m.type === 'started'));
    end({ kind: 'exited', code: null, signal: 'SIGKILL', output: '' });
    await until('the outcome', () => messages.some((m) => m.type === 'outcome'));
    expect(messages.find((m) => m.type === 'outcome')).toMatchObject({ jobId: 'job-on', state: 'failed' });
    const events = await eventsOf('job-on');
    expect(events.length).toBe(2);
    expect(events[1]).toContain('137');
    await core.stop('test over');
  });
});
