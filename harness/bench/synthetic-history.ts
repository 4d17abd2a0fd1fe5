// A synthetic history of a correct run, built in memory, of any size: what the checkers would
// see after a very long run. The mix follows real runs: per task a submit (invoke + ok), a read
// while its jobs run and one after; per job the worker's `running` applied, the executor's
// duplicate `running` ignored, the outcome applied, one execution; some jobs fail on their exit
// code, some are cancelled (with the cancel operation and the executor's late, ignored outcome),
// some are reclaimed and run twice after their worker was paused (a pause step, a second
// execution, the first attempt's outcome ignored as stale-terminal); a nemesis step now and
// then; one snapshot at the end.

import type { ClientEntry, History, HistoryEntry, JobSpec, JobView, Payload, TaskView, TransitionEntry } from '../history/types.ts';

/** Small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticMix {
  /** shares of job outcomes; the rest complete normally */
  failed: number;
  cancelled: number;
  reclaimed: number;
  /** one nemesis step (start + end) every this many tasks */
  nemesisEvery: number;
}

/** step ids of the pauses that explain reclaims, apart from the per-task nemesis steps (ids = task numbers) */
const PAUSE_STEP_IDS = 1_000_000_000;

export const DEFAULT_MIX: SyntheticMix = { failed: 0.08, cancelled: 0.04, reclaimed: 0.03, nemesisEvery: 500 };

export interface SyntheticCounts {
  entries: number;
  tasks: number;
  jobs: number;
  byKind: Record<HistoryEntry['kind'], number>;
  transitionsApplied: number;
  transitionsIgnored: number;
}

const EPOCH = 1_800_000_000_000;
const OUTPUTS = [['ok'], ['score 0.93', 'done'], [], ['a line with <b>markup</b> & "quotes"']];

/**
 * Exactly `entries` entries (at least 1: the snapshot), sorted by t like runOnce's history.
 * The history is valid: every checker passes it.
 */
