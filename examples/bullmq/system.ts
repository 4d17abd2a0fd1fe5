// BullMQ as a system under test: a small application on BullMQ (examples/bullmq/: a producer
// behind the client link, N workers with concurrency --concurrency (default 1)), its evidence read over the harness's
// own connection: BullMQ's own events stream (bull:chaos:events: every state change its Lua
// scripts make, with Redis's time in the stream ids), the application's execution log and task
// records, and each job's final state read through BullMQ's API (Queue#getJob, Job#getState).

import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { fieldsOf, retryingCut, type FinalState } from '../../harness/history/collect.ts';
import type { HistoryRecorder } from '../../harness/history/recorder.ts';
import type { JobState, TransitionEntry } from '../../harness/history/types.ts';
import { everyStartEnded, executionLogLength, libraryModule, readAppExecutions, readAppTasks, snapshotOfTasks } from '../common/system.ts';
import type { Progress, SystemModule } from '../../harness/systems/types.ts';
import { QUEUE_NAME, reasonOf, viewOf, type JobData, type JobResult } from './queue.ts';

const key = (s: string) => `bull:${QUEUE_NAME}:${s}`;
const EVENTS = key('events');

export const bullmq: SystemModule = libraryModule({
  name: 'bullmq',
  pkg: 'bullmq',
  dir: 'bullmq',
  settings:
    'workers: maxRetriesPerRequest null, concurrency --concurrency (default 1), lockDuration = stalledInterval = --lease-ms, maxStalledCount 1 (default); jobs: attempts 1, kept 1 h after they finish; ' +
    'producer: enableOfflineQueue false, maxRetriesPerRequest 1, commandTimeout 2 s; events stream maxLen 100000',
  readFinalState: (admin, history) => retryingCut(() => readCut(admin, history), history),
  progress: (admin) => progress(admin),
  quiescent: (admin) => quiescent(admin),
  // BullMQ's worker timers on the way from a heal to a job taken (Worker defaults; the app sets
  // none of them): a fetch that failed waits runRetryDelay (15 s) before the next; an idle worker
  // blocks on BZPOPMIN of the marker for drainDelay (5 s), and its watchdog abandons a read still
  // unanswered 1 s past that and reopens the blocking connection; a reconnect is retried within
  // 500 ms (the app's retryStrategy). Counted one after another.
  livenessBoundMs: () => 15_000 + 5_000 + 1_000 + 500,
  simulation: async () => (await import('./sim.ts')).bullmqSim,
});

// ---------------------------------------------------------------------------------------
// BullMQ's events stream (its Lua scripts XADD one entry per change: event, jobId, prev, ...)

/** Each event that moves a job, as from → to. 'waiting' after a stall comes with 'stalled' and is not counted twice; 'added', 'duplicated', 'progress', 'drained', 'retries-exhausted' move nothing. */
const MOVES: Record<string, [JobState, JobState]> = {
  active: ['queued', 'running'],
  stalled: ['running', 'queued'],
  completed: ['running', 'completed'],
  failed: ['running', 'failed'],
};

/** One entry of the events stream as a transition, or undefined when it moves no job. */
export function transitionOfEvent(id: string, f: Record<string, string>, t: number): TransitionEntry | undefined {
  const move = MOVES[f.event ?? ''];
  if (!move || !f.jobId) return undefined;
  let exitCode: number | null = null;
  let output: string | null = null;
  let reason = 'ok';
  if (f.event === 'completed') {
    try {
      const r = JSON.parse(f.returnvalue ?? '{}') as Partial<JobResult>;
      exitCode = r.exitCode ?? 0;
      output = r.output ?? null;
    } catch {
      /* a return value that is not the worker's: left unset */
    }
  } else if (f.event === 'failed') {
    const why = reasonOf(f.failedReason ?? '');
    exitCode = why.exitCode;
    reason = why.reason;
  }
  return {
    kind: 'transition', t, logId: id, jobId: f.jobId, eventId: id, type: f.event!, source: 'library', sourceId: '', attempt: Number(f.attemptsMade ?? 0),
    from: move[0], to: move[1], decision: 'applied', reason, keeper: '', exitCode, output,
  };
}

