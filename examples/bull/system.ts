// Bull (BullMQ's predecessor) as a system under test: a small application on Bull
// (examples/bull/: a producer behind the client link, N workers with concurrency --concurrency (default 1)), its
// evidence read over the harness's own connection: what Bull's Lua scripts publish as they move
// a job (it keeps no event log: `active@<worker token>`, `stalled@`, `completed`, `failed`
// channels, heard by a subscriber of the harness's own), the application's execution log and
// task records, and each job's final state read through Bull's API (Queue#getJob, Job#getState).

import { Redis } from 'ioredis';
import { retryingCut, type FinalState } from '../../harness/history/collect.ts';
import type { HistoryRecorder } from '../../harness/history/recorder.ts';
import type { JobState, TransitionEntry } from '../../harness/history/types.ts';
import { everyStartEnded, executionLogLength, libraryModule, readAppExecutions, readAppTasks, recordPublished, snapshotOfTasks } from '../common/system.ts';
import type { Progress, Recording, SystemModule } from '../../harness/systems/types.ts';
import { Queue, QUEUE_NAME, reasonOf, viewOf, type BullQueue, type JobResult } from './queue.ts';

const key = (s: string) => `bull:${QUEUE_NAME}:${s}`;

export const bull: SystemModule = libraryModule({
  name: 'bull',
  pkg: 'bull',
  dir: 'bull',
  settings:
    'workers: every connection waits through reconnects, concurrency --concurrency (default 1), lockDuration = stalledInterval = --lease-ms, lockRenewTime lease/2, maxStalledCount 1 (default); ' +
    "jobs: attempts 1, the job's own timeout option, kept after they finish; producer client: enableOfflineQueue false, maxRetriesPerRequest 1, commandTimeout 2 s",
  record: (admin, history) => record(admin, history),
  readFinalState: (admin, history) => retryingCut(() => readCut(admin, history), history),
  progress: (admin) => progress(admin),
  quiescent: (admin) => quiescent(admin),
  // Bull's queue timers on the way from a heal to a job taken (its defaults; the app sets none of
  // them): an idle worker blocks on BRPOPLPUSH for drainDelay (5 s); an error getting or
  // processing a job waits retryProcessDelay (5 s) before the next try; a reconnect is retried
  // within 500 ms (the app's retryStrategy). Its connections have no socket timeout.
  livenessBoundMs: () => 5_000 + 5_000 + 500,
  simulation: async () => (await import('./sim.ts')).bullSim,
});

// ---------------------------------------------------------------------------------------
// what Bull's scripts publish (moveToActive: jobId on active@<token>; moveStalledJobsToWait:
// jobId on stalled@, or {jobId, val} on failed past maxStalledCount; moveToFinished:
// {jobId, val} on completed / failed)

const COMPLETED = key('completed');
const FAILED = key('failed');
const PATTERNS = [key('active@*'), key('stalled@'), COMPLETED, FAILED];

/** One published message as a transition, or undefined when it moves no job. */
export function transitionOfMessage(channel: string, message: string, logId: string, t: number): TransitionEntry | undefined {
  const base = { kind: 'transition' as const, t, logId, eventId: logId, source: 'library', sourceId: '', attempt: 0, decision: 'applied' as const, keeper: '' };
  const move = (type: string, from: JobState, to: JobState, jobId: string, extra: Partial<TransitionEntry> = {}): TransitionEntry =>
    ({ ...base, type, jobId, from, to, reason: 'ok', exitCode: null, output: null, ...extra });
  if (channel.startsWith(key('active@'))) return move('active', 'queued', 'running', message);
  if (channel === key('stalled@')) return move('stalled', 'running', 'queued', message);
  const { jobId, val } = JSON.parse(message) as { jobId: string; val: unknown };
  if (channel === COMPLETED) {
    const r = (typeof val === 'string' ? JSON.parse(val) : val ?? {}) as Partial<JobResult>;
    return move('completed', 'running', 'completed', jobId, { exitCode: r.exitCode ?? 0, output: r.output ?? null });
  }
  if (channel === FAILED) {
    const why = reasonOf(String(val ?? ''));
    return move('failed', 'running', 'failed', jobId, { reason: why.reason, exitCode: why.exitCode });
  }
  return undefined;
}

