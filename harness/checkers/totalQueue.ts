// total-queue (Jepsen's names): every job the system acknowledged reaches a terminal state
// once faults heal (else lost); nothing appears that no submission asked for (unexpected);
// nothing is created or finished twice (duplicated). As Jepsen treats them: an indeterminate
// submission (info, or no answer) may or may not take effect — one that did is recovered and
// must then reach a terminal state like an acknowledged one (else lost); a failed submission
// (a 4xx: nothing written) must not take effect at all (else failedTookEffect). A submission
// sent without an Idempotency-Key (keyless: one attempt, never retried) is one task if answered,
// none if refused, and none or one if its answer was lost: a task no answer listed and no key
// names is accounted for by a distinct keyless submit whose answer was lost and that sent at
// least as many jobs, or it is unexpected.
//
// It also judges the evidence the final state itself is: a key read but outside the protocol
// (snapshot.malformed: a job state the machine does not have, a task's jobIds that are no list)
// and a job hash no task lists (snapshot.orphans) are violations; so is a read answered 404 for a
// task whose submit was acknowledged before the read began (read-your-writes). Each absent job is
// reported once here: malformed before orphan before lost (a job hash with a bad state is absent
// from snapshot.tasks, so the other checkers see it as missing, which it is for any state they
// compare). Part of the final state left unread makes a job undecided only when that key could
// hold it: its job hash, its task hash, or everything ('*').
//
// A step that erased Redis (erasure.ts) excuses what it may have taken: a job lost, a task read
// back 404, a recovered job left unfinished, a second task under one key, when a submit of it
// was invoked before the erasure began. Everything submitted after is judged in full.

import type { ClientEntry, History, HistoryEntry, Malformed, Orphan, SnapshotEntry, TaskView, TransitionEntry, Unreadable, Verdict } from '../history/types.ts';
import { Erasures } from './erasure.ts';
import { describeTransition, Findings, snapshotExcerpt } from './findings.ts';
import { observe, type Observations, type SubmitOp } from './observations.ts';
import { isTerminal } from './spec.ts';
import { mayHide } from './unreadable.ts';

function submitEntries(op: SubmitOp): ClientEntry[] {
  return op.completion ? [op.invoke, op.completion] : [op.invoke];
}

function describeSubmit(op: SubmitOp): string {
  const ended = op.completion ? `${op.outcome} at t=${op.completion.t}ms` : 'never completed';
  return `submit op ${op.invoke.opId} by ${op.invoke.process} (${op.idempotencyKey === undefined ? 'no key' : `key ${op.idempotencyKey}`}, invoked t=${op.invoke.t}ms, ${ended})`;
}

/** Where a task was seen under an idempotency key: a submit's ok response or the snapshot. */
type Sighting = SubmitOp | TaskView;
const isSubmit = (s: Sighting): s is SubmitOp => 'invoke' in s;
const sightedTask = (s: Sighting): string => (isSubmit(s) ? s.taskId! : s.taskId);

export interface NotFoundRead {
  invoke: ClientEntry;
  fail: ClientEntry;
  taskId: string;
}

const isNotFound = (v: unknown): boolean => typeof v === 'object' && v !== null && (v as { status?: unknown }).status === 404;

/** Every read answered 404 (no such task), with its invoke. A second pass over the history only when there is one. */
export function notFoundReads(history: History): NotFoundRead[] {
  const fails = new Map<string, Map<number, ClientEntry>>(); // process → opId → the 404
  for (const e of history) {
    if (e.kind !== 'client' || e.f !== 'read' || e.type !== 'fail' || !isNotFound(e.value)) continue;
    let ops = fails.get(e.process);
    if (!ops) fails.set(e.process, (ops = new Map()));
    ops.set(e.opId, e);
  }
  if (fails.size === 0) return [];
  const out: NotFoundRead[] = [];
  for (const e of history) {
    if (e.kind !== 'client' || e.f !== 'read' || e.type !== 'invoke') continue;
    const fail = fails.get(e.process)?.get(e.opId);
    const taskId = (e.value as { taskId?: unknown } | null)?.taskId;
    if (fail && typeof taskId === 'string') out.push({ invoke: e, fail, taskId });
  }
  return out;
}

