// Liveness after the heal, in simulation: a worker that goes deaf after a reconnect (its blocking
// read is lost and never issued again: the failure BullMQ's worker watchdog exists for) while the
// other worker drains the queue passes every checker but `progress`. The same run without the
// wedge passes `progress` too, after one short probe round.
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { checkRun } from '../../harness/checkers/index.ts';
import type { History } from '../../harness/history/types.ts';
import { runOnce, type RunOutcome, type RunPlan } from '../../harness/runner/run.ts';
import { VirtualClock } from '../../harness/sim/clock.ts';
import { SIM_EPOCH_MS, warmUp } from '../../harness/sim/run.ts';
import { Scheduler } from '../../harness/sim/scheduler.ts';
import { SimWorld } from '../../harness/sim/world.ts';
import { referenceSim } from '../../harness/systems/reference-sim.ts';
import { reference } from '../../harness/systems/reference.ts';
import * as embed from '../../system-under-test/embed.ts';

const shape = { workers: 2, keepers: 1, leaseMs: 2000, bugs: [] };
const job = (durationMs: number) => ({ description: 'step', payload: { durationMs, exitCode: 0, output: ['done'] }, timeoutMs: 20_000 });
/** five short tasks around a 400 ms cut of worker-2's link */
const plan: RunPlan = {
  workload: { tasks: [0, 100, 200, 900, 1000].map((atMs, i) => ({ atMs, description: `t${i}`, jobs: [job(200)] })) },
  schedule: [{ atMs: 300, durationMs: 400, fault: { kind: 'down', link: 'worker-2' } }],
  settleMs: 3000,
};

/**
 * worker-2's blocking connection (its XREADGROUP BLOCK) once it has reconnected: a read in flight
 * or sent later never settles, as when a client re-sends a blocking command after a reconnect and
 * the reply is never matched to it. Nothing else of the worker changes.
 */
const deafAfterReconnect: typeof embed.connectRedis = (link, log, purpose, blockMs, extra) => {
  const client = embed.connectRedis(link, log, purpose, blockMs, extra);
  if (link.id !== 'worker-2' || purpose !== 'blocking') return client;
  let deaf = false;
  client.on('reconnecting', () => (deaf = true));
  const call = client.call.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const never = new Promise<never>(() => undefined);
  (client as unknown as { call: (...args: unknown[]) => Promise<unknown> }).call = (...args) =>
    args[0] === 'XREADGROUP' ? (deaf ? never : call(...args).then((r) => (deaf ? never : r))) : call(...args);
  return client;
};

/** One simulated run as harness/sim/run.ts does it, the roles' connections made by `connectRedis`. */
async function simulate(connectRedis: typeof embed.connectRedis = embed.connectRedis): Promise<RunOutcome> {
  await warmUp();
  const rng = xoroshiro128plus(7);
  const clock = new VirtualClock(SIM_EPOCH_MS);
  try {
    const world = new SimWorld(shape, clock, () => uniformFloat64(rng), { system: reference, sim: referenceSim({ ...embed, connectRedis }) });
    const scheduler = new Scheduler(clock, world.network, world.engine);
    let outcome: RunOutcome | undefined;
    let failure: unknown;
    let finished = false;
    void world.start().then(() => runOnce(world, { ...plan, runKey: 'live' }))
      .then((o) => (outcome = o), (e: unknown) => (failure = e)).finally(() => (finished = true));
    await scheduler.runUntil(SIM_EPOCH_MS + 10 * 60_000, () => finished);
    let stopped = false;
    void world.stop().finally(() => (stopped = true));
    await scheduler.runUntil(clock.now() + 60_000, () => stopped);
    if (!finished) throw new Error(`simulated run did not end; last log: ${world.logs.slice(-3).join(' | ')}`);
    if (failure !== undefined) throw failure;
    return outcome!;
  } finally {
    clock.uninstall();
  }
}

const verdicts = (history: History) => Object.fromEntries(checkRun(history).verdicts.map((v) => [v.checker, v]));

describe('liveness after the heal (simulated)', () => {
  it('fails progress, and only progress, when worker-2 goes deaf after a reconnect while worker-1 drains the queue', async () => {
    const { history } = await simulate(deafAfterReconnect);
    // worker-2 worked before the cut and never after it: the other worker ran every task
    const starts = history.filter((e) => e.kind === 'execution');
    expect(starts.filter((e) => e.executorId === 'worker-2-executor' && e.t < 300).length).toBeGreaterThan(0);
    expect(starts.filter((e) => e.executorId === 'worker-2-executor' && e.t > 700)).toEqual([]);
    const v = verdicts(history);
    const failing = Object.values(v).filter((x) => x.valid !== true).map((x) => x.checker);
    expect(failing).toEqual(['progress']);
    expect(v.progress!.evidence).toHaveLength(1);
    expect(v.progress!.evidence[0]!.message).toMatch(/^worker-2 \(executor worker-2-executor\) started and finished no job between t=\d+(\.\d+)?ms, when probing began/);
  }, 60_000);

  it('passes progress on the same run without the wedge, after one probe round', async () => {
    const { history } = await simulate();
    const v = verdicts(history);
    expect(Object.values(v).filter((x) => x.valid !== true).map((x) => x.checker)).toEqual([]);
    const probe = history.find((e) => e.kind === 'probe');
    expect(probe).toMatchObject({ workers: ['worker-1', 'worker-2'], rounds: 1 });
    expect(probe!.kind === 'probe' && probe!.endedAt - probe!.t).toBeLessThan(1000);
  }, 60_000);
});
