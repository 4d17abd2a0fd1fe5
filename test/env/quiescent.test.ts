// The settle period ends early only when nothing in the system can still move a job: these
// cases put the real reference system in states where it is busy and where it is quiet.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Environment } from '../../harness/env/environment.ts';
import { HistoryRecorder } from '../../harness/history/recorder.ts';
import { quiescent } from '../../harness/runner/run.ts';
import { Client } from '../../harness/workload/client.ts';
import { reference } from '../../harness/systems/reference.ts';

let env: Environment;
let client: Client;

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function submitOne(durationMs: number): Promise<string> {
  const res = await client.submit({
    idempotencyKey: randomUUID(),
    description: 'quiet',
    jobs: [{ description: 'job', payload: { durationMs, exitCode: 0, output: ['ok'] }, timeoutMs: 10_000 }],
  });
  if (!res) throw new Error('submission failed');
  return res.jobIds[0]!;
}

const stateOf = async (jobId: string) => env.admin.hget(`sut:job:${jobId}`, 'state');

describe('quiescent: nothing queued, pending or executing', () => {
  beforeAll(async () => {
    env = await Environment.start({ system: reference, workers: 1, keepers: 1 });
    client = new Client(env.orchestratorUrl, new HistoryRecorder());
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });

  it('is quiet when idle, busy while a job runs, quiet again once it is terminal', async () => {
    await waitFor('an idle system', () => quiescent(env));
    const jobId = await submitOne(1500);
    await waitFor('the job to run', async () => (await stateOf(jobId)) === 'running');
    expect(await quiescent(env)).toBe(false);
    await waitFor('the job to complete', async () => (await stateOf(jobId)) === 'completed');
    await waitFor('a quiet system', () => quiescent(env));
  });

  it('is busy while an event waits for a stopped keeper', async () => {
    const keeper = env.process(env.parts.keepers[0]!);
    keeper.signal('SIGSTOP');
    try {
      const jobId = await submitOne(0);
      // the worker has reported and acknowledged the job; its outcome waits in the event stream
      await waitFor('the outcome event', async () => (await env.admin.xlen('sut:executions')) > 0 && Number(((await env.admin.xpending('sut:jobs', 'workers')) as [number])[0]) === 0);
      expect(await stateOf(jobId)).not.toBe('completed');
      expect(await quiescent(env)).toBe(false);
    } finally {
      keeper.signal('SIGCONT');
    }
    await waitFor('a quiet system', () => quiescent(env));
  });

  it('is quiet when a job was left non-terminal and nothing can move it (what a lost terminal state looks like)', async () => {
    const jobId = await submitOne(0);
    await waitFor('the job to complete', async () => (await stateOf(jobId)) === 'completed');
    await waitFor('a quiet system', () => quiescent(env));
    await env.admin.hset(`sut:job:${jobId}`, 'state', 'running');
    expect(await quiescent(env)).toBe(true);
  });

  it('is busy while a process is down', async () => {
    const worker = env.process(env.parts.workers[0]!);
    await worker.kill();
    try {
      expect(await quiescent(env)).toBe(false);
    } finally {
      await env.healProcesses();
    }
    await waitFor('a quiet system', () => quiescent(env));
  });

  // last: it wipes the system's queues
  it('is never quiet when it cannot see the queues (a system without the job and event streams)', async () => {
    await waitFor('a quiet system', () => quiescent(env));
    // The reference roles re-create a consumer group the moment they see it gone, so they are
    // stopped while the streams are missing; otherwise this would test how fast they recover.
    const roles = [...env.parts.workers, ...env.parts.keepers].map((id) => env.process(id));
    for (const p of roles) p.signal('SIGSTOP');
    try {
      await env.admin.flushall();
      expect(await env.admin.exists('sut:jobs', 'sut:events')).toBe(0);
      expect(await quiescent(env)).toBe(false);
    } finally {
      for (const p of roles) p.signal('SIGCONT');
    }
  });
});