const isIndeterminate = (op: SubmitOp): boolean => op.outcome === 'info' || op.outcome === 'pending';

/** The submits' outcomes as stats, and the first ok submit of each task it acknowledged. */
function countSubmits(obs: Observations): { stats: Record<string, number>; okByTaskId: Map<string, SubmitOp> } {
  const outcomes = { ok: 0, fail: 0, info: 0, pending: 0 };
  const okByTaskId = new Map<string, SubmitOp>();
  let keyless = 0;
  let keylessIndeterminate = 0;
  for (const op of obs.submits) {
    outcomes[op.outcome]++;
    if (op.idempotencyKey === undefined) {
      keyless++;
      if (isIndeterminate(op)) keylessIndeterminate++;
    }
    if (op.taskId && op.jobIds && !okByTaskId.has(op.taskId)) okByTaskId.set(op.taskId, op);
  }
  const stats: Record<string, number> = {
    attempted: obs.submits.length,
    submitsOk: outcomes.ok,
    submitsFail: outcomes.fail,
    submitsInfo: outcomes.info,
    submitsPending: outcomes.pending,
    keylessSubmits: keyless,
    keylessIndeterminate,
    acknowledgedTasks: okByTaskId.size,
    acknowledged: obs.jobs.reduce((n, r) => (r.origin ? n + 1 : n), 0),
  };
  return { stats, okByTaskId };
}

/**
 * Every idempotency key seen with two tasks (across ok responses and the snapshot), with its
 * sightings. Only the first sighting per key is kept, and a list only for keys with a conflict.
 */
function keyConflicts(obs: Observations): Map<string, Sighting[]> {
  const firstOfKey = new Map<string, Sighting>();
  const conflicts = new Map<string, Sighting[]>();
  const sight = (key: string, s: Sighting): void => {
    const first = firstOfKey.get(key);
    if (!first) {
      firstOfKey.set(key, s);
      return;
    }
    const taskId = sightedTask(s);
    if (sightedTask(first) === taskId) return;
    let list = conflicts.get(key);
    if (!list) conflicts.set(key, (list = [first]));
    if (!list.some((x) => sightedTask(x) === taskId)) list.push(s);
  };
  for (const op of obs.submits) if (op.taskId && op.idempotencyKey !== undefined) sight(op.idempotencyKey, op);
  if (obs.snapshot) for (const task of obs.snapshot.tasks) if (task.idempotencyKey != null) sight(task.idempotencyKey, task);
  return conflicts;
}

/** duplicated: one idempotency key, two tasks. Returns how many keys. */
function findDuplicatedKeys(obs: Observations, erasures: Erasures, duplicated: Findings): number {
  const snapshot = obs.snapshot;
  const conflicts = keyConflicts(obs);
  // the key's record may have been erased with what its first submit wrote: a retry then makes a new task
  for (const key of [...conflicts.keys()]) if (erasures.mayEraseKey(key)) conflicts.delete(key);
  const describeSighting = (s: Sighting): string =>
    isSubmit(s) ? `${s.taskId} (${describeSubmit(s)})` : `${s.taskId} (snapshot at t=${snapshot!.t}ms)`;
  for (const [key, all] of conflicts) {
    duplicated.add(() => ({
      message: `idempotency key ${key} produced ${all.length} tasks: ${all.map(describeSighting).join(', ')}`,
      taskId: sightedTask(all[1]),
      entries: all.flatMap((s): HistoryEntry[] => (isSubmit(s) ? submitEntries(s) : [snapshotExcerpt(snapshot!, s)])),
    }));
  }
  return conflicts.size;
}

/** duplicated: a job finished twice in the transition log. Returns how many second finishes. */
function findDuplicatedTerminals(obs: Observations, duplicated: Findings): number {
  let duplicatedTerminals = 0;
  for (const { jobId, steps } of obs.jobs) {
    let first: TransitionEntry | undefined;
    for (const step of steps) {
      if (!step.applied || !isTerminal(step.to)) continue;
      const e = step.entry;
      if (!first) {
        first = e;
        continue;
      }
      duplicatedTerminals++;
      const terminal = first;
      duplicated.add(() => ({
        message: `job ${jobId}: a second applied transition into a terminal state, ${describeTransition(e)}, after ${describeTransition(terminal)}`,
        jobId,
        at: e.t,
        entries: [terminal, e],
      }));
    }
  }
  return duplicatedTerminals;
}

