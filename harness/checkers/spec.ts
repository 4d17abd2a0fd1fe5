// The judge's own specification of the job system. It is written from PROTOCOL.md and
// deliberately never imports the system under test: a bug in the SUT's tables must not
// be copied into the verdict.

import type { JobSpec, JobState, Payload } from '../history/types.ts';

export const TERMINAL_STATES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** The job state machine: for each state, the states a transition may lead to. */
export const NEXT_STATES: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['queued', new Set(['running', 'failed', 'cancelled'])],
  ['running', new Set(['completed', 'failed', 'cancelled'])],
]);

/** Every legal edge, as "from→to" (for messages and reports). */
export const LEGAL_EDGES: ReadonlySet<string> = new Set(
  [...NEXT_STATES].flatMap(([from, next]) => [...next].map((to) => `${from}→${to}`)),
);

/** The state every job is created in; the first applied transition must leave it. */
export const INITIAL_STATE: JobState = 'queued';

export function isTerminal(state: string | null | undefined): boolean {
  return state != null && TERMINAL_STATES.has(state);
}

export function isLegalEdge(from: string, to: string): boolean {
  return NEXT_STATES.get(from)?.has(to) ?? false;
}

/** A completed job's output is the payload's stdout exactly: each line followed by "\n". */
export function expectedOutput(payload: Payload): string {
  let out = '';
  for (const line of payload.output) out += line + '\n';
  return out;
}

/** The worker an executor (`<worker id>-executor`, PROTOCOL.md) belongs to; a worker's own id is itself. */
export function workerOf(sourceId: string): string {
  return sourceId.endsWith('-executor') ? sourceId.slice(0, -'-executor'.length) : sourceId;
}

/** A job's timeout when its subtask names none (PROTOCOL.md). */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * What a job whose payload ran undisturbed ends as (PROTOCOL.md): a payload that hangs or
 * sleeps past its timeout is killed at the timeout (failed, reason timeout, no exit code); one
 * that exits non-zero fails with its exit code (reason exit); one that exits 0 completes.
 * A cancelled job is judged apart (it needs a cancel request). Undefined when the payload's
 * duration is within `marginMs` of its timeout: either outcome is then right.
 */
export function expectedOutcome(payload: Payload, timeoutMs: number, marginMs = 250): { state: 'completed' | 'failed'; reason: string | null; exitCode: number | null } | undefined {
  if (payload.hang || payload.durationMs >= timeoutMs + marginMs) return { state: 'failed', reason: 'timeout', exitCode: null };
  if (payload.durationMs > timeoutMs - marginMs) return undefined;
  if (payload.exitCode !== 0) return { state: 'failed', reason: 'exit', exitCode: payload.exitCode };
  return { state: 'completed', reason: null, exitCode: 0 };
}

/** The payload a job runs when its subtask names none (PROTOCOL.md: default payload). */
export function defaultPayload(description: string): Payload {
  return { durationMs: 20, exitCode: 0, output: [description] };
}

/**
 * The payloads of a submission, in job order: job i of the response's jobIds runs
 * payloads[i]. A submission without jobs creates one job with the default payload.
 */
export function payloadsOfSubmission(description: string, jobs: readonly JobSpec[]): Payload[] {
  if (jobs.length === 0) return [defaultPayload(description)];
  return jobs.map((j) => j.payload);
}

/**
 * A task's status from its jobs' states: `queued` if all queued; `completed` if all
 * completed; when all are terminal, `failed` if any failed, else `cancelled`; otherwise
 * `running`. A task without jobs has no defined status (undefined).
 */
export function taskStatus(states: readonly string[]): string | undefined {
  if (states.length === 0) return undefined;
  let allQueued = true;
  let allCompleted = true;
  let allTerminal = true;
  let anyFailed = false;
  for (const s of states) {
    if (s !== 'queued') allQueued = false;
    if (s !== 'completed') allCompleted = false;
    if (!isTerminal(s)) allTerminal = false;
    if (s === 'failed') anyFailed = true;
  }
  if (allQueued) return 'queued';
  if (allCompleted) return 'completed';
  if (allTerminal) return anyFailed ? 'failed' : 'cancelled';
  return 'running';
}

/** Whether `output` is exactly expectedOutput(payload), without building that string. */
export function outputMatches(payload: Payload, output: string | null | undefined): boolean {
  if (typeof output !== 'string') return false;
  let at = 0;
  for (const line of payload.output) {
    if (!output.startsWith(line, at)) return false;
    at += line.length;
    if (output.charCodeAt(at) !== 10) return false;
    at++;
  }
  return at === output.length;
}
