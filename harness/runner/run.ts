import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { RunEnvironment } from '../env/surface.ts';
import { fieldsOf, readExecutions, readFinalState, readTransitions, scanKeys } from '../history/collect.ts';
import { HistoryRecorder } from '../history/recorder.ts';
import type { ExecutionEntry, History, TransitionEntry } from '../history/types.ts';
import { healAll, playSchedule, type Schedule } from '../nemesis/index.ts';
import { Client, TERMINAL, type SubmitRequest, type Submitted } from '../workload/client.ts';
import type { SubmitStyle, Workload } from '../workload/workload.ts';

export interface RunPlan {
  workload: Workload;
  schedule: Schedule;
  /**
   * After the final heal, how long the system may go without progress (no log entry, no job
   * reaching a terminal state) before an unfinished job counts as lost: "lost" means lost, not late.
   */
  settleMs: number;
  /** the settle period never lasts longer than this after the heal, progress or not (default: max(6 × settleMs, 60 s)) */
  settleCapMs?: number;
  /** how often the client reads every task it was answered for, from the first answer until the settle period ends */
  readIntervalMs?: number;
  /** prefix of this run's Idempotency-Keys (default: random; the simulation derives it from the seed) */
  runKey?: string;
}

export interface RunOutcome {
  history: History;
  durationMs: number;
  /** time from the final heal until every job was terminal, the system was quiet, it made no progress for settleMs, or the cap */
  settleTookMs: number;
  /** the settle period ended at its cap while the system was still making progress */
  settleCapped: boolean;
  /** after the settle: reading the SUT's logs and the snapshot, the idle check */
  collectMs: number;
  /** the reset before the run (not part of durationMs), and whether it restarted the SUT processes */
  resetMs: number;
  restarted: boolean;
}

const QUIET_CHECK_MS = 400;
const SETTLE_POLL_MS = 100;
/** the job and event streams and their consumer groups (PROTOCOL.md) */
const QUEUES = [['sut:jobs', 'workers'], ['sut:events', 'keepers']] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One live run: fresh state, the workload and the nemesis schedule side by side, a final heal,
 * a settle period, then the SUT's own logs and a snapshot are added to the history. The SUT
 * processes are restarted first unless env.processesReusable says nothing is in flight in them.
 * The client keeps reading the tasks it was answered for through the faults and the settle
 * period, so the checkers can hold what the API said against the logs and the snapshot.
 */
export async function runOnce(env: RunEnvironment, plan: RunPlan): Promise<RunOutcome> {
  const resetStart = performance.now();
  const reuseProcesses = env.processesReusable;
  env.processesReusable = false; // until this run has ended idle
  const restarted = await env.reset({ reuseProcesses });
  const resetMs = performance.now() - resetStart;
  const history = new HistoryRecorder();
  // two client processes: the second sends what real clients send from a second place (the same
  // key at once, a second cancel); the first does everything else
  const client = new Client(env.transport, history, 'client-0');
  const other = new Client(env.transport, history, 'client-1');
  const runKey = plan.runKey ?? randomUUID().slice(0, 8);
  const submitted = new Map<string, string[]>(); // taskId → jobIds
  let reading = true;

  const workload = Promise.all(plan.workload.tasks.map(async (task, i) => {
    await sleep(Math.max(0, task.atMs - history.now()));
    const answers = await submitTask(client, other, { idempotencyKey: `${runKey}-${i}`, description: task.description, jobs: task.jobs }, task.submit);
    // two answers for one key name one task on a correct system; the reader follows every one
    for (const a of answers) submitted.set(a.taskId, a.jobIds);
    const res = answers[0];
    if (!res) return;
    if (task.cancel) {
      await sleep(task.cancel.afterMs);
      const jobId = res.jobIds[task.cancel.jobIndex];
      await Promise.all([client.cancel(jobId), task.cancel.twice ? other.cancel(jobId) : undefined]);
    }
  }));

  const reader = (async () => {
    while (reading) {
      await sleep(plan.readIntervalMs ?? 250);
      if (reading) await Promise.all([...submitted.keys()].map((id) => client.read(id)));
    }
  })();

  let settle: Settled;
  try {
    await Promise.all([workload, playSchedule(env, plan.schedule, history)]);
    await healAll(env);
    settle = await settleAfterHeal(env, history, plan);
  } finally {
    reading = false;
    await reader;
  }

  const collectStart = history.now();
  const { transitions, executions } = await collectRun(env, history);
  // every SUT process ended the run alive and idle: the next run may reuse them
  env.processesReusable = settle.allTerminal && (await idle(env, transitions, executions));
  const entries = [...history.entries].sort((a, b) => a.t - b.t);
  return {
    history: entries,
    durationMs: history.now(),
    settleTookMs: settle.tookMs,
    settleCapped: settle.capped,
    collectMs: history.now() - collectStart,
    resetMs,
    restarted,
  };
}

