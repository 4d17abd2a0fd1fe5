// The instrumentation kit against a real redis-server: what a system writes with it is what the
// harness reads (harness/systems/evidence.ts), under the system's own key prefix, and the judge
// reads its state changes as it reads the reference system's transition log.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { legalTransitions } from '../../harness/checkers/legalTransitions.ts';
import { REDIS, requireBinary } from '../../harness/env/binaries.ts';
import { ProcessRegistry } from '../../harness/env/processes.ts';
import { RedisServer } from '../../harness/env/redis.ts';
import { HistoryRecorder } from '../../harness/history/recorder.ts';
import { evidenceKeys, instrument, PayloadTimeout, runPayload, STATE_CHANGE_LUA } from '../../harness/instrument/index.ts';
import { everyStartEnded, readAppExecutions, readAppTasks, readAppTransitions } from '../../harness/systems/evidence.ts';

const registry = new ProcessRegistry();
let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await RedisServer.start({ bin: requireBinary(REDIS), registry, aof: false });
  redis = new Redis({ host: '127.0.0.1', port: server.port, password: server.password, lazyConnect: true });
  await redis.connect();
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
  await registry.stopAll(1000);
});

describe('the instrumentation kit', () => {
  it('records a task once: a retry with the same task id keeps the first one\'s jobs', async () => {
    const kit = instrument({ prefix: 'shop:' });
    expect(await kit.recordTask(redis, 'T1', ['T1-0', 'T1-1'], 'two jobs')).toBe(true);
    expect(await kit.recordTask(redis, 'T1', ['other'], 'a retry')).toBe(false);
    expect(await kit.taskJobs(redis, 'T1')).toEqual(['T1-0', 'T1-1']);
    expect(await kit.taskJobs(redis, 'nope')).toBeUndefined();
    expect(await readAppTasks(redis, kit.keys)).toEqual([{ taskId: 'T1', idempotencyKey: 'T1', jobIds: ['T1-0', 'T1-1'] }]);
    // the default prefix sees none of it
    expect(await readAppTasks(redis)).toEqual([]);
  });

  it('numbers payload starts per job and logs their ends, as the harness reads the execution log', async () => {
    const kit = instrument({ prefix: 'exec:' });
    const history = new HistoryRecorder();
    expect(await kit.payloadStarted(redis, 'J', 'worker-1')).toBe(1);
    await kit.payloadEnded(redis, 'J', 1, 'worker-1', 'timeout');
    expect(await kit.payloadStarted(redis, 'J', 'worker-2')).toBe(2);
    expect(await everyStartEnded(redis, kit.keys)).toBe(false);
    await kit.payloadEnded(redis, 'J', 2, 'worker-2', 'completed');
    expect(await everyStartEnded(redis, kit.keys)).toBe(true);
    expect(await kit.starts(redis, ['J', 'never'])).toEqual([2, 0]);
    const read = await readAppExecutions(redis, history, kit.keys);
    expect(read.map((e) => [e.jobId, e.attempt, e.executorId, e.endedAt !== undefined])).toEqual([['J', 1, 'worker-1', true], ['J', 2, 'worker-2', true]]);
  });

  it('records state changes atomically with the state moved from, read by the judge like a transition log', async () => {
    const kit = instrument({ prefix: 'state:' });
    const history = new HistoryRecorder();
    expect(await kit.recordStateChange(redis, { jobId: 'J', to: 'running', attempt: 1, source: 'worker', sourceId: 'worker-1' })).toBe('queued');
    expect(await kit.recordStateChange(redis, { jobId: 'J', to: 'completed', attempt: 1, source: 'worker', sourceId: 'worker-1', type: 'done', exitCode: 0, output: '' })).toBe('running');
    // a finished job's outcome, on its state and its change; an empty output is an output
    expect(await redis.hgetall(`${kit.keys.statePrefix}J`)).toEqual({ state: 'completed', attempt: '1', exitCode: '0', output: '' });
    const read = await readAppTransitions(redis, history, kit.keys);
    expect(read.map((t) => [t.from, t.to, t.attempt, t.source, t.type, t.decision])).toEqual([
      ['queued', 'running', 1, 'worker', 'running', 'applied'],
      ['running', 'completed', 1, 'worker', 'done', 'applied'],
    ]);
    expect(read.map((t) => [t.exitCode, t.output])).toEqual([[null, null], [0, '']]);
    expect(legalTransitions(read).valid).toBe(true);
    // a redelivered job started again: the same state, logged as ignored, nothing changed
    const again = instrument({ prefix: 'again:' });
    await again.recordStateChange(redis, { jobId: 'K', to: 'running', attempt: 1, source: 'worker', sourceId: 'worker-1' });
    expect(await again.recordStateChange(redis, { jobId: 'K', to: 'running', attempt: 2, source: 'worker', sourceId: 'worker-2' })).toBe('running');
    const twice = await readAppTransitions(redis, history, again.keys);
    expect(twice.map((t) => [t.from, t.to, t.attempt, t.decision])).toEqual([['queued', 'running', 1, 'applied'], ['running', 'running', 2, 'ignored']]);
    expect(await redis.hget(`${again.keys.statePrefix}K`, 'attempt')).toBe('1');
    expect(legalTransitions(twice).valid).toBe(true);
    // a late event that moves a finished job back: the judge sees an illegal edge
    await kit.recordStateChange(redis, { jobId: 'J', to: 'running', attempt: 1, source: 'worker', sourceId: 'worker-2' });
    const late = legalTransitions(await readAppTransitions(redis, history, kit.keys));
    expect(late.valid).toBe(false);
    expect(late.evidence[0]?.message).toMatch(/completed.*running/);
  });

  it('gives a script of the system\'s own the same record in its atomic step (STATE_CHANGE_LUA)', async () => {
    const keys = evidenceKeys('own:');
    // the system's own script: its job hash and the kit's record, in one EVAL
    const script = `${STATE_CHANGE_LUA}
redis.call('HSET', KEYS[1], 'status', ARGV[3])
return chaos_state_change(ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'worker', 'worker-1', 'start')`;
    expect(await redis.eval(script, 1, 'own-job:J', 'own:', 'J', 'running', '1')).toBe('queued');
    expect(await redis.hget('own-job:J', 'status')).toBe('running');
    expect(await redis.hget(`${keys.statePrefix}J`, 'state')).toBe('running');
    const [t] = await readAppTransitions(redis, new HistoryRecorder(), keys);
    expect(t).toMatchObject({ jobId: 'J', from: 'queued', to: 'running', attempt: 1, type: 'start' });
  });

  it('refuses a prefix that could not be a key prefix', () => {
    expect(() => instrument({ prefix: 'my prefix ' })).toThrow(/key prefix "my prefix " may hold only/);
    expect(evidenceKeys().executions).toBe('app:executions');
  });

  it('maps the workload\'s abstract job for a handler: its lines and exit code after its duration, a timeout for one that hangs or runs too long', async () => {
    vi.useFakeTimers();
    try {
      const ok = runPayload({ durationMs: 500, exitCode: 3, output: ['a', 'b'] }, 1000);
      await vi.advanceTimersByTimeAsync(499);
      let settled = false;
      void ok.then(() => (settled = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await expect(ok).resolves.toEqual({ exitCode: 3, output: 'a\nb\n' });
      const hung = runPayload({ durationMs: 10, exitCode: 0, output: [], hang: true }, 2000);
      const slow = runPayload({ durationMs: 5000, exitCode: 0, output: [] }, 2000);
      const caught = Promise.allSettled([hung, slow]);
      await vi.advanceTimersByTimeAsync(2000);
      const [h, sl] = await caught;
      expect(h).toMatchObject({ status: 'rejected', reason: expect.any(PayloadTimeout) });
      expect(sl).toMatchObject({ status: 'rejected', reason: { message: 'timeout after 2000 ms' } });
      // nothing left behind: every timer it set is cleared
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