/** taskId → the ok submit that answered first */
function firstAcknowledgements(obs: Observations): Map<string, SubmitOp> {
  const firstAck = new Map<string, SubmitOp>();
  for (const op of obs.submits) {
    if (!op.taskId || !op.completion) continue;
    const seen = firstAck.get(op.taskId);
    if (!seen || op.completion.t < seen.completion!.t) firstAck.set(op.taskId, op);
  }
  return firstAck;
}

/** read-your-writes: a read begun after a submit of its task was acknowledged must find the task. Returns how many did not. */
function findUnreadWrites(history: History, obs: Observations, erasures: Erasures, reads: Findings): number {
  const firstAck = firstAcknowledgements(obs);
  let readsNotFound = 0;
  for (const r of notFoundReads(history)) {
    const op = firstAck.get(r.taskId);
    if (!op || !(op.completion!.t < r.invoke.t)) continue;
    // an erasure that may have taken the task had begun by the 404
    if (erasures.erasedBefore(op, r.fail.t)) continue;
    readsNotFound++;
    reads.add(() => ({
      message: `task ${r.taskId}: read op ${r.invoke.opId} by ${r.invoke.process} (invoked t=${r.invoke.t}ms) answered 404 at t=${r.fail.t}ms, after ${describeSubmit(op)} had acknowledged it`,
      taskId: r.taskId,
      at: r.fail.t,
      entries: [...submitEntries(op), r.invoke, r.fail],
    }));
  }
  return readsNotFound;
}

/** Without a snapshot only duplicates and unread writes can be told: a violation if any, else unknown. */
function verdictWithoutSnapshot(stats: Record<string, number>, duplicatedKeys: number, duplicatedTerminals: number, readsNotFound: number, duplicatedFindings: Findings, readFindings: Findings): Verdict {
  const duplicated = duplicatedKeys + duplicatedTerminals;
  const violations = duplicated + readsNotFound;
  const evidence = [{ message: 'no snapshot entry: lost, recovered and unexpected jobs cannot be told' }];
  return {
    checker: 'totalQueue',
    // A duplicate seen in the responses or the log, or an unread write, is a violation with or without a snapshot.
    valid: violations > 0 ? false : 'unknown',
    evidence: [...duplicatedFindings.evidence(), ...readFindings.evidence(), ...evidence],
    stats: { ...stats, duplicated, readsNotFound, violations },
  };
}

/** duplicated: one job listed by two tasks of the snapshot. Returns how many repeats. */
function findRepeatedJobs(obs: Observations, snapshot: SnapshotEntry, duplicated: Findings): number {
  let duplicatedJobs = 0;
  for (const { task, job } of obs.snapshotRepeats) {
    const other = obs.jobsById.get(job.jobId)!.inSnapshot!.task;
    duplicatedJobs++;
    duplicated.add(() => ({
      message: `job ${job.jobId}: listed ${other === task ? `twice by task ${task.taskId}` : `by two tasks, ${other.taskId} and ${task.taskId}`} in the snapshot at t=${snapshot.t}ms`,
      jobId: job.jobId,
      taskId: task.taskId,
      at: snapshot.t,
      entries: [{ ...snapshotExcerpt(snapshot, other, job.jobId), tasks: other === task ? [task] : [other, task] } satisfies SnapshotEntry],
    }));
  }
  return duplicatedJobs;
}

/**
 * Malformed evidence and orphans, by job (and malformed task hashes by task): each is reported
 * once, and an acknowledged job they concern is not reported lost as well.
 */
interface BadEvidence {
  malformedEntries: Malformed[];
  malformedJob: Map<string, Malformed>;
  malformedTask: Map<string, Malformed>;
  orphanOf: Map<string, Orphan>;
}

function indexBadEvidence(snapshot: SnapshotEntry): BadEvidence {
  const malformedEntries = snapshot.malformed ?? [];
  const malformedJob = new Map<string, Malformed>();
  const malformedTask = new Map<string, Malformed>();
  for (const m of malformedEntries) {
    if (m.jobId !== undefined) malformedJob.set(m.jobId, m);
    else if (m.taskId !== undefined) malformedTask.set(m.taskId, m);
  }
  const orphanOf = new Map<string, Orphan>((snapshot.orphans ?? []).map((o) => [o.jobId, o]));
  return { malformedEntries, malformedJob, malformedTask, orphanOf };
}