/** One task sent the way its plan says (SubmitStyle); the answers that named a task. */
async function submitTask(client: Client, other: Client, req: SubmitRequest, style: SubmitStyle = { kind: 'patient' }): Promise<Submitted[]> {
  const answered = (...xs: (Submitted | undefined)[]) => xs.filter((x): x is Submitted => x !== undefined);
  switch (style.kind) {
    case 'patient':
      return answered(await client.submit(req));
    case 'impatient':
      return answered(await client.submit(req, { timeoutMs: style.timeoutMs }));
    case 'hedged':
      return answered(await client.submit(req, { hedgeAfterMs: style.afterMs }));
    case 'two-clients':
      return answered(...(await Promise.all([client.submit(req), sleep(style.skewMs).then(() => other.submit(req))])));
  }
}

interface Settled {
  tookMs: number;
  allTerminal: boolean;
  capped: boolean;
}

/**
 * The settle period: waits, reading the system over the harness's own connection, until every
 * job of every task that exists is terminal (acknowledged or not: a task from an indeterminate
 * submission must finish too). It keeps waiting while the system makes progress (its logs grow,
 * jobs finish), until it has made none for settleMs or the cap is reached. It stops early when
 * nothing in the system can still move a job (quiet for two checks QUIET_CHECK_MS apart: a
 * terminal state overwritten by a late event looks like this).
 */
async function settleAfterHeal(env: RunEnvironment, history: HistoryRecorder, plan: RunPlan): Promise<Settled> {
  const healedAt = history.now();
  const cap = healedAt + (plan.settleCapMs ?? Math.max(6 * plan.settleMs, 60_000));
  let idleUntil = healedAt + plan.settleMs;
  let signature = '';
  let quietSince: number | undefined;
  let nextQuietCheck = healedAt + QUIET_CHECK_MS;
  for (;;) {
    const progress = await progressOf(env).catch(() => undefined);
    const now = history.now();
    if (progress) {
      if (progress.unfinished === 0) return { tookMs: now - healedAt, allTerminal: true, capped: false };
      if (progress.signature !== signature) {
        signature = progress.signature;
        idleUntil = Math.max(idleUntil, now + plan.settleMs);
      }
    }
    if (now >= idleUntil) return { tookMs: now - healedAt, allTerminal: false, capped: false };
    if (now >= cap) return { tookMs: now - healedAt, allTerminal: false, capped: true };
    if (now >= nextQuietCheck) {
      nextQuietCheck = now + QUIET_CHECK_MS;
      if (await quiescent(env).catch(() => false)) {
        if (quietSince !== undefined) return { tookMs: history.now() - healedAt, allTerminal: false, capped: false };
        quietSince = now;
      } else quietSince = undefined;
    }
    await sleep(SETTLE_POLL_MS);
  }
}

/**
 * How many jobs of the system are not terminal, and a signature that changes whenever the
 * system makes progress: a decision logged, a payload started, a job finished.
 */
