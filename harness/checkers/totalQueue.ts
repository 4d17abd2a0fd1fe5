// total-queue (Jepsen's names): every job the system acknowledged reaches a terminal state
// once faults heal (else lost); nothing appears that no submission asked for (unexpected);
// nothing is created or finished twice (duplicated). As Jepsen treats them: an indeterminate
// submission (info, or no answer) may or may not take effect — one that did is recovered and
// must then reach a terminal state like an acknowledged one (else lost); a failed submission
// (a 4xx: nothing written) must not take effect at all (else failedTookEffect).

import type { ClientEntry, History, HistoryEntry, SnapshotEntry, TaskView, TransitionEntry, Verdict } from '../history/types.ts';
import { describeTransition, Findings, snapshotExcerpt } from './findings.ts';
import { observe, type Observations, type SubmitOp } from './observations.ts';
import { isTerminal } from './spec.ts';

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
    const evidence = [{ message: 'no snapshot entry: lost, recovered and unexpected jobs cannot be told' }];
    return {
      checker: 'totalQueue',
      // A duplicate seen in the responses or the log is a violation with or without a snapshot.
      valid: duplicated > 0 ? false : 'unknown',
      evidence: [...duplicatedFindings.evidence(), ...evidence],
      stats: { ...stats, duplicated, violations: duplicated },
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

  // lost: acknowledged, yet not terminal (or absent) after the final heal. Absent from a
  // snapshot that could not read everything: undecided, not lost.
  const incomplete = (snapshot.unreadable?.length ?? 0) > 0;
  let lost = 0;
  let undecided = 0;
  for (const { jobId, origin, inSnapshot: found } of obs.jobs) {
    if (!origin || (found && isTerminal(found.job.state))) continue;
    if (!found && incomplete) {
      undecided++;
      continue;
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

  const duplicated = duplicatedKeys + duplicatedTerminals + duplicatedJobs;
  const violations = lost + unexpected + failedTookEffect + duplicated;
  const unreadEvidence = undecided > 0 ? (snapshot.unreadable ?? []).map((u) => ({ message: `could not read ${u.key}: ${u.error}`, jobId: u.jobId, taskId: u.taskId })) : [];
  return {
    checker: 'totalQueue',
    valid: violations > 0 ? false : undecided > 0 ? 'unknown' : true,
    evidence: [...lostFindings.evidence(), ...unexpectedFindings.evidence(), ...duplicatedFindings.evidence(), ...unreadEvidence],
    stats: { ...stats, lost, recovered, recoveredNotTerminal, failedTookEffect, unexpected, unexpectedTasks, duplicated, undecided, violations },
  };
}