/**
 * lost: acknowledged, yet not terminal (or absent) after the final heal. Absent while a key
 * that could hold it was left unread: undecided, not lost (`hiding`: the keys that did).
 */
function findLostAcknowledged(obs: Observations, snapshot: SnapshotEntry, bad: BadEvidence, erasures: Erasures, lostFindings: Findings): { lost: number; undecided: number; erased: number; hiding: Set<Unreadable> } {
  const unreadable = snapshot.unreadable ?? [];
  const hiding = new Set<Unreadable>();
  let lost = 0;
  let undecided = 0;
  let erased = 0;
  for (const { jobId, origin, inSnapshot: found } of obs.jobs) {
    if (!origin || (found && isTerminal(found.job.state))) continue;
    // submitted before an erasure began: what it wrote may be gone with it
    if (erasures.mayErase(origin.submit)) {
      erased++;
      continue;
    }
    if (!found) {
      if (bad.malformedJob.has(jobId) || bad.malformedTask.has(origin.submit.taskId!) || bad.orphanOf.has(jobId)) continue;
      if (mayHide(unreadable, jobId, origin.submit.taskId)) {
        undecided++;
        for (const u of unreadable) if (mayHide([u], jobId, origin.submit.taskId)) hiding.add(u);
        continue;
      }
    }
    const op = origin.submit;
    lost++;
    lostFindings.add(() => ({
      message: `job ${jobId} (task ${op.taskId}): lost — acknowledged by ${describeSubmit(op)} but the snapshot at t=${snapshot.t}ms ${found ? `has it ${found.job.state}` : 'has no such job'}`,
      jobId,
      taskId: op.taskId,
      at: snapshot.t,
      entries: [...submitEntries(op), snapshotExcerpt(snapshot, found?.task, jobId)],
    }));
  }
  return { lost, undecided, erased, hiding };
}

/** What the snapshot holds that was not acknowledged, counted. */
interface Unacknowledged {
  unexpected: number;
  unexpectedTasks: number;
  recovered: number;
  recoveredNotTerminal: number;
  failedTookEffect: number;
  /** recovered jobs not terminal: lost like acknowledged ones */
  lost: number;
  /** tasks accounted for by a keyless submit whose answer was lost */
  recoveredKeylessTasks: number;
  /** recovered jobs not terminal whose key a submit sent before an erasure began: excused */
  erased: number;
}

/** The findings a snapshot task goes to, and the snapshot they cite. */
interface TaskJudgment {
  snapshot: SnapshotEntry;
  erasures: Erasures;
  counts: Unacknowledged;
  lostFindings: Findings;
  unexpectedFindings: Findings;
}

/** unexpected: a task no submit sent the idempotency key of, and no keyless submit whose answer was lost is left to account for (`keyless`: why not). */
function unexpectedTask(task: TaskView, { snapshot, counts, unexpectedFindings }: TaskJudgment, keyless = ''): void {
  counts.unexpectedTasks++;
  counts.unexpected += task.jobs.length;
  unexpectedFindings.add(() => ({
    message: `task ${task.taskId}: in the snapshot at t=${snapshot.t}ms with ${task.jobs.length} job(s) but no submit sent its idempotency key ${task.idempotencyKey ?? '(none)'}${keyless}`,
    taskId: task.taskId,
    at: snapshot.t,
    entries: [snapshotExcerpt(snapshot, task)],
  }));
}

/** unexpected: jobs of an acknowledged task that its ok response did not list. */
function jobsBeyondResponse(task: TaskView, ackOp: SubmitOp, { snapshot, counts, unexpectedFindings }: TaskJudgment): void {
  const jobIds = ackOp.jobIds!;
  // normally the task lists exactly the response's jobs, in the same order
  const same = task.jobs.length === jobIds.length && task.jobs.every((j, i) => j.jobId === jobIds[i]);
  const listed = same ? undefined : new Set(jobIds);
  for (const job of task.jobs) {
    if (!listed || listed.has(job.jobId)) continue;
    counts.unexpected++;
    unexpectedFindings.add(() => ({
      message: `job ${job.jobId} (task ${task.taskId}): in the snapshot at t=${snapshot.t}ms but not among the jobIds [${ackOp.jobIds!.join(', ')}] of ${describeSubmit(ackOp)}`,
      jobId: job.jobId,
      taskId: task.taskId,
      at: snapshot.t,
      entries: [...submitEntries(ackOp), snapshotExcerpt(snapshot, task, job.jobId)],
    }));
  }
}

