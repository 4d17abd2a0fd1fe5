// Crash points and new-consumer rejoins in simulation: a kill that lands the moment a role's n-th
// command has run in Redis, before its reply, recorded at that instant as a kill with its trigger;
// and a worker healed under a new consumer name, whose held job another consumer must take over.
import { describe, expect, it } from 'vitest';
import { checkRun } from '../../harness/checkers/index.ts';
import type { NemesisEntry } from '../../harness/history/types.ts';
import type { RunPlan } from '../../harness/runner/run.ts';
import { simRunOnce } from '../../harness/sim/run.ts';
import { reference } from '../../harness/systems/reference.ts';

const job = (durationMs: number) => ({ description: 'step', payload: { durationMs, exitCode: 0, output: ['done'] }, timeoutMs: 20_000 });
const shape = { workers: 2, keepers: 1, leaseMs: 2000, bugs: [] };
const workload = { tasks: [0, 100, 200].map((atMs) => ({ atMs, description: 'jobs', jobs: [job(600), job(300)] })) };

describe('a simulated crash point', () => {
  it('fires at the watched command, is recorded as a kill at that instant, and the system recovers', async () => {
    const plan: RunPlan = {
      workload,
      schedule: [{ atMs: 50, durationMs: 1500, fault: { kind: 'crash-point', process: 'worker-1', watch: 'worker-1', command: 'XACK', nth: 1, action: 'kill' } }],
      settleMs: 8000,
    };
    const out = await simRunOnce(reference, shape, plan, 3);
    const start = out.history.find((e): e is NemesisEntry => e.kind === 'nemesis' && e.type === 'start')!;
    expect(start.outcome).toBe('ok');
    expect(start.fault).toBe('kill');
    expect(start.detail).toMatchObject({ process: 'worker-1', trigger: { watch: 'worker-1', command: 'XACK', nth: 1 } });
    // it fired later than it was armed: when worker-1 acknowledged its first job
    expect(start.t).toBeGreaterThan(50);
    const { verdicts } = checkRun(out.history);
    expect(verdicts.filter((v) => v.valid !== true).map((v) => `${v.checker}: ${v.evidence[0]?.message}`)).toEqual([]);
  }, 60_000);

  it('with `then`, stops the worker again while it recovers from its executor\'s death, and records both stops', async () => {
    const plan: RunPlan = {
      workload,
      schedule: [{
        atMs: 50, durationMs: 3000,
        fault: { kind: 'crash-point', process: 'worker-1', watch: 'worker-1-executor', command: '*', nth: 2, action: 'kill-executor', then: { watch: 'worker-1', command: 'XACK', nth: 1, action: 'kill' }, rejoin: 'new' },
      }],
      settleMs: 10_000,
    };
    const out = await simRunOnce(reference, shape, plan, 3);
    const nemesis = out.history.filter((e): e is NemesisEntry => e.kind === 'nemesis');
    const starts = nemesis.filter((e) => e.type === 'start');
    expect(starts.map((e) => [e.stepId, e.fault, e.target, e.outcome])).toEqual([[0, 'kill-executor', 'executor of worker-1', 'ok'], [1, 'kill', 'worker-1', 'ok']]);
    // the second was armed when the first fired, and fired at the worker's next acknowledgement
    expect(starts[1]!.t).toBeGreaterThan(starts[0]!.t);
    expect(starts[1]!.detail).toMatchObject({ rejoin: 'new', trigger: { watch: 'worker-1', command: 'XACK', nth: 1 } });
    // each start has its end, at the step's heal
    expect(nemesis.filter((e) => e.type === 'end').map((e) => e.stepId).sort()).toEqual([0, 1]);
    const { verdicts } = checkRun(out.history);
    expect(verdicts.filter((v) => v.valid !== true).map((v) => `${v.checker}: ${v.evidence[0]?.message}`)).toEqual([]);
  }, 60_000);

  it('is an empty step when the watched command never runs in its window', async () => {
    const plan: RunPlan = {
      workload,
      schedule: [{ atMs: 50, durationMs: 200, fault: { kind: 'crash-point', process: 'keeper-1', watch: 'keeper-1', command: 'ZADD', nth: 1, action: 'pause' } }],
      settleMs: 5000,
    };
    const out = await simRunOnce(reference, shape, plan, 3);
    const start = out.history.find((e): e is NemesisEntry => e.kind === 'nemesis' && e.type === 'start')!;
    expect(start.outcome).toBe('empty');
    expect(String(start.detail?.why)).toMatch(/keeper-1 had no 1st ZADD command/);
  }, 60_000);

  it('tells a script\'s first call on a connection (EVAL, as ioredis sends it) from the later ones (EVALSHA), as the reference system\'s command map names both', async () => {
    const named = reference.shape(shape).commands!;
    expect(named.orchestrator).toEqual(expect.arrayContaining(['EVAL', 'EVALSHA']));
    expect(named['keeper-1']).toEqual(expect.arrayContaining(['EVAL', 'EVALSHA']));
    const fired = async (process: string, command: string, nth: number) => {
      const plan: RunPlan = { workload, schedule: [{ atMs: 0, durationMs: 3000, fault: { kind: 'crash-point', process, watch: process, command, nth, action: 'pause' } }], settleMs: 5000 };
      const out = await simRunOnce(reference, shape, plan, 5);
      return out.history.find((e): e is NemesisEntry => e.kind === 'nemesis' && e.type === 'start')!.outcome;
    };
    // one connection each, never cut: one EVAL (the first submit, the first event applied), then EVALSHA
    expect(await fired('orchestrator', 'EVAL', 1)).toBe('ok');
    expect(await fired('orchestrator', 'EVAL', 2)).toBe('empty');
    expect(await fired('orchestrator', 'EVALSHA', 2)).toBe('ok');
    expect(await fired('keeper-1', 'EVAL', 1)).toBe('ok');
  }, 60_000);

  it('replays the same history from the same plan and seed', async () => {
    const plan: RunPlan = {
      workload,
      schedule: [{ atMs: 0, durationMs: 900, fault: { kind: 'crash-point', process: 'worker-2', watch: 'worker-2-executor', command: '*', nth: 7, action: 'kill-executor' } }],
      settleMs: 5000,
    };
    const digest = async () => JSON.stringify((await simRunOnce(reference, shape, plan, 11)).history);
    expect(await digest()).toBe(await digest());
  }, 60_000);
});