function record(admin: Redis, history: HistoryRecorder): Promise<Recording> {
  return recordPublished(admin, history, PATTERNS, transitionOfMessage);
}

// ---------------------------------------------------------------------------------------
// the final state

/**
 * A Queue of the harness's own, for Bull's own reading of its jobs: its connections go where the
 * harness's own does (the real Redis port, never through a link; in simulation, the admin link).
 */
function openReader(admin: Redis): BullQueue {
  const createClient = (type: string) => {
    const r = new Redis({
      ...admin.options, connectionName: `harness-reader-${type}`, retryStrategy: (n: number) => (n > 3 ? null : 100),
      ...(type === 'client' ? { maxRetriesPerRequest: 3 } : { maxRetriesPerRequest: null, enableReadyCheck: false }),
    });
    r.on('error', () => undefined);
    return r;
  };
  const queue: BullQueue = new Queue(QUEUE_NAME, { createClient: createClient as never });
  queue.on('error', () => undefined);
  return queue;
}

/**
 * Every job id Bull's own lists and sets hold (wait, paused, active, delayed, completed, failed:
 * finished jobs are kept): Bull keeps no event log, so this is how the snapshot learns of a job
 * whose task the front door never recorded and that no payload start names (a keyless submit
 * whose answer was lost, its jobs never run).
 */
async function jobsBullHolds(admin: Redis): Promise<string[]> {
  const replies = await admin.multi()
    .lrange(key('wait'), 0, -1).lrange(key('paused'), 0, -1).lrange(key('active'), 0, -1)
    .zrange(key('delayed'), 0, -1).zrange(COMPLETED, 0, -1).zrange(FAILED, 0, -1)
    .exec();
  return (replies ?? []).flatMap(([err, ids]) => {
    if (err) throw err;
    return ids as string[];
  });
}

async function readCut(admin: Redis, history: HistoryRecorder): Promise<FinalState> {
  const tasks = await readAppTasks(admin);
  const executions = await readAppExecutions(admin, history);
  const held = await jobsBullHolds(admin);
  const queue = openReader(admin);
  try {
    const snapshot = await snapshotOfTasks(history, tasks, executions, async (jobId, attempt) => {
      const job = await queue.getJob(jobId);
      return job ? viewOf(jobId, job, await job.getState(), attempt) : undefined;
    }, key, held);
    return { transitions: [], executions, snapshot };
  } finally {
    await queue.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------
// progress and quiet

/** Jobs of the recorded tasks in neither Bull's completed nor its failed set, and a signature of what moved. */
async function progress(admin: Redis): Promise<Progress> {
  const jobIds = (await readAppTasks(admin)).flatMap((t) => t.jobIds);
  const multi = admin.multi();
  for (const id of jobIds) multi.zscore(COMPLETED, id).zscore(FAILED, id);
  const replies = ((await multi.exec()) ?? []).map(([, v]) => v);
  let terminal = 0;
  for (let i = 0; i < jobIds.length; i++) if (replies[2 * i] != null || replies[2 * i + 1] != null) terminal++;
  return { unfinished: jobIds.length - terminal, signature: `${await executionLogLength(admin)}/${terminal}` };
}

/** Nothing in Bull can still move a job: none waits (wait, paused, delayed) or is active, and every payload start has its end. */
async function quiescent(admin: Redis): Promise<boolean> {
  const [wait, paused, active, delayed] = await Promise.all([admin.llen(key('wait')), admin.llen(key('paused')), admin.llen(key('active')), admin.zcard(key('delayed'))]);
  if (wait + paused + active + delayed > 0) return false;
  return everyStartEnded(admin);
}

export default bull;
