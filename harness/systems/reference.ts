// The reference system (system-under-test/): an orchestrator behind the client link, N workers
// each with its own link (and one `executor` link shared by their executors), K keepers. Its
// history is its own logs (sut:translog, sut:executions) and a snapshot of its keys
// (PROTOCOL.md), read over the harness's own connection.

import type { Redis } from 'ioredis';
import { sutCommand } from '../env/sut.ts';
import { keeperIds, linkNames, workerIds } from '../env/shape.ts';
import { fieldsOf, readExecutions, readFinalState, readTransitions, scanKeys } from '../history/collect.ts';
import { HistoryRecorder } from '../history/recorder.ts';
import type { ExecutionEntry, TransitionEntry } from '../history/types.ts';
import { TERMINAL } from '../workload/client.ts';
import type { ProcessSpec, Progress, SystemModule, SystemShape, StartContext } from './types.ts';

/** the job and event streams and their consumer groups (PROTOCOL.md) */
const QUEUES = [['sut:jobs', 'workers'], ['sut:events', 'keepers']] as const;

/** PROTOCOL.md `--consumer`: the n-th new consumer name of a worker or keeper (`worker-1.2`; the SUT takes letters, digits, _ . : -) */
export const consumerName = (id: string, n: number) => `${id}.${n}`;
const newConsumer = (id: string) => (n: number) => ['--consumer', consumerName(id, n)];

export const reference: SystemModule = {
  name: 'reference',
  label: 'reference system (system-under-test/)',
  settings: 'lease (XAUTOCLAIM idle time) = --lease-ms; Redis: appendonly as each scenario asks (redis-restart, mixed, explore: yes, fsync always)',
  provides: {
    capabilities: ['keepers', 'executors', 'event-sources', 'consumer-names', 'cancels', 'planted-bugs', 'simulation', 'containers'],
    evidence: ['transition-log', 'running-set', 'task-status', 'executions-log', 'event-queue'],
  },
  evidence: { transitionLog: 'sut:translog', runningSet: 'sut:running', executionsLog: 'sut:executions' },
  // its roles' own code through its embedding seam (system-under-test/embed.ts)
  simulation: async (o) => (await import('./reference-sim.ts')).loadReferenceSim(o),

  shape({ workers, keepers }): SystemShape {
    const ws = workerIds(workers);
    // PROTOCOL.md: a worker's executor is `<worker id>-executor`; all of them share the `executor` link
    const executors = Object.fromEntries(ws.map((w) => [w, `${w}-executor`]));
    const ks = keeperIds(keepers);
    // what each role sends in its steps (measured in simulated runs), for crash points that wait for one by name;
    // a script's first call on a connection (after each reconnect too) goes as EVAL, later ones as EVALSHA (ioredis)
    const commands: Record<string, readonly string[]> = {
      orchestrator: ['EVAL', 'EVALSHA', 'MULTI', 'EXEC', 'HGETALL'],
      ...Object.fromEntries(ws.map((w) => [w, ['XREADGROUP', 'XAUTOCLAIM', 'HMGET', 'INCR', 'XADD', 'XACK', 'XCLAIM']])),
      ...Object.fromEntries(Object.values(executors).map((x) => [x, ['XADD', 'EXISTS']])),
      ...Object.fromEntries(ks.map((k) => [k, ['XREADGROUP', 'EVAL', 'EVALSHA', 'XAUTOCLAIM']])),
    };
    return { frontDoor: 'orchestrator', workers: ws, keepers: ks, links: linkNames(workers, keepers), executors, sharedLinks: { executor: Object.values(executors) }, commands };
  },

  processes(shape: SystemShape, ctx: StartContext): ProcessSpec[] {
    const bugs = ctx.bugs.length ? ['--bugs', ctx.bugs.join(',')] : [];
    const redisArgs = (link: string) => ['--redis-port', String(ctx.linkPort(link)), ...bugs];
    const spec = (role: string, id: string, args: string[]): ProcessSpec => ({ id, role, argv: [...sutCommand(), role, '--id', id, ...args] });
    return [
      spec('orchestrator', 'orchestrator', [...redisArgs('orchestrator'), '--http-port', String(ctx.httpPort)]),
      ...shape.workers.map((id) => ({ ...spec('worker', id, [...redisArgs(id), '--executor-redis-port', String(ctx.linkPort('executor')), '--lease-ms', String(ctx.leaseMs)]), rejoinArgs: newConsumer(id) })),
      ...shape.keepers.map((id) => ({ ...spec('keeper', id, redisArgs(id)), rejoinArgs: newConsumer(id) })),
    ];
  },

  readFinalState: (admin, history) => readFinalState(admin, history),
  progress: progressOf,

  /**
   * No queue holds anything and every payload execution has reported its outcome. Only a
   * system whose queues the harness can see (the job and event streams with their consumer
   * groups) can be quiet; before the groups exist it is not.
   */
  async quiescent(admin: Redis): Promise<boolean> {
    for (const [stream, group] of QUEUES) {
      const groups = (await admin.xinfo('GROUPS', stream).catch(() => [])) as unknown[];
      if (!groups.some((g) => fieldsOf(g as unknown[]).name === group)) return false;
    }
    const history = new HistoryRecorder();
    return idle(admin, await readTransitions(admin, history), await readExecutions(admin, history));
  },

  idle,

  /**
   * PROTOCOL.md's timers on the way from a heal to a job read: a connection whose command a link
   * swallowed is dropped after 15 s of silence (its socket timeout, plus the 1 s its blocking read
   * may wait: the worker's XREADGROUP BLOCK 1000), then reopened within the 50..500 ms retry; its
   * read is resent at once. The worker, its executor and the keepers each wait this out on their
   * own connection side by side, so it is counted once. New work needs no lease: only a crashed
   * worker's job waits for one.
   */
  livenessBoundMs: () => 15_000 + 1_000 + 500,
  // PROTOCOL.md: an executor polls a running job's cancel flag every 100 ms and kills its payload
  // (system-under-test/executor.ts CANCEL_POLL_MS, held equal by test/checkers/cancelEffective.test.ts)
  cancelWithinMs: 100,
  // PROTOCOL.md: an event pending longer than --reclaim-ms (5,000) on a keeper, dead or alive, is
  // taken over by XAUTOCLAIM in a reclaim round; a keeper runs one at most every 1,000 ms, between
  // blocking reads of up to 1,000 ms (event-transport.ts), and decides what it took at once. After
  // a heal, its connection may first need the reconnect path livenessBoundMs names (16.5 s).
  eventsDecidedWithinMs: 15_000 + 1_000 + 500 + 5_000 + 1_000 + 1_000 + 500,
  // PROTOCOL.md: commands wait through reconnects (retry every 50..500 ms) and are resent after
  // one. Once every part is healed no connection is left stuck (the 15 s socket timeout is for a
  // link that swallows data while it lasts), so the orchestrator's connection is back within one
  // retry, and a request is answered after the reconnect's handshake and its own few commands
  // (1.5 s allowed for those on a busy machine).
  recoveryWithinMs: 500 + 1_500,
  // PROTOCOL.md: a worker INCRs sut:attempts:{jobId} on every delivery; (jobId, attempt) identifies a start
  attemptPerStart: true,
};

