// --concurrency: a library worker process runs several jobs at once, on real servers, and every
// checker still passes; the reference system's workers run one job at a time and say so.
import { afterAll, describe, expect, it } from 'vitest';
import { checkRun, CHECKERS } from '../../harness/checkers/index.ts';
import { parseOptions, UsageError } from '../../harness/config/options.ts';
import { Environment } from '../../harness/env/environment.ts';
import type { ExecutionEntry, ProbeEntry, SnapshotEntry } from '../../harness/history/types.ts';
import { runOnce } from '../../harness/runner/run.ts';
import { exampleSystem, REPO_REGISTRY } from './examples.ts';
import { checkersFor } from '../../harness/registry/index.ts';

/** the most executions of one executor running at one moment */
function mostAtOnce(executions: readonly ExecutionEntry[]): number {
  let most = 0;
  for (const e of executions) {
    const at = executions.filter((x) => x.executorId === e.executorId && x.t <= e.t && (x.endedAt === undefined || x.endedAt > e.t)).length;
    most = Math.max(most, at);
  }
  return most;
}

describe('--concurrency', () => {
  let env: Environment | undefined;
  afterAll(async () => {
    await env?.stop();
  });

  it('runs several jobs at once in one bullmq worker process, and every checker passes', async () => {
    env = await Environment.start({ system: await exampleSystem('bullmq'), workers: 1, concurrency: 3 });
    const job = { description: 'slow', payload: { durationMs: 800, exitCode: 0, output: ['x'] }, timeoutMs: 5000 };
    const out = await runOnce(env, { workload: { tasks: [{ atMs: 0, description: 'three at once', jobs: [job, job, job] }] }, schedule: [], settleMs: 3000 });
    const probeTasks = new Set(out.history.find((e): e is ProbeEntry => e.kind === 'probe')?.taskIds ?? []);
    const snapshot = out.history.filter((e): e is SnapshotEntry => e.kind === 'snapshot').at(-1)!;
    const planJobs = new Set(snapshot.tasks.filter((t) => !probeTasks.has(t.taskId)).flatMap((t) => t.jobs.map((j) => j.jobId)));
    const executions = out.history.filter((e): e is ExecutionEntry => e.kind === 'execution' && planJobs.has(e.jobId));
    expect(executions).toHaveLength(3);
    // one worker process, three payloads of 800 ms in flight together
    expect(new Set(executions.map((e) => e.executorId)).size).toBe(1);
    expect(mostAtOnce(executions)).toBe(3);
    const system = await exampleSystem('bullmq');
    const { verdicts } = checkRun(out.history, checkersFor(system.provides, CHECKERS));
    expect(verdicts.filter((v) => v.valid !== true).map((v) => `${v.checker}: ${v.evidence[0]?.message}`)).toEqual([]);
  }, 90_000);

  it('is refused for the reference system, whose workers run one job at a time', () => {
    expect(() => parseOptions(['--concurrency', '2'])).toThrow(UsageError);
    expect(() => parseOptions(['--concurrency', '2'])).toThrow(/reference system's workers run one job at a time/);
    const o = parseOptions(['--system', 'bee-queue', '--concurrency', '4'], undefined, REPO_REGISTRY);
    expect(o !== 'help' && o.suite.concurrency).toBe(4);
  });
});
