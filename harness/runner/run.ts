import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Environment } from '../env/environment.ts';
import { fieldsOf, readExecutions, readTransitions } from '../history/collect.ts';
import { HistoryRecorder } from '../history/recorder.ts';
import type { ExecutionEntry, History, SnapshotEntry, TaskView, TransitionEntry } from '../history/types.ts';
import { healAll, playSchedule, type Schedule } from '../nemesis/index.ts';
import { Client, TERMINAL } from '../workload/client.ts';
import type { Workload } from '../workload/workload.ts';

export interface RunPlan {
  workload: Workload;
  schedule: Schedule;
  /** after the final heal, how long jobs may take to reach a terminal state before they count as lost */
  settleMs: number;
  /** how often the client reads every task it submitted while faults are active */
  readIntervalMs?: number;
}

export interface RunOutcome {
  history: History;
  durationMs: number;
  /** time from the final heal until every acknowledged job was terminal, the system was quiet, or settleMs ran out */
  settleTookMs: number;
  /** after the settle: reading the SUT's logs, the snapshot, the idle check */
  collectMs: number;
  /** the reset before the run (not part of durationMs), and whether it restarted the SUT processes */
  resetMs: number;
  restarted: boolean;
}

const SNAPSHOT_READS_IN_FLIGHT = 16;
const QUIET_CHECK_MS = 400;
/** the job and event streams and their consumer groups (PROTOCOL.md) */
const QUEUES = [['sut:jobs', 'workers'], ['sut:events', 'keepers']] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One live run: fresh state, the workload and the nemesis schedule side by side, a final heal,
 * a settle period, then the SUT's own logs and a snapshot are added to the history. The SUT
 * processes are restarted first unless env.processesReusable says nothing is in flight in them.
 */
export async function runOnce(env: Environment, plan: RunPlan): Promise<RunOutcome> {
  const resetStart = performance.now();
  const reuseProcesses = env.processesReusable;
  env.processesReusable = false; // until this run has ended idle
  const restarted = await env.reset({ reuseProcesses });
  const resetMs = performance.now() - resetStart;
  const history = new HistoryRecorder();
  const client = new Client(env.orchestratorUrl, history);
  const runKey = randomUUID().slice(0, 8);
  const submitted = new Map<string, string[]>(); // taskId → jobIds
  let workloadDone = false;

  const workload = Promise.all(plan.workload.tasks.map(async (task, i) => {
    await sleep(Math.max(0, task.atMs - history.now()));
    const res = await client.submit({ idempotencyKey: `${runKey}-${i}`, description: task.description, jobs: task.jobs });
    if (!res) return;
    submitted.set(res.taskId, res.jobIds);
    if (task.cancel) {
      await sleep(task.cancel.afterMs);
      await client.cancel(res.jobIds[task.cancel.jobIndex]);
    }
  })).finally(() => (workloadDone = true));

  const reader = (async () => {
    while (!workloadDone) {
      await sleep(plan.readIntervalMs ?? 250);
      await Promise.all([...submitted.keys()].map((id) => client.read(id)));
    }
  })();

  await Promise.all([workload, playSchedule(env, plan.schedule, history), reader]);
  await healAll(env);

  // settle: every acknowledged job gets its chance to finish, so "lost" means lost, not late
  const healedAt = history.now();
  const deadline = healedAt + plan.settleMs;
  let pending = [...submitted.keys()];
  let quietSince: number | undefined;
  let nextQuietCheck = history.now() + QUIET_CHECK_MS;
  while (pending.length > 0 && history.now() < deadline) {
    const views = await Promise.all(pending.map((id) => client.read(id)));
    pending = pending.filter((_, i) => !views[i] || !views[i]!.jobs.every((j) => TERMINAL.has(j.state)));
    if (pending.length === 0) break;
    // A job that is not terminal while nothing in the system can still move it will never be:
    // waiting out the rest of the settle period only delays the verdict (a terminal state
    // overwritten by a late event looks like this). Quiet must hold across two checks.
    if (history.now() >= nextQuietCheck) {
      nextQuietCheck = history.now() + QUIET_CHECK_MS;
      if (await quiescent(env)) {
        if (quietSince !== undefined) break;
        quietSince = history.now();
      } else quietSince = undefined;
    }
    await sleep(100);
  }
  const settleTookMs = history.now() - healedAt;

  const collectStart = history.now();
  const { transitions, executions } = await collectRun(env, client, history);
  // every SUT process ended the run alive and idle: the next run may reuse them
  env.processesReusable = pending.length === 0 && (await idle(env, transitions, executions));
  const entries = [...history.entries].sort((a, b) => a.t - b.t);
  return { history: entries, durationMs: history.now(), settleTookMs, collectMs: history.now() - collectStart, resetMs, restarted };
}