/** failedTookEffect: every submit with this key was refused (4xx: nothing written), yet the task exists. */
function reportFailedTookEffect(task: TaskView, sent: SubmitOp[], { snapshot, counts, unexpectedFindings }: TaskJudgment): void {
  counts.failedTookEffect++;
  unexpectedFindings.add(() => ({
    message: `task ${task.taskId}: in the snapshot at t=${snapshot.t}ms but every submit with its key ${task.idempotencyKey} failed: ${sent.map(describeSubmit).join('; ')}`,
    taskId: task.taskId,
    at: snapshot.t,
    entries: [...sent.flatMap(submitEntries), snapshotExcerpt(snapshot, task)],
  }));
}

/**
 * A task sent only by indeterminate submits took effect: its jobs are recovered, and owed a
 * terminal state from here on (else lost); a job past the most any of them sent is unexpected.
 */
function recoveredJobs(task: TaskView, sent: SubmitOp[], { snapshot, erasures, counts, lostFindings, unexpectedFindings }: TaskJudgment): void {
  const maxJobs = Math.max(...sent.map((op) => op.payloads?.length ?? Infinity));
  const how = sent[0]!.idempotencyKey === undefined ? 'without a key' : `with key ${task.idempotencyKey}`;
  task.jobs.forEach((job, i) => {
    if (i >= maxJobs) {
      counts.unexpected++;
      unexpectedFindings.add(() => ({
        message: `job ${job.jobId} (task ${task.taskId}): job #${i + 1} in the snapshot but the submits ${how} sent at most ${maxJobs} job(s)`,
        jobId: job.jobId,
        taskId: task.taskId,
        at: snapshot.t,
        entries: [...sent.flatMap(submitEntries), snapshotExcerpt(snapshot, task, job.jobId)],
      }));
      return;
    }
    counts.recovered++;
    if (isTerminal(job.state)) return;
    // one of its submits was in flight across an erasure (or before it): what it wrote may be gone
    if (sent.some((op) => erasures.mayErase(op))) {
      counts.erased++;
      return;
    }
    // it took effect: from here on it is owed what an acknowledged job is owed
    counts.recoveredNotTerminal++;
    counts.lost++;
    lostFindings.add(() => ({
      message: `job ${job.jobId} (task ${task.taskId}): lost — an indeterminate submit ${how} took effect (${sent.map(describeSubmit).join('; ')}) but the snapshot at t=${snapshot.t}ms has it ${job.state}`,
      jobId: job.jobId,
      taskId: task.taskId,
      at: snapshot.t,
      entries: [...sent.flatMap(submitEntries), snapshotExcerpt(snapshot, task, job.jobId)],
    }));
  });
}

/**
 * Tasks no answer listed and no submit's key names, each matched to a distinct keyless submit
 * whose answer was lost (info or none) and that sent at least as many jobs: the tasks with the
 * most jobs first, each to the fitting submit that sent the fewest (the submits a task fits are
 * nested by job count, so this matches as many tasks as any matching could). Returns the matched
 * submit per task; a task absent from it is accounted for by no submission.
 */
export function matchKeyless(tasks: TaskView[], submits: SubmitOp[]): Map<TaskView, SubmitOp> {
  const sent = (op: SubmitOp): number => op.payloads?.length ?? Infinity;
  const free = submits.filter((op) => op.idempotencyKey === undefined && isIndeterminate(op)).sort((a, b) => (sent(a) === sent(b) ? 0 : sent(a) < sent(b) ? -1 : 1));
  const matched = new Map<TaskView, SubmitOp>();
  for (const task of [...tasks].sort((a, b) => b.jobs.length - a.jobs.length)) {
    const i = free.findIndex((op) => sent(op) >= task.jobs.length);
    if (i < 0) continue;
    matched.set(task, free[i]!);
    free.splice(i, 1);
  }
  return matched;
}

