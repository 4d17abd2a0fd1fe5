// total-queue (Jepsen's names): every job the system acknowledged reaches a terminal state
// once faults heal (else lost); nothing appears that no submission asked for (unexpected);
// nothing is created or finished twice (duplicated). As Jepsen treats them: an indeterminate
// submission (info, or no answer) may or may not take effect — one that did is recovered and
// must then reach a terminal state like an acknowledged one (else lost); a failed submission
// (a 4xx: nothing written) must not take effect at all (else failedTookEffect).
//
// It also judges the evidence the final state itself is: a key read but outside the protocol
// (snapshot.malformed: a job state the machine does not have, a task's jobIds that are no list)
// and a job hash no task lists (snapshot.orphans) are violations; so is a read answered 404 for a
// task whose submit was acknowledged before the read began (read-your-writes). Each absent job is
// reported once here: malformed before orphan before lost (a job hash with a bad state is absent
// from snapshot.tasks, so the other checkers see it as missing, which it is for any state they
// compare). Part of the final state left unread makes a job undecided only when that key could
// hold it: its job hash, its task hash, or everything ('*').

import type { ClientEntry, History, HistoryEntry, Malformed, Orphan, SnapshotEntry, TaskView, TransitionEntry, Unreadable, Verdict } from '../history/types.ts';
import { describeTransition, Findings, snapshotExcerpt } from './findings.ts';
import { observe, type Observations, type SubmitOp } from './observations.ts';
import { isTerminal } from './spec.ts';
import { mayHide } from './unreadable.ts';

function submitEntries(op: SubmitOp): ClientEntry[] {
  return op.completion ? [op.invoke, op.completion] : [op.invoke];
}