describe('a simulated kill healed as a new consumer', () => {
  it('leaves the dead consumer\'s job to be taken over, and every job still ends once', async () => {
    const plan: RunPlan = {
      workload: { tasks: [{ atMs: 0, description: 'long', jobs: [job(1500), job(1500)] }] },
      schedule: [{ atMs: 400, durationMs: 200, fault: { kind: 'kill', process: 'worker-1', rejoin: 'new' } }],
      settleMs: 10_000,
    };
    const out = await simRunOnce(reference, shape, plan, 5);
    const { verdicts, stats } = checkRun(out.history);
    expect(verdicts.filter((v) => v.valid !== true).map((v) => `${v.checker}: ${v.evidence[0]?.message}`)).toEqual([]);
    // the killed worker's job ran again, taken over (it was not re-read as its own pending entry)
    expect(stats.reclaimedJobs).toBeGreaterThan(0);
    expect(out.sim.logs.join('\n')).toMatch(/: reclaimed, state/);
    expect(out.sim.logs.join('\n')).not.toMatch(/own-pending/);
    // the run's logs by process, as the report writes them for a failing run: the taker's says so
    const byProcess = out.logs ?? {};
    expect(Object.values(byProcess).join('')).toMatch(/worker-\d: job \S+: reclaimed, state/);
    expect(Object.keys(byProcess).every((id) => !id.endsWith('-executor'))).toBe(true);
  }, 60_000);
});
