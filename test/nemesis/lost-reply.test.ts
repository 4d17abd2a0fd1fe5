// A lost reply (simulation only): the moment Redis has run the watched role's n-th command, its
// link goes down before the reply gets back. The command ran once in Redis and its sender never
// heard so: ioredis resends it after the reconnect. The correct system's submit script is safe to
// run twice (it checks the task exists); a copy without that check (the mutants benchmark's
// submit-script-not-rerun-safe) enqueues the job twice and its payload runs twice.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { listMutants, materialize } from '../../harness/bench/mutants.ts';
import { checkRun } from '../../harness/checkers/index.ts';
import type { NemesisEntry } from '../../harness/history/types.ts';
import { scheduleArb } from '../../harness/nemesis/index.ts';
import type { RunPlan } from '../../harness/runner/run.ts';
import { simRunOnce } from '../../harness/sim/run.ts';
import { reference } from '../../harness/systems/reference.ts';

const cache = mkdtempSync(path.join(os.tmpdir(), 'lost-reply-test-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

const shape = { workers: 2, keepers: 1, leaseMs: 2000, bugs: [] };
// one task without an Idempotency-Key: nothing but the script itself can tell a resend from a new
// submit. (ioredis sends a script's first call on a connection as EVAL, later ones as EVALSHA.)
const plan: RunPlan = {
  workload: { tasks: [{ atMs: 100, description: 'one', keyless: true, jobs: [{ description: 'once', payload: { durationMs: 300, exitCode: 0, output: ['done'] }, timeoutMs: 20_000 }] }] },
  schedule: [{ atMs: 0, durationMs: 600, fault: { kind: 'lost-reply', link: 'orchestrator', process: 'orchestrator', watch: 'orchestrator', command: 'EVAL', nth: 1 } }],
  settleMs: 10_000,
};
/** how many times the payload of the workload's one job started (the harness's own probes after the heal are other jobs) */
const runsOfTheJob = (out: Awaited<ReturnType<typeof simRunOnce>>) => {
  const payloads = out.history.filter((e): e is Extract<typeof e, { kind: 'payload' }> => e.kind === 'payload');
  return payloads.filter((p) => p.jobId === payloads[0]?.jobId).length;
};
const failing = (out: Awaited<ReturnType<typeof simRunOnce>>) =>
  checkRun(out.history).verdicts.filter((v) => v.valid !== true).map((v) => v.checker);

describe('a lost reply, simulated', () => {
  it("cuts the watched role's link after its command ran, records a link down with its trigger, and the correct system passes", async () => {
    const out = await simRunOnce(reference, shape, plan, 3);
    const starts = out.history.filter((e): e is NemesisEntry => e.kind === 'nemesis' && e.type === 'start');
    expect(starts.map((e) => [e.fault, e.target, e.outcome])).toEqual([['down', 'link orchestrator', 'ok']]);
    expect(starts[0]!.detail).toMatchObject({ trigger: { watch: 'orchestrator', command: 'EVAL', nth: 1, reply: 'lost' } });
    expect(runsOfTheJob(out)).toBe(1);
    expect(failing(out)).toEqual([]);
  }, 60_000);

  it('makes ioredis resend the script: a copy whose script is not safe to run twice runs the payload twice', async () => {
    const mutant = listMutants().find((m) => m.name === 'submit-script-not-rerun-safe')!;
    const out = await simRunOnce(reference, { ...shape, embed: materialize(mutant, cache) }, plan, 3);
    expect(runsOfTheJob(out)).toBe(2);
    expect(failing(out)).toContain('reexecution');
  }, 60_000);

  it("draws the watched role's own link, an executor's shared link, and a second stop only of that process", () => {
    const targets = {
      links: ['orchestrator', 'worker-1', 'worker-2', 'keeper-1', 'executor'], processes: ['orchestrator', 'worker-1', 'worker-2', 'keeper-1'], workers: ['worker-1', 'worker-2'],
      executors: { 'worker-1': 'worker-1-executor', 'worker-2': 'worker-2-executor' }, sharedLinks: { executor: ['worker-1-executor', 'worker-2-executor'] }, simulated: true,
    };
    const faults = fc.sample(scheduleArb(['lost-reply'], targets, { windowMs: 1000, minDurationMs: 50, maxDurationMs: 500, maxSteps: 3 }), { seed: 4, numRuns: 300 }).flat().map((s) => s.fault);
    const seen = new Set<string>();
    for (const f of faults) {
      if (f.kind !== 'lost-reply') throw new Error(`not a lost reply: ${f.kind}`);
      expect(f.link).toBe(f.watch.endsWith('-executor') ? 'executor' : f.watch);
      expect([f.process, targets.executors[f.process as 'worker-1']]).toContain(f.watch);
      if (f.then) expect([f.process, targets.executors[f.process as 'worker-1']]).toContain(f.then.watch);
      seen.add(f.link);
    }
    expect([...seen].sort()).toEqual(['executor', 'keeper-1', 'orchestrator', 'worker-1', 'worker-2']);
    expect(faults.some((f) => f.kind === 'lost-reply' && f.then)).toBe(true);
  });
});