/** Adds the SUT's own logs (transitions, executions) and a snapshot of every task to the history. */
export async function collectRun(env: Environment, client: Client, history: HistoryRecorder): Promise<{ transitions: TransitionEntry[]; executions: ExecutionEntry[] }> {
  const [transitions, executions] = await Promise.all([readTransitions(env.admin, history), readExecutions(env.admin, history)]);
  for (const e of [...transitions, ...executions]) history.add(e);
  history.add(await snapshot(env, client, history));
  return { transitions, executions };
}

/**
 * Nothing of this run can still reach Redis: every process is up, no job or event is pending
 * in a consumer group, and every payload execution has reported its outcome. Only then may the
 * next run reuse the processes (a paused worker's executor may still be finishing a job that
 * another worker completed long ago; its late event must not land in the next run).
 */
async function idle(env: Environment, transitions: TransitionEntry[], executions: ExecutionEntry[]): Promise<boolean> {
  if ([...env.sut.values()].some((p) => !p.alive())) return false;
  if (!(await queuesDrained(env))) return false;
  const reported = new Set(transitions.filter((t) => t.source === 'executor' && t.type !== 'running').map((t) => `${t.jobId}/${t.attempt}`));
  return executions.every((e) => reported.has(`${e.jobId}/${e.attempt}`));
}

/** Nothing waits in a queue: no entry of the job or event stream is undelivered or unacknowledged, the list queue (brpop-queue) is empty. */
export async function queuesDrained(env: Environment): Promise<boolean> {
  for (const [stream, group] of QUEUES) {
    const summary = (await env.admin.xpending(stream, group).catch(() => [0])) as [number, ...unknown[]];
    if (Number(summary[0]) > 0) return false;
    if (await undelivered(env, stream, group)) return false;
  }
  return (await env.admin.llen('sut:queue')) === 0;
}

/** The stream has entries the group has not read yet. */
async function undelivered(env: Environment, stream: string, group: string): Promise<boolean> {
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
export async function quiescent(env: Environment): Promise<boolean> {
  for (const [stream, group] of QUEUES) {
    const groups = (await env.admin.xinfo('GROUPS', stream).catch(() => [])) as unknown[];
    if (!groups.some((g) => fieldsOf(g as unknown[]).name === group)) return false;
  }
  const history = new HistoryRecorder();
  return idle(env, await readTransitions(env.admin, history), await readExecutions(env.admin, history));
}

/** Every task the system holds (even ones no client got an answer for), read through the API, plus the running set. */
async function snapshot(env: Environment, client: Client, history: HistoryRecorder): Promise<SnapshotEntry> {
  const taskKeys = await scanKeys(env, 'sut:task:*');
  const tasks: TaskView[] = [];
  // a few reads in flight at a time: one at a time cost ~0.1 s per run of 300 jobs
  for (let i = 0; i < taskKeys.length; i += SNAPSHOT_READS_IN_FLIGHT) {
    const views = await Promise.all(taskKeys.slice(i, i + SNAPSHOT_READS_IN_FLIGHT).map((key) => client.read(key.slice('sut:task:'.length))));
    for (const view of views) if (view) tasks.push(view);
  }
  const runningSet = await env.admin.smembers('sut:running');
  const runningInfo = (await scanKeys(env, 'sut:running:*')).map((k) => k.slice('sut:running:'.length));
  return { kind: 'snapshot', t: history.now(), tasks, runningSet, runningInfo };
}

async function scanKeys(env: Environment, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await env.admin.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}