/** Why a task matched no keyless submit, for its finding ('' when no submit was keyless). */
function keylessWhyNot(obs: Observations, matched: number): string {
  const keyless = obs.submits.filter((op) => op.idempotencyKey === undefined);
  if (keyless.length === 0) return '';
  const lost = keyless.filter(isIndeterminate).length;
  return `, and no keyless submit whose answer was lost is left to account for it (${keyless.length} keyless submit(s), ${lost} of them unanswered, ${matched} matched to other tasks)`;
}

/** unexpected / recovered: what the snapshot holds that was not acknowledged, task by task. */
function judgeUnacknowledged(obs: Observations, snapshot: SnapshotEntry, okByTaskId: Map<string, SubmitOp>, erasures: Erasures, lostFindings: Findings, unexpectedFindings: Findings): Unacknowledged {
  const counts: Unacknowledged = { unexpected: 0, unexpectedTasks: 0, recovered: 0, recoveredNotTerminal: 0, failedTookEffect: 0, lost: 0, recoveredKeylessTasks: 0, erased: 0 };
  const judgment: TaskJudgment = { snapshot, erasures, counts, lostFindings, unexpectedFindings };
  // a task whose key no submit sent (none, or one the system made up) may be a keyless submission's
  const unclaimed = snapshot.tasks.filter((task) => !okByTaskId.has(task.taskId) && (task.idempotencyKey == null || !obs.submitsByKey.has(task.idempotencyKey)));
  const keylessOf = matchKeyless(unclaimed, obs.submits);
  const whyNot = keylessWhyNot(obs, keylessOf.size);
  for (const task of snapshot.tasks) {
    const ackOp = okByTaskId.get(task.taskId);
    const sent = task.idempotencyKey == null ? undefined : obs.submitsByKey.get(task.idempotencyKey);
    const keyless = !ackOp && !sent ? keylessOf.get(task) : undefined;
    if (keyless) {
      counts.recoveredKeylessTasks++;
      recoveredJobs(task, [keyless], judgment);
    } else if (!ackOp && !sent) unexpectedTask(task, judgment, whyNot);
    else if (ackOp) jobsBeyondResponse(task, ackOp, judgment);
    // Sent only by submits that failed or whose outcome is unknown (a task under an
    // acknowledged key with another taskId is a duplicate: findDuplicatedKeys).
    else if (sent!.some((op) => op.outcome === 'ok')) continue;
    else if (sent!.every((op) => op.outcome === 'fail')) reportFailedTookEffect(task, sent!, judgment);
    else recoveredJobs(task, sent!, judgment);
  }
  return counts;
}

/** malformed: read, but outside the protocol; the acknowledged jobs it hides were not reported lost. */
function reportMalformed(obs: Observations, snapshot: SnapshotEntry, okByTaskId: Map<string, SubmitOp>, malformedEntries: Malformed[], evidenceFindings: Findings): void {
  for (const m of malformedEntries) {
    const origin = m.jobId === undefined ? undefined : obs.jobsById.get(m.jobId)?.origin;
    const ackOp = m.jobId === undefined && m.taskId !== undefined ? okByTaskId.get(m.taskId) : undefined;
    const ack = origin ? `; acknowledged by ${describeSubmit(origin.submit)}` : ackOp ? `; its job(s) ${ackOp.jobIds!.join(', ')}, acknowledged by ${describeSubmit(ackOp)}, cannot be found through it` : '';
    const what = m.jobId !== undefined ? `job ${m.jobId}${m.taskId !== undefined ? ` (task ${m.taskId})` : ''}` : `task ${m.taskId ?? '?'}`;
    evidenceFindings.add(() => ({
      message: `${what}: ${m.key} is malformed in the snapshot at t=${snapshot.t}ms: ${m.problem}${ack}`,
      jobId: m.jobId,
      taskId: m.taskId ?? origin?.submit.taskId,
      at: snapshot.t,
      entries: [...(origin ? submitEntries(origin.submit) : ackOp ? submitEntries(ackOp) : []), { ...snapshotExcerpt(snapshot, undefined, m.jobId), malformed: [m] }],
    }));
  }
}

