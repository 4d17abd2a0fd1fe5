// bee-queue as a system under test: a small application on bee-queue (examples/bee-queue/: a
// producer behind the client link, N workers with concurrency --concurrency (default 1)), its evidence read over the
// harness's own connection: the application's execution log and task records, what bee-queue
// publishes on its events channel while the run goes on (it keeps no event log), and each job's
// final state read as bee-queue's own API reads it (Queue#getJob: its jobs hash) plus its active list.

import type { Redis } from 'ioredis';
import { retryingCut, type FinalState } from '../../harness/history/collect.ts';
import type { HistoryRecorder } from '../../harness/history/recorder.ts';
import type { JobState, TransitionEntry } from '../../harness/history/types.ts';
import { everyStartEnded, executionLogLength, libraryModule, readAppExecutions, readAppTasks, recordPublished, snapshotOfTasks } from '../common/system.ts';
import type { Progress, Recording, SystemModule } from '../../harness/systems/types.ts';
import { QUEUE_NAME, viewOf } from './queue.ts';

const key = (s: string) => `bq:${QUEUE_NAME}:${s}`;
/** bee-queue's keys (lib/queue.js toKey): the job hash, its lists and sets, and the events channel */
const JOBS = key('jobs');
const WAITING = key('waiting');
const ACTIVE = key('active');
const DELAYED = key('delayed');
const EVENTS = key('events');
const TERMINAL_STATUS = new Set(['succeeded', 'failed']);

export const beeQueue: SystemModule = libraryModule({
  name: 'bee-queue',
  pkg: 'bee-queue',
  dir: 'bee-queue',
  settings:
    'stallInterval = --lease-ms, workers call checkStalledJobs(lease/2); Job#timeout = the job\'s timeoutMs, retries 0; removeOnSuccess/removeOnFailure false; storeJobs false; ' +
    'producer: isWorker false, getEvents false, node-redis enable_offline_queue false + 2 s deadline per request; node-redis retry_strategy reconnects forever',
  record: (admin, history) => record(admin, history),
  readFinalState: (admin, history) => retryingCut(() => readCut(admin, history), history),
  progress: (admin) => progress(admin),
  quiescent: (admin) => quiescent(admin),
  // bee-queue's timers on the way from a heal to a job taken: an idle worker blocks on
  // BRPOPLPUSH with no timeout (Redis hands it the next job); a failed BRPOPLPUSH is retried after
  // initialRedisFailureRetryDelay (1 s, its default), doubled on each further failure of the same
  // read (lib/queue.js _waitForJob), so the retry pending at the heal is due within 1 s plus the
  // time since the first failure (each delay is at most 1 s more than all before it), which is
  // at most the time since the first fault; a reconnect is retried within 500 ms (the app's
  // retry_strategy).
  livenessBoundMs: ({ faultSpanMs }) => 1_000 + faultSpanMs + 500,
  simulation: async () => (await import('./sim.ts')).loadBeeQueueSim(),
});

// ---------------------------------------------------------------------------------------
// what bee-queue publishes: {"id","event","data"} on bq:<name>:events (lib/queue.js _finishJob,
// lib/job.js reportProgress). A job becoming active is not published.

interface EventMessage {
  id: string;
  event: string;
  data: unknown;
}

const MOVES: Record<string, [JobState, JobState]> = {
  succeeded: ['running', 'completed'],
  failed: ['running', 'failed'],
  retrying: ['running', 'queued'],
};

/** One published event as a transition heard at `ms` (this machine's clock), or undefined when it moves no job (progress). */
export function transitionOfEvent(msg: EventMessage, logId: string, t: number): TransitionEntry | undefined {
  const move = MOVES[msg.event];
  if (!move || typeof msg.id !== 'string') return undefined;
  let exitCode: number | null = null;
  let output: string | null = null;
  let reason = 'ok';
  if (msg.event === 'succeeded') {
    const r = (msg.data && typeof msg.data === 'object' ? msg.data : {}) as { exitCode?: number; output?: string };
    exitCode = typeof r.exitCode === 'number' ? r.exitCode : 0;
    output = typeof r.output === 'string' ? r.output : null;
  } else if (msg.event === 'failed') {
    // the error's message: "exit N" (the worker's), "Job <id> timed out (<N> ms)" (bee-queue's own timeout)
    const message = String(msg.data);
    const exit = /^exit (\d+)$/.exec(message);
    if (exit) exitCode = Number(exit[1]);
    reason = exit ? 'exit' : /timed out \(\d+ ms\)$/.test(message) ? 'timeout' : message;
  }
  return {
    kind: 'transition', t, logId, jobId: msg.id, eventId: logId, type: msg.event, source: 'library', sourceId: '', attempt: 0,
    from: move[0], to: move[1], decision: 'applied', reason, keeper: '', exitCode, output,
  };
}