async function progressOf(env: RunEnvironment): Promise<{ unfinished: number; signature: string }> {
  const jobKeys = await scanKeys(env.admin, 'sut:job:*');
  const multi = env.admin.multi();
  for (const k of jobKeys) multi.hget(k, 'state');
  multi.xlen('sut:translog').xlen('sut:executions');
  const replies = (await multi.exec()) ?? [];
  const states = replies.slice(0, jobKeys.length).map(([, v]) => String(v));
  const unfinished = states.filter((s) => !TERMINAL.has(s)).length;
  const [translog, executions] = replies.slice(jobKeys.length).map(([, v]) => Number(v));
  return { unfinished, signature: `${translog}/${executions}/${states.length - unfinished}` };
}

/** Adds the SUT's own logs (transitions, executions) and a snapshot of its state, one consistent cut read over the harness's own connection, to the history. */
export async function collectRun(env: RunEnvironment, history: HistoryRecorder): Promise<{ transitions: TransitionEntry[]; executions: ExecutionEntry[] }> {
  const { transitions, executions, snapshot } = await readFinalState(env.admin, history);
  for (const e of [...transitions, ...executions]) history.add(e);
  history.add(snapshot);
  return { transitions, executions };
}

/**
 * Nothing of this run can still reach Redis: every process is up, no job or event is pending
 * in a consumer group, and every payload execution has reported its outcome. Only then may the
 * next run reuse the processes (a paused worker's executor may still be finishing a job that
 * another worker completed long ago; its late event must not land in the next run).
 */
async function idle(env: RunEnvironment, transitions: TransitionEntry[], executions: ExecutionEntry[]): Promise<boolean> {
  if (!env.allProcessesAlive()) return false;
  if (!(await queuesDrained(env))) return false;
  const reported = new Set(transitions.filter((t) => t.source === 'executor' && t.type !== 'running').map((t) => `${t.jobId}/${t.attempt}`));
  return executions.every((e) => reported.has(`${e.jobId}/${e.attempt}`));
}

/** Nothing waits in a queue: no entry of the job or event stream is undelivered or unacknowledged, the list queue (brpop-queue) is empty. */
export async function queuesDrained(env: RunEnvironment): Promise<boolean> {
  for (const [stream, group] of QUEUES) {
    const summary = (await env.admin.xpending(stream, group).catch(() => [0])) as [number, ...unknown[]];
    if (Number(summary[0]) > 0) return false;
    if (await undelivered(env, stream, group)) return false;
  }
  return (await env.admin.llen('sut:queue')) === 0;
}

/** The stream has entries the group has not read yet. */
async function undelivered(env: RunEnvironment, stream: string, group: string): Promise<boolean> {
  let groups: unknown[];
  try {
    groups = (await env.admin.xinfo('GROUPS', stream)) as unknown[];
  } catch {
    return false; // no such stream: nothing was ever written to it
  }
  const info = groups.map((g) => fieldsOf(g as unknown[])).find((g) => g.name === group);
  if (!info) return false;
  const last = ((await env.admin.xinfo('STREAM', stream)) as unknown[]).map(String);
  const lastId = last[last.indexOf('last-generated-id') + 1];
  return compareIds(String(info['last-delivered-id']), lastId) < 0;
}

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am !== bm ? (am! < bm! ? -1 : 1) : as === bs ? 0 : as! < bs! ? -1 : 1;
}

/**
 * While settling: every process is up, no queue holds anything, every payload execution has
 * reported its outcome. Only a system whose queues the harness can see (PROTOCOL.md: the job
 * and event streams with their consumer groups) can be quiet; any other waits out the settle.
 */
export async function quiescent(env: RunEnvironment): Promise<boolean> {
  for (const [stream, group] of QUEUES) {
    const groups = (await env.admin.xinfo('GROUPS', stream).catch(() => [])) as unknown[];
    if (!groups.some((g) => fieldsOf(g as unknown[]).name === group)) return false;
  }
  const history = new HistoryRecorder();
  return idle(env, await readTransitions(env.admin, history), await readExecutions(env.admin, history));
}