function describeSubmit(op: SubmitOp): string {
  const ended = op.completion ? `${op.outcome} at t=${op.completion.t}ms` : 'never completed';
  return `submit op ${op.invoke.opId} by ${op.invoke.process} (key ${op.idempotencyKey}, invoked t=${op.invoke.t}ms, ${ended})`;
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

export function totalQueue(history: History, obs: Observations = observe(history)): Verdict {
  const lostFindings = new Findings();
  const unexpectedFindings = new Findings();
  const duplicatedFindings = new Findings();
  const snapshot = obs.snapshot;

  const outcomes = { ok: 0, fail: 0, info: 0, pending: 0 };
  const okByTaskId = new Map<string, SubmitOp>();
  for (const op of obs.submits) {
    outcomes[op.outcome]++;
    if (op.taskId && op.jobIds && !okByTaskId.has(op.taskId)) okByTaskId.set(op.taskId, op);
  }

  // duplicated: one idempotency key, two tasks (across ok responses and the snapshot).
  // Only the first sighting per key is kept, and a list only for keys with a conflict.
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
  for (const op of obs.submits) if (op.taskId) sight(op.idempotencyKey, op);
  if (snapshot) for (const task of snapshot.tasks) if (task.idempotencyKey != null) sight(task.idempotencyKey, task);
  const describeSighting = (s: Sighting): string =>
    isSubmit(s) ? `${s.taskId} (${describeSubmit(s)})` : `${s.taskId} (snapshot at t=${snapshot!.t}ms)`;
  for (const [key, all] of conflicts) {
    duplicatedFindings.add(() => ({
      message: `idempotency key ${key} produced ${all.length} tasks: ${all.map(describeSighting).join(', ')}`,
      taskId: sightedTask(all[1]),
      entries: all.flatMap((s): HistoryEntry[] => (isSubmit(s) ? submitEntries(s) : [snapshotExcerpt(snapshot!, s)])),
    }));
  }
  const duplicatedKeys = conflicts.size;

  // duplicated: a job finished twice in the transition log
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
      duplicatedFindings.add(() => ({
        message: `job ${jobId}: a second applied transition into a terminal state, ${describeTransition(e)}, after ${describeTransition(terminal)}`,
        jobId,
        at: e.t,
        entries: [terminal, e],
      }));
    }
  }

  // read-your-writes: a read begun after a submit of its task was acknowledged must find the task
  const readFindings = new Findings();
  const firstAck = new Map<string, SubmitOp>(); // taskId → the ok submit that answered first
  for (const op of obs.submits) {
    if (!op.taskId || !op.completion) continue;
    const seen = firstAck.get(op.taskId);
    if (!seen || op.completion.t < seen.completion!.t) firstAck.set(op.taskId, op);
  }
  let readsNotFound = 0;
  for (const r of notFoundReads(history)) {
    const op = firstAck.get(r.taskId);
    if (!op || !(op.completion!.t < r.invoke.t)) continue;
    readsNotFound++;
    readFindings.add(() => ({
      message: `task ${r.taskId}: read op ${r.invoke.opId} by ${r.invoke.process} (invoked t=${r.invoke.t}ms) answered 404 at t=${r.fail.t}ms, after ${describeSubmit(op)} had acknowledged it`,
      taskId: r.taskId,
      at: r.fail.t,
      entries: [...submitEntries(op), r.invoke, r.fail],
    }));
  }

  const stats: Record<string, number> = {
    attempted: obs.submits.length,
    submitsOk: outcomes.ok,
    submitsFail: outcomes.fail,
    submitsInfo: outcomes.info,
    submitsPending: outcomes.pending,
    acknowledgedTasks: okByTaskId.size,
    acknowledged: obs.jobs.reduce((n, r) => (r.origin ? n + 1 : n), 0),
  };

  if (!snapshot) {
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

  // duplicated: one job listed by two tasks of the snapshot
  let duplicatedJobs = 0;
  for (const { task, job } of obs.snapshotRepeats) {
    const other = obs.jobsById.get(job.jobId)!.inSnapshot!.task;
    duplicatedJobs++;
    duplicatedFindings.add(() => ({
      message: `job ${job.jobId}: listed ${other === task ? `twice by task ${task.taskId}` : `by two tasks, ${other.taskId} and ${task.taskId}`} in the snapshot at t=${snapshot.t}ms`,
      jobId: job.jobId,
      taskId: task.taskId,
      at: snapshot.t,
      entries: [{ ...snapshotExcerpt(snapshot, other, job.jobId), tasks: other === task ? [task] : [other, task] } satisfies SnapshotEntry],
    }));
  }

  // malformed evidence and orphans, by job (and malformed task hashes by task): each is
  // reported below, once, and an acknowledged job they concern is not reported lost as well
  const malformedEntries = snapshot.malformed ?? [];
  const malformedJob = new Map<string, Malformed>();
  const malformedTask = new Map<string, Malformed>();
  for (const m of malformedEntries) {
    if (m.jobId !== undefined) malformedJob.set(m.jobId, m);
    else if (m.taskId !== undefined) malformedTask.set(m.taskId, m);
  }
  const orphanOf = new Map<string, Orphan>((snapshot.orphans ?? []).map((o) => [o.jobId, o]));

  // lost: acknowledged, yet not terminal (or absent) after the final heal. Absent while a key
  // that could hold it was left unread: undecided, not lost.
  const unreadable = snapshot.unreadable ?? [];
  const hiding = new Set<Unreadable>();
  let lost = 0;
  let undecided = 0;
  for (const { jobId, origin, inSnapshot: found } of obs.jobs) {
    if (!origin || (found && isTerminal(found.job.state))) continue;
    if (!found) {
      if (malformedJob.has(jobId) || malformedTask.has(origin.submit.taskId!) || orphanOf.has(jobId)) continue;
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

  // unexpected / recovered: what the snapshot holds that was not acknowledged
  let unexpected = 0;
  let unexpectedTasks = 0;
  let recovered = 0;
  let recoveredNotTerminal = 0;
  let failedTookEffect = 0;
  for (const task of snapshot.tasks) {
    const ackOp = okByTaskId.get(task.taskId);
    const sent = task.idempotencyKey == null ? undefined : obs.submitsByKey.get(task.idempotencyKey);
    if (!ackOp && !sent) {
      unexpectedTasks++;
      unexpected += task.jobs.length;
      unexpectedFindings.add(() => ({
        message: `task ${task.taskId}: in the snapshot at t=${snapshot.t}ms with ${task.jobs.length} job(s) but no submit sent its idempotency key ${task.idempotencyKey ?? '(none)'}`,
        taskId: task.taskId,
        at: snapshot.t,
        entries: [snapshotExcerpt(snapshot, task)],
      }));
      continue;
    }
    if (ackOp) {
      const jobIds = ackOp.jobIds!;
      // normally the task lists exactly the response's jobs, in the same order
      const same = task.jobs.length === jobIds.length && task.jobs.every((j, i) => j.jobId === jobIds[i]);
      const listed = same ? undefined : new Set(jobIds);
      for (const job of task.jobs) {
        if (!listed || listed.has(job.jobId)) continue;
        unexpected++;
        unexpectedFindings.add(() => ({
          message: `job ${job.jobId} (task ${task.taskId}): in the snapshot at t=${snapshot.t}ms but not among the jobIds [${ackOp.jobIds!.join(', ')}] of ${describeSubmit(ackOp)}`,
          jobId: job.jobId,
          taskId: task.taskId,
          at: snapshot.t,
          entries: [...submitEntries(ackOp), snapshotExcerpt(snapshot, task, job.jobId)],
        }));
      }
      continue;
    }
    // Sent only by submits that failed or whose outcome is unknown (a task under an
    // acknowledged key with another taskId is a duplicate, reported above).
    if (sent!.some((op) => op.outcome === 'ok')) continue;
    if (sent!.every((op) => op.outcome === 'fail')) {
      // every submit with this key was refused (4xx: nothing written), yet the task exists
      failedTookEffect++;
      unexpectedFindings.add(() => ({
        message: `task ${task.taskId}: in the snapshot at t=${snapshot.t}ms but every submit with its key ${task.idempotencyKey} failed: ${sent!.map(describeSubmit).join('; ')}`,
        taskId: task.taskId,
        at: snapshot.t,
        entries: [...sent!.flatMap(submitEntries), snapshotExcerpt(snapshot, task)],
      }));
      continue;
    }
    const maxJobs = Math.max(...sent!.map((op) => op.payloads?.length ?? Infinity));
    task.jobs.forEach((job, i) => {
      if (i >= maxJobs) {
        unexpected++;
        unexpectedFindings.add(() => ({
          message: `job ${job.jobId} (task ${task.taskId}): job #${i + 1} in the snapshot but the submits with key ${task.idempotencyKey} sent at most ${maxJobs} job(s)`,
          jobId: job.jobId,
          taskId: task.taskId,
          at: snapshot.t,
          entries: [...sent!.flatMap(submitEntries), snapshotExcerpt(snapshot, task, job.jobId)],
        }));
        return;
      }
      recovered++;
      if (isTerminal(job.state)) return;
      // it took effect: from here on it is owed what an acknowledged job is owed
      recoveredNotTerminal++;
      lost++;
      lostFindings.add(() => ({
        message: `job ${job.jobId} (task ${task.taskId}): lost — an indeterminate submit with key ${task.idempotencyKey} took effect (${sent!.map(describeSubmit).join('; ')}) but the snapshot at t=${snapshot.t}ms has it ${job.state}`,
        jobId: job.jobId,
        taskId: task.taskId,
        at: snapshot.t,
        entries: [...sent!.flatMap(submitEntries), snapshotExcerpt(snapshot, task, job.jobId)],
      }));
    });
  }

  // malformed: read, but outside the protocol; the acknowledged jobs it hides were skipped above
  const evidenceFindings = new Findings();
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
  // orphans: a job hash no task lists is accounted for by no task (a malformed one is reported once, above)
  let orphans = 0;
  for (const o of orphanOf.values()) {
    if (malformedJob.has(o.jobId)) continue;
    orphans++;
    const origin = obs.jobsById.get(o.jobId)?.origin;
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

  const duplicated = duplicatedKeys + duplicatedTerminals + duplicatedJobs;
  const malformed = malformedEntries.length;
  const violations = lost + unexpected + failedTookEffect + duplicated + malformed + orphans + readsNotFound;
  // only the unread keys that left a job undecided
  const unreadEvidence = [...hiding].map((u) => ({ message: `could not read ${u.key}: ${u.error}`, jobId: u.jobId, taskId: u.taskId }));
  return {
    checker: 'totalQueue',
    valid: violations > 0 ? false : undecided > 0 ? 'unknown' : true,
    evidence: [...lostFindings.evidence(), ...unexpectedFindings.evidence(), ...duplicatedFindings.evidence(), ...evidenceFindings.evidence(), ...readFindings.evidence(), ...unreadEvidence],
    stats: { ...stats, lost, recovered, recoveredNotTerminal, failedTookEffect, unexpected, unexpectedTasks, duplicated, malformed, orphans, readsNotFound, undecided, violations },
  };
}
