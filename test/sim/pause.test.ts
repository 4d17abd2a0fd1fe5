// A simulated pause is SIGSTOP: the role's timers freeze with its traffic (its heartbeat, its
// sleeps, ioredis's own timers), and so do its executor's and its payload's; on resume what
// came due meanwhile fires at once, as overdue timers do in a process that gets SIGCONT.
// Before, a paused role's timers still fired: its heartbeat ran (its XCLAIM queued behind the
// pause) and its payload ended in the middle of the pause.
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../harness/sim/clock.ts';
import { canPause, SIM_EPOCH_MS, warmUp } from '../../harness/sim/run.ts';
import type { Fault } from '../../harness/nemesis/types.ts';
import { Scheduler } from '../../harness/sim/scheduler.ts';
import { SimWorld } from '../../harness/sim/world.ts';
import { referenceSim } from '../../harness/systems/reference-sim.ts';
import { reference } from '../../harness/systems/reference.ts';
import * as embed from '../../system-under-test/embed.ts';

const LEASE_MS = 2000;
/** the worker's heartbeat period (worker.ts: lease / 3) */
const HEARTBEAT_MS = Math.floor(LEASE_MS / 3);

interface Sent {
  at: number;
  /** the connection's link id: `worker-1`, `worker-1-executor`, ... */
  link: string;
  command: string;
}

/** The reference system's roles, recording every command their ioredis clients send, with the virtual time it was sent at. */
function recordCommands(sent: Sent[]) {
  const connectRedis: typeof embed.connectRedis = (link, log, purpose, blockMs, extra) => {
    const client = embed.connectRedis(link, log, purpose, blockMs, extra);
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command: { name: string }, stream?: unknown) => {
      sent.push({ at: Date.now(), link: link.id, command: command.name.toUpperCase() });
      return send(command as never, stream as never);
    }) as typeof client.sendCommand;
    return client;
  };
  return { system: reference, sim: referenceSim({ ...embed, connectRedis }) };
}

async function withWorld(body: (w: { world: SimWorld; clock: VirtualClock; settle: <T>(p: Promise<T>) => Promise<T>; runFor: (ms: number) => Promise<void>; sent: Sent[] }) => Promise<void>): Promise<void> {
  await warmUp();
  const rng = xoroshiro128plus(11);
  const clock = new VirtualClock(SIM_EPOCH_MS);
  try {
    const sent: Sent[] = [];
    const world = new SimWorld({ workers: 1, keepers: 1, leaseMs: LEASE_MS, bugs: [] }, clock, () => uniformFloat64(rng), recordCommands(sent));
    const scheduler = new Scheduler(clock, world.network, world.engine);
    const settle = async <T>(p: Promise<T>): Promise<T> => {
      let done = false;
      const out = p.finally(() => (done = true));
      await scheduler.runUntil(clock.now() + 60_000, () => done);
      if (!done) throw new Error('did not settle within a virtual minute');
      return out;
    };
    const runFor = async (ms: number) => {
      await scheduler.runUntil(clock.now() + ms, () => false);
    };
    await settle(world.start());
    await body({ world, clock, settle, runFor, sent });
  } finally {
    clock.uninstall();
  }
}

describe('a simulated pause freezes the role, its timers included', () => {
  it('runs no timer of a paused worker, its executor or its payload; on resume the overdue ones fire at once', async () => {
    await withWorld(async ({ world, clock, settle, runFor, sent }) => {
      const body = JSON.stringify({ description: 'one', priority: 0, subtasks: [{ description: 'slow', payload: { durationMs: 3000, exitCode: 0, output: ['done'] }, timeoutMs: 60_000 }] });
      const res = await settle(world.transport({ method: 'POST', path: '/tasks', headers: { 'content-type': 'application/json' }, body, timeoutMs: 10_000 }));
      expect(res.status).toBe(201);
      const { jobIds } = JSON.parse(res.text) as { jobIds: string[] };

      // the payload runs, and the worker's heartbeat with it
      const started = await settle((async () => {
        while ((await world.admin.xlen('sut:executions')) === 0) await new Promise((r) => setTimeout(r, 50));
        return Date.now();
      })());
      await runFor(2 * HEARTBEAT_MS);
      expect(sent.filter((s) => s.link === 'worker-1' && s.command === 'XCLAIM' && s.at > started).length).toBeGreaterThan(0);

      const worker = world.processControl('worker-1');
      await worker.pause();
      const pausedAt = clock.now();
      // longer than the payload has left and than several heartbeats: all of it comes due while frozen
      await runFor(5000);
      const resumedAt = clock.now();
      const whileFrozen = sent.filter((s) => s.link.startsWith('worker-1') && s.at > pausedAt && s.at < resumedAt);
      expect(whileFrozen).toEqual([]);

      await worker.resume();
      await runFor(1);
      // the heartbeat that came due first fires at the instant of the resume, and so does the
      // payload's end: its executor sends the outcome event then
      const heartbeats = sent.filter((s) => s.link === 'worker-1' && s.command === 'XCLAIM' && s.at >= resumedAt);
      expect(heartbeats[0]?.at).toBe(resumedAt);
      const outcome = sent.filter((s) => s.link === 'worker-1-executor' && s.at >= pausedAt);
      expect(outcome.length).toBeGreaterThan(0);
      expect(outcome[0]!.at).toBe(resumedAt);

      // and the job ends completed, once (the lease did not lapse: nobody else took it over)
      const view = await settle((async () => {
        for (;;) {
          const r = await world.transport({ method: 'GET', path: `/tasks/${JSON.parse(res.text).taskId}`, headers: {}, timeoutMs: 10_000 });
          const task = JSON.parse(r.text) as { jobs: { jobId: string; state: string; attempt: number }[] };
          if (task.jobs.every((j) => j.state === 'completed')) return task;
          await new Promise((r) => setTimeout(r, 100));
        }
      })());
      expect(view.jobs.map((j) => j.jobId)).toEqual(jobIds);
      expect(view.jobs[0]!.attempt).toBe(1);
    });
  }, 60_000);
});

describe('canPause: which simulated runs tell their roles\' timers apart', () => {
  const step = (fault: unknown) => ({ atMs: 0, durationMs: 100, fault: fault as Fault });
  const then = { watch: 'worker-1', command: '*', nth: 1, action: 'pause' };
  it('every schedule that can pause a process, and none that cannot', () => {
    expect(canPause([step({ kind: 'pause', process: 'worker-1' })])).toBe(true);
    expect(canPause([step({ kind: 'crash-point', process: 'keeper-1', watch: 'keeper-1', command: '*', nth: 2, action: 'pause' })])).toBe(true);
    expect(canPause([step({ kind: 'crash-point', process: 'worker-1', watch: 'worker-1-executor', command: 'XACK', nth: 1, action: 'kill-executor', then })])).toBe(true);
    expect(canPause([step({ kind: 'kill-executor', worker: 'worker-1', then })])).toBe(true);
    // a kind a config added may pause in its play
    expect(canPause([step({ kind: 'acme:freeze', target: 'worker-1' })])).toBe(true);
    expect(canPause([])).toBe(false);
    expect(canPause([
      step({ kind: 'latency', link: 'worker-1', stream: 'upstream', latencyMs: 100, jitterMs: 0 }),
      step({ kind: 'kill', process: 'worker-1' }),
      step({ kind: 'kill-executor', worker: 'worker-1', then: { ...then, action: 'kill' } }),
      step({ kind: 'restart', process: 'orchestrator' }),
    ])).toBe(false);
  });
});