/**
 * How many jobs are not terminal, and a signature that changes whenever the system makes
 * progress: a decision logged, a payload started, a job finished.
 */
async function progressOf(admin: Redis): Promise<Progress> {
  const jobKeys = await scanKeys(admin, 'sut:job:*');
  const multi = admin.multi();
  for (const k of jobKeys) multi.hget(k, 'state');
  multi.xlen('sut:translog').xlen('sut:executions');
  const replies = (await multi.exec()) ?? [];
  const states = replies.slice(0, jobKeys.length).map(([, v]) => String(v));
  const unfinished = states.filter((s) => !TERMINAL.has(s)).length;
  const [translog, executions] = replies.slice(jobKeys.length).map(([, v]) => Number(v));
  return { unfinished, signature: `${translog}/${executions}/${states.length - unfinished}` };
}

/**
 * Nothing of this run can still reach Redis: no job or event is pending in a consumer group,
 * and every payload execution has reported its outcome (a paused worker's executor may still be
 * finishing a job another worker completed long ago; its late event must not land in the next run).
 */
async function idle(admin: Redis, transitions: TransitionEntry[], executions: ExecutionEntry[]): Promise<boolean> {
  if (!(await queuesDrained(admin))) return false;
  const reported = new Set(transitions.filter((t) => t.source === 'executor' && t.type !== 'running').map((t) => `${t.jobId}/${t.attempt}`));
  return executions.every((e) => reported.has(`${e.jobId}/${e.attempt}`));
}

/** Nothing waits in a queue: no entry of the job or event stream is undelivered or unacknowledged, the list queue (brpop-queue) is empty. */
export async function queuesDrained(admin: Redis): Promise<boolean> {
  for (const [stream, group] of QUEUES) {
    const summary = (await admin.xpending(stream, group).catch(() => [0])) as [number, ...unknown[]];
    if (Number(summary[0]) > 0) return false;
    if (await undelivered(admin, stream, group)) return false;
  }
  return (await admin.llen('sut:queue')) === 0;
}

/** The stream has entries the group has not read yet. */
async function undelivered(admin: Redis, stream: string, group: string): Promise<boolean> {
  let groups: unknown[];
  try {
    groups = (await admin.xinfo('GROUPS', stream)) as unknown[];
  } catch {
    return false; // no such stream: nothing was ever written to it
  }
  const info = groups.map((g) => fieldsOf(g as unknown[])).find((g) => g.name === group);
  if (!info) return false;
  const last = ((await admin.xinfo('STREAM', stream)) as unknown[]).map(String);
  const lastId = last[last.indexOf('last-generated-id') + 1];
  return compareIds(String(info['last-delivered-id']), lastId) < 0;
}

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am !== bm ? (am! < bm! ? -1 : 1) : as === bs ? 0 : as! < bs! ? -1 : 1;
}
