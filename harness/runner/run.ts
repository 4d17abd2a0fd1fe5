import { randomUUID } from 'node:crypto';
import type { Environment } from '../env/environment.ts';
import { readExecutions, readTransitions } from '../history/collect.ts';
import { HistoryRecorder } from '../history/recorder.ts';
import type { History, SnapshotEntry, TaskView } from '../history/types.ts';
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
  /** time from the final heal until every acknowledged job was terminal (or settleMs) */
  settleTookMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One live run: fresh state, the workload and the nemesis schedule side by side, a final heal,
 * a settle period, then the SUT's own logs and a snapshot are added to the history.
 */
export async function runOnce(env: Environment, plan: RunPlan): Promise<RunOutcome> {
  await env.reset();
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

  for (const e of await readTransitions(env.admin, history)) history.add(e);
  for (const e of await readExecutions(env.admin, history)) history.add(e);
  history.add(await snapshot(env, client, history));
  const entries = [...history.entries].sort((a, b) => a.t - b.t);
  return { history: entries, durationMs: history.now(), settleTookMs };
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
