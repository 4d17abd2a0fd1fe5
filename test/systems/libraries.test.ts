// Each queue library as a system under test, on real servers: its application (examples/<lib>/)
// started by the Environment, one run with completing / failing / timing-out jobs judged by the
// checkers, one short chaos scenario, and nothing left behind.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRun, CHECKERS } from '../../harness/checkers/index.ts';
import { Environment } from '../../harness/env/environment.ts';
import { pidAlive } from '../../harness/env/processes.ts';
import type { ClientEntry, ExecutionEntry, ProbeEntry, SnapshotEntry, TransitionEntry } from '../../harness/history/types.ts';
import { liveTarget, runScenario } from '../../harness/runner/property.ts';
import { runOnce, type RunPlan } from '../../harness/runner/run.ts';
import { exampleSystem } from './examples.ts';
import { checkersFor } from '../../harness/registry/index.ts';
import { workerCrash } from '../../scenarios/worker-crash.ts';

/** What differs between the libraries: what they keep of a failed job, what they record, which keys their running workers write. */
const LIBRARIES: { system: string; failedOutput: string; transitions: string[]; completed: string; housekeeping: string[] }[] = [
  {
    // BullMQ's own events stream (every job went active, then completed or failed); it keeps no
    // output for a failed job (the error's message is all it stores)
    system: 'bullmq', failedOutput: '', completed: 'completed',
    transitions: ['active:queued->running', 'active:queued->running', 'active:queued->running', 'completed:running->completed', 'failed:running->failed', 'failed:running->failed'],
    housekeeping: ['bull:chaos:stalled-check', 'bull:chaos:meta'],
  },
  {
    // what Bull's scripts publish, heard by the harness
    system: 'bull', failedOutput: '', completed: 'completed',
    transitions: ['active:queued->running', 'active:queued->running', 'active:queued->running', 'completed:running->completed', 'failed:running->failed', 'failed:running->failed'],
    housekeeping: ['bull:chaos:stalled-check', 'bull:chaos:meta'],
  },
  {
    // what bee-queue publishes (nothing when a job becomes active); it keeps the output of a
    // failed job (the worker stores it as the job's progress); the lock of its stall check
    system: 'bee-queue', failedOutput: 'oops\n', completed: 'succeeded',
    transitions: ['failed:running->failed', 'failed:running->failed', 'succeeded:running->completed'],
    housekeeping: ['bq:chaos:stallBlock'],
  },
];

let env: Environment | undefined;

const plan: RunPlan = {
  workload: {
    tasks: [
      { atMs: 0, description: 'ok', jobs: [{ description: 'prints', payload: { durationMs: 100, exitCode: 0, output: ['a', 'b'] }, timeoutMs: 5000 }] },
      { atMs: 0, description: 'exits 3', jobs: [{ description: 'fails', payload: { durationMs: 50, exitCode: 3, output: ['oops'] }, timeoutMs: 5000 }] },
      { atMs: 0, description: 'hangs', jobs: [{ description: 'times out', payload: { durationMs: 0, exitCode: 0, output: [], hang: true }, timeoutMs: 600 }] },
    ],
  },
  schedule: [],
  settleMs: 4000,
};