/** The events stream: its entries that move a job, and every job id it names ('added' too: a job that never ran). */
async function readEvents(admin: Redis, history: HistoryRecorder): Promise<{ transitions: TransitionEntry[]; named: Set<string> }> {
  const raw = (await admin.xrange(EVENTS, '-', '+')) as [string, string[]][];
  const named = new Set<string>();
  const transitions = raw.flatMap(([id, fields]) => {
    const f = fieldsOf(fields);
    if (f.jobId) named.add(f.jobId);
    return transitionOfEvent(id, f, history.fromWall(Number(id.split('-')[0]))) ?? [];
  });
  return { transitions, named };
}

// ---------------------------------------------------------------------------------------
// the final state

/**
 * A Queue of the harness's own, for BullMQ's own reading of its jobs: its connection goes where the
 * harness's own does (the real Redis port, never through a link; in simulation, the admin link).
 */
function openReader(admin: Redis): { queue: Queue<JobData, JobResult>; close(): Promise<void> } {
  const connection = new Redis({ ...admin.options, connectionName: 'harness-reader', maxRetriesPerRequest: 3, retryStrategy: (n: number) => (n > 3 ? null : 100), lazyConnect: false });
  connection.on('error', () => undefined);
  const queue = new Queue<JobData, JobResult>(QUEUE_NAME, { connection });
  queue.on('error', () => undefined);
  return {
    queue,
    async close() {
      await queue.close().catch(() => undefined);
      connection.disconnect();
    },
  };
}

async function readCut(admin: Redis, history: HistoryRecorder): Promise<FinalState> {
  const tasks = await readAppTasks(admin);
  const executions = await readAppExecutions(admin, history);
  const { transitions, named } = await readEvents(admin, history);
  const reader = openReader(admin);
  try {
    const snapshot = await snapshotOfTasks(history, tasks, executions, async (jobId, attempt) => {
      const job = await reader.queue.getJob(jobId);
      return job ? viewOf(jobId, job, await job.getState(), attempt) : undefined;
    }, key, named);
    return { transitions, executions, snapshot };
  } finally {
    await reader.close();
  }
}

// ---------------------------------------------------------------------------------------
// progress and quiet

/** Jobs of the recorded tasks that are in neither BullMQ's completed nor its failed set, and a signature of what moved. */
async function progress(admin: Redis): Promise<Progress> {
  const jobIds = (await readAppTasks(admin)).flatMap((t) => t.jobIds);
  const multi = admin.multi();
  for (const id of jobIds) multi.zscore(key('completed'), id).zscore(key('failed'), id);
  multi.xlen(EVENTS);
  const replies = ((await multi.exec()) ?? []).map(([, v]) => v);
  let terminal = 0;
  for (let i = 0; i < jobIds.length; i++) if (replies[2 * i] != null || replies[2 * i + 1] != null) terminal++;
  const events = Number(replies[2 * jobIds.length] ?? 0);
  return { unfinished: jobIds.length - terminal, signature: `${events}/${await executionLogLength(admin)}/${terminal}` };
}

/**
 * Nothing in BullMQ can still move a job: no job waits (wait, paused, prioritized, delayed) or
 * is active, and every payload start of the execution log has its end (a paused worker may still
 * be running one).
 */
async function quiescent(admin: Redis): Promise<boolean> {
  const [wait, paused, active, prioritized, delayed] = await Promise.all([
    admin.llen(key('wait')), admin.llen(key('paused')), admin.llen(key('active')), admin.zcard(key('prioritized')), admin.zcard(key('delayed')),
  ]);
  if (wait + paused + active + prioritized + delayed > 0) return false;
  return everyStartEnded(admin);
}

export default bullmq;