/** orphans: a job hash no task lists is accounted for by no task (a malformed one is reported once, by reportMalformed). Returns how many. */
function reportOrphans(obs: Observations, snapshot: SnapshotEntry, bad: BadEvidence, erasures: Erasures, evidenceFindings: Findings): number {
  let orphans = 0;
  for (const o of bad.orphanOf.values()) {
    if (bad.malformedJob.has(o.jobId)) continue;
    const origin = obs.jobsById.get(o.jobId)?.origin;
    // its task was submitted before an erasure: the task may be gone while a late write made the job again
    if (origin && erasures.mayErase(origin.submit)) continue;
    orphans++;
    const whose = origin
      ? `acknowledged by ${describeSubmit(origin.submit)} as a job of task ${origin.submit.taskId}, yet no task owns it`
      : 'no submit acknowledged it and no task accounts for it';
    evidenceFindings.add(() => ({
      message: `job ${o.jobId}: ${o.key} (state ${o.state}${o.taskId !== undefined ? `, naming task ${o.taskId}` : ''}) is listed by no task in the snapshot at t=${snapshot.t}ms; ${whose}`,
      jobId: o.jobId,
      taskId: o.taskId ?? origin?.submit.taskId,
      at: snapshot.t,
      entries: [...(origin ? submitEntries(origin.submit) : []), { ...snapshotExcerpt(snapshot, undefined, o.jobId), orphans: [o] }],
    }));
  }
  return orphans;
}

export function totalQueue(history: History, obs: Observations = observe(history)): Verdict {
  const duplicatedFindings = new Findings();
  const readFindings = new Findings();
  const { stats, okByTaskId } = countSubmits(obs);
  const erasures = new Erasures(obs);
  const duplicatedKeys = findDuplicatedKeys(obs, erasures, duplicatedFindings);
  const duplicatedTerminals = findDuplicatedTerminals(obs, duplicatedFindings);
  const readsNotFound = findUnreadWrites(history, obs, erasures, readFindings);
  const snapshot = obs.snapshot;
  if (!snapshot) return verdictWithoutSnapshot(stats, duplicatedKeys, duplicatedTerminals, readsNotFound, duplicatedFindings, readFindings);

  const lostFindings = new Findings();
  const unexpectedFindings = new Findings();
  const evidenceFindings = new Findings();
  const duplicatedJobs = findRepeatedJobs(obs, snapshot, duplicatedFindings);
  const bad = indexBadEvidence(snapshot);
  const acknowledged = findLostAcknowledged(obs, snapshot, bad, erasures, lostFindings);
  const { unexpected, unexpectedTasks, recovered, recoveredNotTerminal, recoveredKeylessTasks, failedTookEffect, lost: lostRecovered, erased: erasedRecovered } = judgeUnacknowledged(obs, snapshot, okByTaskId, erasures, lostFindings, unexpectedFindings);
  reportMalformed(obs, snapshot, okByTaskId, bad.malformedEntries, evidenceFindings);
  const orphans = reportOrphans(obs, snapshot, bad, erasures, evidenceFindings);

  const lost = acknowledged.lost + lostRecovered;
  const undecided = acknowledged.undecided;
  const duplicated = duplicatedKeys + duplicatedTerminals + duplicatedJobs;
  const malformed = bad.malformedEntries.length;
  const violations = lost + unexpected + failedTookEffect + duplicated + malformed + orphans + readsNotFound;
  // only the unread keys that left a job undecided
  const unreadEvidence = [...acknowledged.hiding].map((u) => ({ message: `could not read ${u.key}: ${u.error}`, jobId: u.jobId, taskId: u.taskId }));
  return {
    checker: 'totalQueue',
    valid: violations > 0 ? false : undecided > 0 ? 'unknown' : true,
    evidence: [...lostFindings.evidence(), ...unexpectedFindings.evidence(), ...duplicatedFindings.evidence(), ...evidenceFindings.evidence(), ...readFindings.evidence(), ...unreadEvidence],
    stats: { ...stats, lost, recovered, recoveredNotTerminal, recoveredKeylessTasks, failedTookEffect, unexpected, unexpectedTasks, duplicated, malformed, orphans, readsNotFound, undecided, ...(erasures.any ? { erasedExcused: acknowledged.erased + erasedRecovered } : {}), violations },
  };
}