describe.each(LIBRARIES)('$system as a system under test', (lib) => {
  beforeAll(async () => {
    env = await Environment.start({ system: await exampleSystem(lib.system), workers: 2 });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });

  it('runs completing, failing and timing-out jobs and records them; every checker passes', async () => {
    const out = await runOnce(env!, plan);
    const snapshot = out.history.filter((e): e is SnapshotEntry => e.kind === 'snapshot').at(-1)!;
    expect(snapshot.unreadable ?? []).toEqual([]);
    const byDesc = new Map<string, SnapshotEntry['tasks'][number]>();
    const submits = out.history.filter((e): e is ClientEntry => e.kind === 'client' && e.f === 'submit' && e.type === 'invoke');
    for (const s of submits) {
      const v = s.value as { idempotencyKey: string; description: string };
      byDesc.set(v.description, snapshot.tasks.find((t) => t.idempotencyKey === v.idempotencyKey)!);
    }
    expect(byDesc.get('ok')!.jobs[0]).toMatchObject({ state: 'completed', exitCode: 0, output: 'a\nb\n', attempt: 1 });
    expect(byDesc.get('exits 3')!.jobs[0]).toMatchObject({ state: 'failed', reason: 'exit', exitCode: 3, output: lib.failedOutput, attempt: 1 });
    expect(byDesc.get('hangs')!.jobs[0]).toMatchObject({ state: 'failed', reason: 'timeout', exitCode: null, output: '', attempt: 1 });

    // the plan's own jobs, not the liveness probes' that follow the settle (the probe entry names their tasks)
    const probeTasks = new Set(out.history.find((e): e is ProbeEntry => e.kind === 'probe')?.taskIds ?? []);
    expect(probeTasks.size).toBeGreaterThan(0);
    const planJobs = new Set(snapshot.tasks.filter((t) => !probeTasks.has(t.taskId)).flatMap((t) => t.jobs.map((j) => j.jobId)));
    expect(planJobs.size).toBe(3);
    const executions = out.history.filter((e): e is ExecutionEntry => e.kind === 'execution' && planJobs.has(e.jobId));
    expect(executions).toHaveLength(3);
    expect(executions.every((e) => e.endedAt !== undefined && e.endedAt >= e.t)).toBe(true);
    const transitions = out.history.filter((e): e is TransitionEntry => e.kind === 'transition' && planJobs.has(e.jobId));
    expect(transitions.map((t) => `${t.type}:${t.from}->${t.to}`).sort()).toEqual(lib.transitions);
    expect(transitions.find((t) => t.type === lib.completed)).toMatchObject({ exitCode: 0, output: 'a\nb\n', source: 'library' });
    expect(transitions.filter((t) => t.type === 'failed').map((t) => t.reason).sort()).toEqual(['exit', 'timeout']);

    const reads = out.history.filter((e): e is ClientEntry => e.kind === 'client' && e.f === 'read' && e.type === 'ok');
    expect(reads.length).toBeGreaterThan(0);
    const lastRead = reads.at(-1)!.value as { jobs: { state: string }[] };
    expect(lastRead.jobs.length).toBe(1);

    const system = await exampleSystem(lib.system);
    // a library provides an executions log only: the checkers of a transition log, a running set and task statuses do not judge it
    const { verdicts } = checkRun(out.history, checkersFor(system.provides, CHECKERS));
    expect(verdicts.map((v) => [v.checker, v.valid])).toEqual(['terminalStable', 'snapshotStable', 'totalQueue', 'outputIntegrity', 'payloadOutcome', 'reexecution', 'progress', 'backAfterHeal'].map((c) => [c, true]));
  }, 60_000);

  it('runs a short worker-crash scenario to a verdict', async () => {
    const result = await runScenario(liveTarget(env!), workerCrash, { runs: 2, seed: 1 });
    // report what it is: the library passing or failing is the finding, not the test's business
    console.log(`worker-crash on ${lib.system}: verdict ${result.verdict}; runs ${result.records.map((r) => `${r.outcome}[${r.verdicts.filter((v) => v.valid !== true).map((v) => `${v.checker}=${v.valid}`).join(',')}]`).join(' ')}`);
    expect(result.verdict).not.toBe('incomplete');
  }, 90_000);

  it('leaves nothing behind: an empty Redis after reset, no process after stop', async () => {
    await runOnce(env!, { ...plan, workload: { tasks: plan.workload.tasks.slice(0, 1) } });
    await env!.reset({ reuseProcesses: false });
    // nothing of the run is left: the only keys are the ones the restarted processes write at
    // once (a queue's meta hash, the lock of a stall check), none of a job or of the app
    const keys = await env!.admin.keys('*');
    expect(keys.filter((k) => !lib.housekeeping.includes(k))).toEqual([]);
    // with the workers gone and Redis flushed, nothing comes back
    await Promise.all(env!.parts.workers.map((id) => env!.process(id).kill()));
    await env!.admin.flushall();
    await new Promise((r) => setTimeout(r, env!.options.leaseMs));
    expect(await env!.admin.dbsize()).toBe(0);
    const pids = env!.registry.startedPids();
    const redisDir = env!.redis.dir;
    await env!.stop();
    env = undefined;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && pids.some(pidAlive)) await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(pidAlive)).toEqual([]);
    expect(existsSync(redisDir)).toBe(false);
  }, 60_000);
});