export function syntheticHistory(entries: number, seed = 1, mix: SyntheticMix = DEFAULT_MIX): { history: History; counts: SyntheticCounts } {
  const rnd = prng(seed);
  const h: HistoryEntry[] = [];
  const snapshotTasks: TaskView[] = [];
  let opId = 1;
  let seq = 0;
  let jobsTotal = 0;
  let applied = 0;
  let ignored = 0;
  const target = Math.max(1, entries) - 1; // the snapshot is the last entry

  const client = (t: number, type: ClientEntry['type'], id: number, f: ClientEntry['f'], value: unknown, process = 'client-0'): ClientEntry =>
    ({ kind: 'client', t, type, process, opId: id, f, value });
  const transition = (
    t: number, jobId: string, type: string, source: string, sourceId: string, attempt: number,
    from: TransitionEntry['from'], to: TransitionEntry['to'], decision: 'applied' | 'ignored', reason: string,
    outcome?: { exitCode: number | null; output: string },
  ): TransitionEntry => {
    if (decision === 'applied') applied++;
    else ignored++;
    return {
      kind: 'transition', t, logId: `${EPOCH + Math.floor(t)}-${seq++}`, jobId, eventId: `${EPOCH + Math.floor(t)}-${seq}`,
      type, source, sourceId, attempt, from, to, decision, reason, keeper: 'keeper-1',
      exitCode: outcome ? outcome.exitCode : null, output: outcome ? outcome.output : '',
    };
  };

  let task = 0;
  let pauses = 0;
  // the largest task (3 jobs, every one reclaimed or cancelled) adds fewer than 48 entries
  while (h.length + 48 <= target) {
    const taskId = `T-${task}`;
    const key = `k-${task}`;
    const t0 = task * 2; // a task every 2 ms
    const nJobs = 1 + Math.floor(rnd() * 3);
    const worker = `worker-${1 + (task % 2)}`;
    const jobs: JobSpec[] = [];
    const payloads: Payload[] = [];
    for (let j = 0; j < nJobs; j++) {
      const r = rnd();
      const failed = r < mix.failed;
      const payload: Payload = { durationMs: Math.floor(rnd() * 300), exitCode: failed ? 2 : 0, output: OUTPUTS[Math.floor(rnd() * OUTPUTS.length)] };
      payloads.push(payload);
      jobs.push({ description: `job ${j}`, payload, timeoutMs: 20_000 });
    }
    const jobIds = jobs.map((_, j) => `${taskId}-${j}`);
    const submitId = opId++;
    h.push(client(t0, 'invoke', submitId, 'submit', { idempotencyKey: key, description: 'evaluate submission', jobs }));
    h.push(client(t0 + 3, 'ok', submitId, 'submit', { taskId, jobIds, created: true }));

    const running: JobView[] = [];
    const final: JobView[] = [];
    for (let j = 0; j < nJobs; j++) {
      const jobId = jobIds[j];
      const p = payloads[j];
      const output = p.output.map((l) => l + '\n').join('');
      const r = rnd();
      const ts = t0 + 5 + j * 3;
      if (r < mix.cancelled) {
        // cancelled while queued: the cancel op, the orchestrator's event applied, the executor's late outcome ignored
        const cancelId = opId++;
        h.push(client(ts, 'invoke', cancelId, 'cancel', { jobId }));
        h.push(client(ts + 1, 'ok', cancelId, 'cancel', { jobId }));
        h.push(transition(ts + 2, jobId, 'cancelled', 'orchestrator', 'orchestrator', 0, 'queued', 'cancelled', 'applied', 'ok', { exitCode: null, output: '' }));
        h.push(transition(ts + 40, jobId, 'cancelled', 'executor', `${worker}-executor`, 1, 'cancelled', 'cancelled', 'ignored', 'stale-terminal', { exitCode: null, output: '' }));
        running.push({ jobId, state: 'cancelled', attempt: 0, exitCode: null, output: '', reason: 'cancelled' });
        final.push({ jobId, state: 'cancelled', attempt: 0, exitCode: null, output: '', reason: 'cancelled' });
        jobsTotal++;
        continue;
      }
      const reclaimed = rnd() < mix.reclaimed / (1 - mix.cancelled);
      const attempt = reclaimed ? 2 : 1;
      const outcome = p.exitCode === 0 ? 'completed' : 'failed';
      h.push(transition(ts + 1, jobId, 'running', 'worker', worker, 1, 'queued', 'running', 'applied', 'ok'));
      h.push({ kind: 'execution', t: ts + 2, jobId, attempt: 1, executorId: `${worker}-executor` });
      h.push(transition(ts + 3, jobId, 'running', 'executor', `${worker}-executor`, 1, 'running', 'running', 'ignored', 'duplicate'));
      running.push({ jobId, state: 'running', attempt: 1, exitCode: null, output: null, reason: null });
      let tEnd = ts + 20;
      if (reclaimed) {
        // the first worker paused past its lease: another takes the job, runs it, finishes first
        const pauseId = PAUSE_STEP_IDS + pauses++;
        h.push({ kind: 'nemesis', t: ts + 5, type: 'start', stepId: pauseId, fault: 'pause', target: worker, outcome: 'ok', detail: { kind: 'pause', process: worker } });
        h.push({ kind: 'nemesis', t: ts + 40, type: 'end', stepId: pauseId, fault: 'pause', target: worker });
        const other = worker === 'worker-1' ? 'worker-2' : 'worker-1';
        h.push(transition(ts + 30, jobId, 'running', 'worker', other, 2, 'running', 'running', 'ignored', 'duplicate'));
        h.push({ kind: 'execution', t: ts + 31, jobId, attempt: 2, executorId: `${other}-executor` });
        h.push(transition(ts + 32, jobId, 'running', 'executor', `${other}-executor`, 2, 'running', 'running', 'ignored', 'duplicate'));
        h.push(transition(ts + 50, jobId, outcome, 'executor', `${other}-executor`, 2, 'running', outcome, 'applied', 'ok', { exitCode: p.exitCode, output }));
        h.push(transition(ts + 60, jobId, outcome, 'executor', `${worker}-executor`, 1, outcome, outcome, 'ignored', 'stale-terminal', { exitCode: p.exitCode, output }));
        tEnd = ts + 60;
      } else {
        h.push(transition(tEnd, jobId, outcome, 'executor', `${worker}-executor`, 1, 'running', outcome, 'applied', 'ok', { exitCode: p.exitCode, output }));
      }
      final.push({ jobId, state: outcome, attempt, exitCode: p.exitCode, output, reason: outcome === 'failed' ? 'exit' : null });
      jobsTotal++;
    }

    // a read while the jobs run (after every running was applied, before any outcome), one after all finished
    const statusOf = (views: JobView[]) => taskView(taskId, key, views).status;
    const midId = opId++;
    const midT = t0 + 5 + nJobs * 3 + 3;
    h.push(client(midT, 'invoke', midId, 'read', { taskId }, 'client-1'));
    h.push(client(midT + 1, 'ok', midId, 'read', { taskId, status: statusOf(running), idempotencyKey: key, jobs: running }, 'client-1'));
    const endId = opId++;
    h.push(client(t0 + 100, 'invoke', endId, 'read', { taskId }, 'client-1'));
    h.push(client(t0 + 101, 'ok', endId, 'read', taskView(taskId, key, final), 'client-1'));
    snapshotTasks.push(taskView(taskId, key, final));

    if (task % mix.nemesisEvery === 0) {
      h.push({ kind: 'nemesis', t: t0 + 4, type: 'start', stepId: task, fault: 'latency', target: worker, detail: { latencyMs: 300 } });
      h.push({ kind: 'nemesis', t: t0 + 90, type: 'end', stepId: task, fault: 'latency', target: worker });
    }
    task++;
  }
  // fill up to the exact size with reads of the last task (a lone invoke if one entry is left)
  const lastTask = snapshotTasks[snapshotTasks.length - 1];
  const tFill = task * 2 + 200;
  while (h.length < target) {
    const id = opId++;
    if (lastTask) {
      h.push(client(tFill, 'invoke', id, 'read', { taskId: lastTask.taskId }, 'client-2'));
      if (h.length < target) h.push(client(tFill + 1, 'ok', id, 'read', lastTask, 'client-2'));
    } else {
      h.push({ kind: 'nemesis', t: tFill, type: 'start', stepId: id, fault: 'latency', target: 'worker-1' });
    }
  }
  h.sort((a, b) => a.t - b.t);
  h.push({ kind: 'snapshot', t: task * 2 + 1000, tasks: snapshotTasks, runningSet: [], runningInfo: [] });

  const byKind = { client: 0, transition: 0, execution: 0, nemesis: 0, snapshot: 0, shape: 0, payload: 0, probe: 0 };
  for (const e of h) byKind[e.kind]++;
  return { history: h, counts: { entries: h.length, tasks: task, jobs: jobsTotal, byKind, transitionsApplied: applied, transitionsIgnored: ignored } };
}

function taskView(taskId: string, idempotencyKey: string, jobs: JobView[]): TaskView {
  const states = jobs.map((j) => j.state);
  const terminal = (s: string) => s === 'completed' || s === 'failed' || s === 'cancelled';
  const status = states.every((s) => s === 'queued') ? 'queued'
    : states.every((s) => s === 'completed') ? 'completed'
      : states.every(terminal) ? (states.includes('failed') ? 'failed' : 'cancelled')
        : 'running';
  return { taskId, status, idempotencyKey, jobs };
}
