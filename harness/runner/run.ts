import { randomUUID } from 'node:crypto';
import type { Environment } from '../env/environment.ts';
import { readExecutions, readTransitions } from '../history/collect.ts';
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
  /** every SUT process ended the run alive and idle: the next run may reuse them */
  idle: boolean;
  durationMs: number;
  /** time from the final heal until every acknowledged job was terminal (or settleMs) */
  settleTookMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One live run: fresh state, the workload and the nemesis schedule side by side, a final heal,
 * a settle period, then the SUT's own logs and a snapshot are added to the history.
 */
export async function runOnce(env: Environment, plan: RunPlan, opts: { reuseProcesses?: boolean } = {}): Promise<RunOutcome> {
  await env.reset(opts);
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
  while (pending.length > 0 && history.now() < deadline) {
    const views = await Promise.all(pending.map((id) => client.read(id)));
    pending = pending.filter((_, i) => !views[i] || !views[i]!.jobs.every((j) => TERMINAL.has(j.state)));
    if (pending.length > 0) await sleep(100);
  }
  const settleTookMs = history.now() - healedAt;

  const transitions = await readTransitions(env.admin, history);
  const executions = await readExecutions(env.admin, history);
  for (const e of [...transitions, ...executions]) history.add(e);
  const snap = await snapshot(env, client, history);
  history.add(snap);
  const reusable = pending.length === 0 && (await idle(env, transitions, executions));
  const entries = [...history.entries].sort((a, b) => a.t - b.t);
  return { history: entries, idle: reusable, durationMs: history.now(), settleTookMs };
}

/**
 * Nothing of this run can still reach Redis: every process is up, no job or event is pending
 * in a consumer group, and every payload execution has reported its outcome. Only then may the
 * next run reuse the processes (a paused worker's executor may still be finishing a job that
 * another worker completed long ago; its late event must not land in the next run).
 */
async function idle(env: Environment, transitions: TransitionEntry[], executions: ExecutionEntry[]): Promise<boolean> {
  if ([...env.sut.values()].some((p) => !p.alive())) return false;
  for (const [stream, group] of [['sut:jobs', 'workers'], ['sut:events', 'keepers']]) {
    const summary = (await env.admin.xpending(stream, group).catch(() => [0])) as [number, ...unknown[]];
    if (Number(summary[0]) > 0) return false;
  }
  const reported = new Set(transitions.filter((t) => t.source === 'executor' && t.type !== 'running').map((t) => `${t.jobId}/${t.attempt}`));
  return executions.every((e) => reported.has(`${e.jobId}/${e.attempt}`));
}

/** Every task the system holds (even ones no client got an answer for), read through the API, plus the running set. */
async function snapshot(env: Environment, client: Client, history: HistoryRecorder): Promise<SnapshotEntry> {
  const taskKeys = await scanKeys(env, 'sut:task:*');
  const tasks: TaskView[] = [];
  for (const key of taskKeys) {
    const view = await client.read(key.slice('sut:task:'.length));
    if (view) tasks.push(view);
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