/** What bee-queue publishes on its events channel, heard by a subscriber of the harness's own (library.ts recordPublished). */
function record(admin: Redis, history: HistoryRecorder): Promise<Recording> {
  return recordPublished(admin, history, [EVENTS], (_channel, message, logId, t) => transitionOfEvent(JSON.parse(message) as EventMessage, logId, t));
}

// ---------------------------------------------------------------------------------------
// the final state

/**
 * One job as bee-queue keeps it (Job.fromId: the JSON in its jobs hash, which Job#toData wrote:
 * data, options, status, progress), read over the harness's own connection. bee-queue's API
 * takes a node-redis client only (it does not recognise an ioredis 5 client), and reading the
 * hash is all Queue#getJob does.
 */
async function storedJob(admin: Redis, jobId: string): Promise<{ status: string; progress: unknown; options: { stacktraces?: string[] } } | undefined> {
  const raw = await admin.hget(JOBS, jobId);
  if (raw == null) return undefined;
  const stored = JSON.parse(raw) as { status?: string; progress?: unknown; options?: { stacktraces?: string[] } };
  return { status: String(stored.status ?? ''), progress: stored.progress, options: stored.options ?? {} };
}

async function readCut(admin: Redis, history: HistoryRecorder): Promise<FinalState> {
  const tasks = await readAppTasks(admin);
  const executions = await readAppExecutions(admin, history);
  const active = new Set(await admin.lrange(ACTIVE, 0, -1));
  // every job bee-queue holds (its jobs hash): how the snapshot learns of a job whose task the front door never recorded
  const held = await admin.hkeys(JOBS);
  const snapshot = await snapshotOfTasks(history, tasks, executions, async (jobId, attempt) => {
    const job = await storedJob(admin, jobId);
    return job ? viewOf(jobId, job, active.has(jobId), attempt) : undefined;
  }, () => JOBS, held);
  return { transitions: [], executions, snapshot };
}

// ---------------------------------------------------------------------------------------
// progress and quiet

/** bee-queue's status of each job (null when it has no such job), read from its job hash. */
async function statuses(admin: Redis, jobIds: string[]): Promise<(string | null)[]> {
  if (jobIds.length === 0) return [];
  const raw = await admin.hmget(JOBS, ...jobIds);
  return raw.map((r) => {
    if (r == null) return null;
    try {
      return String((JSON.parse(r) as { status?: string }).status ?? '');
    } catch {
      return '';
    }
  });
}

async function progress(admin: Redis): Promise<Progress> {
  const jobIds = (await readAppTasks(admin)).flatMap((t) => t.jobIds);
  const known = (await statuses(admin, jobIds)).filter((s): s is string => s !== null);
  const terminal = known.filter((s) => TERMINAL_STATUS.has(s)).length;
  const [executions, waiting, active] = await Promise.all([executionLogLength(admin), admin.llen(WAITING), admin.llen(ACTIVE)]);
  return { unfinished: known.length - terminal, signature: `${executions}/${terminal}/${waiting}/${active}` };
}

/**
 * Nothing in bee-queue can still move a job: no job waits, is active or delayed, and every
 * payload start of the execution log has its end (a stopped worker may still finish one).
 */
async function quiescent(admin: Redis): Promise<boolean> {
  const [waiting, active, delayed] = await Promise.all([admin.llen(WAITING), admin.llen(ACTIVE), admin.zcard(DELAYED)]);
  if (waiting + active + delayed > 0) return false;
  return everyStartEnded(admin);
}


export default beeQueue;
