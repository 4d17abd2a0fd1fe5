// The library applications in simulation (examples/<library>/sim.ts through harness/sim/embedding.ts):
// each library's own code and its own Lua scripts, on the in-process Redis and the virtual clock.
// A run with no fault finishes every job and passes every checker; the same seed and plan give the
// same history, bit for bit, whatever ran before in the process (the libraries' lock tokens come
// from the run's seed).
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { CHECKERS, checkRun } from '../../harness/checkers/index.ts';
import { checkersFor } from '../../harness/registry/applies.ts';
import { DEFAULT_ENV_OPTIONS } from '../../harness/env/environment.ts';
import type { RunPlan } from '../../harness/runner/run.ts';
import { simRunOnce } from '../../harness/sim/run.ts';
import { bull } from '../../examples/bull/system.ts';
import { bullmq } from '../../examples/bullmq/system.ts';
import { beeQueue } from '../../examples/bee-queue/system.ts';

const job = (durationMs: number, exitCode = 0) => ({ description: 'step', payload: { durationMs, exitCode, output: ['done'] }, timeoutMs: 20_000 });
const shape = { ...DEFAULT_ENV_OPTIONS, workers: 2, keepers: 0 };
const calm: RunPlan = {
  workload: { tasks: [0, 100, 400].map((atMs, i) => ({ atMs, description: `t${i}`, jobs: [job(200), job(50, i === 1 ? 3 : 0)] })) },
  schedule: [],
  settleMs: 8000,
};
const faulted: RunPlan = {
  ...calm,
  schedule: [{ atMs: 150, durationMs: 600, fault: { kind: 'down', link: 'worker-1' } }, { atMs: 300, durationMs: 400, fault: { kind: 'kill', process: 'worker-2' } }],
};
const digest = (h: unknown[]) => createHash('sha256').update(JSON.stringify(h)).digest('hex');

describe.each([bull, bullmq, beeQueue])('$name in simulation', (system) => {
  it('runs every job of a calm run to its end, and every checker passes', async () => {
    const { history } = await simRunOnce(system, shape, calm, 1);
    // the checkers the system's evidence feeds, as a suite runs them (bee-queue publishes no job becoming active: no transition log)
    const { verdicts } = checkRun(history, checkersFor(system.provides, CHECKERS));
    expect(verdicts.filter((v) => v.valid !== true).map((v) => `${v.checker}: ${v.evidence[0]?.message}`)).toEqual([]);
    // the library published every job's end (its events are the log the checkers read); the liveness probe's own jobs aside
    const ends = history.filter((e) => e.kind === 'transition' && !e.jobId.includes('-probe-') && (e.to === 'completed' || e.to === 'failed'));
    expect(ends).toHaveLength(6);
    expect(ends.filter((e) => e.kind === 'transition' && e.to === 'failed')).toHaveLength(1);
  }, 60_000);

  it('replays a faulted run bit for bit, forwards and after other runs', async () => {
    const first = digest((await simRunOnce(system, shape, faulted, 7)).history);
    await simRunOnce(system, shape, calm, 3);
    expect(digest((await simRunOnce(system, shape, faulted, 7)).history)).toBe(first);
    expect(digest((await simRunOnce(system, shape, faulted, 8)).history)).not.toBe(first);
  }, 60_000);
});
