// total-queue (Jepsen's names): every job the system acknowledged reaches a terminal state
// once faults heal (else lost); nothing appears that no submission asked for (unexpected);
// nothing is created or finished twice (duplicated); indeterminate submissions that did
// take effect are recovered, which is allowed.

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

interface TaskSighting {
  taskId: string;
  where: string;
  entries: () => HistoryEntry[];
}

export function totalQueue(history: History, obs: Observations = observe(history)): Verdict {
  const lostFindings = new Findings();
  const unexpectedFindings = new Findings();
  const duplicatedFindings = new Findings();
  const snapshot = obs.snapshot;

  const outcomes = { ok: 0, fail: 0, info: 0, pending: 0 };
  const acknowledged = new Map<string, SubmitOp>(); // jobId → acknowledging submit
  const okByTaskId = new Map<string, SubmitOp>();
  for (const op of obs.submits) {
    outcomes[op.outcome]++;
    if (op.outcome !== 'ok' || !op.taskId || !op.jobIds) continue;
    if (!okByTaskId.has(op.taskId)) okByTaskId.set(op.taskId, op);
    for (const jobId of op.jobIds) if (!acknowledged.has(jobId)) acknowledged.set(jobId, op);
  }

  // duplicated: one idempotency key, two tasks (across ok responses and the snapshot)
  const tasksOfKey = new Map<string, Map<string, TaskSighting>>();
  const sight = (key: string, s: TaskSighting): void => {
    let tasks = tasksOfKey.get(key);
    if (!tasks) tasksOfKey.set(key, (tasks = new Map()));
    if (!tasks.has(s.taskId)) tasks.set(s.taskId, s);
  };
  for (const op of obs.submits) {
    if (op.taskId) sight(op.idempotencyKey, { taskId: op.taskId, where: describeSubmit(op), entries: () => submitEntries(op) });
  }
  if (snapshot) {
    for (const task of snapshot.tasks) {
      if (task.idempotencyKey == null) continue;
      sight(task.idempotencyKey, {
        taskId: task.taskId,
        where: `snapshot at t=${snapshot.t}ms`,
        entries: () => [snapshotExcerpt(snapshot, task)],
      });
    }
  }
  let duplicatedKeys = 0;
  for (const [key, tasks] of tasksOfKey) {
    if (tasks.size < 2) continue;
    duplicatedKeys++;
    duplicatedFindings.add(() => {
      const all = [...tasks.values()];
      return {
        message: `idempotency key ${key} produced ${all.length} tasks: ${all.map((s) => `${s.taskId} (${s.where})`).join(', ')}`,
        taskId: all[1].taskId,
        entries: all.flatMap((s) => s.entries()),
      };
    });
  }

  // duplicated: a job finished twice in the transition log
  let duplicatedTerminals = 0;
  for (const [jobId, applied] of obs.appliedByJob) {
    let first: TransitionEntry | undefined;
    for (const e of applied) {
      if (!isTerminal(e.to)) continue;
      if (!first) {
        first = e;
        continue;
      }
      duplicatedTerminals++;
      const terminal = first;
      duplicatedFindings.add({
        message: `job ${jobId}: a second applied transition into a terminal state, ${describeTransition(e)}, after ${describeTransition(terminal)}`,
        jobId,
        at: e.t,
        entries: [terminal, e],
      });
    }
  }

  const stats: Record<string, number> = {
    attempted: obs.submits.length,
    submitsOk: outcomes.ok,
    submitsFail: outcomes.fail,
    submitsInfo: outcomes.info,
    submitsPending: outcomes.pending,
    acknowledgedTasks: okByTaskId.size,
    acknowledged: acknowledged.size,
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
  const taskOfJob = new Map<string, TaskView>();
  for (const task of snapshot.tasks) {
    for (const job of task.jobs) {
      const other = taskOfJob.get(job.jobId);
      if (!other) {
        taskOfJob.set(job.jobId, task);
        continue;
      }
      duplicatedJobs++;
      duplicatedFindings.add(() => ({
        message: `job ${job.jobId}: listed by two tasks of the snapshot at t=${snapshot.t}ms, ${other.taskId} and ${task.taskId}`,
        jobId: job.jobId,
        taskId: task.taskId,
        at: snapshot.t,
        entries: [{ ...snapshotExcerpt(snapshot, other, job.jobId), tasks: [other, task] } satisfies SnapshotEntry],
      }));
    }
  }

  // lost: acknowledged, yet not terminal (or absent) after the final heal
  let lost = 0;
  for (const [jobId, op] of acknowledged) {
    const found = obs.snapshotJobs.get(jobId);
    if (found && isTerminal(found.job.state)) continue;
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
      const listed = new Set(ackOp.jobIds);
      for (const job of task.jobs) {
        if (listed.has(job.jobId)) continue;
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
      if (!isTerminal(job.state)) recoveredNotTerminal++;
    });
  }

  const duplicated = duplicatedKeys + duplicatedTerminals + duplicatedJobs;
  const violations = lost + unexpected + duplicated;
  return {
    checker: 'totalQueue',
    valid: violations === 0,
    evidence: [...lostFindings.evidence(), ...unexpectedFindings.evidence(), ...duplicatedFindings.evidence()],
    stats: { ...stats, lost, recovered, recoveredNotTerminal, unexpected, unexpectedTasks, duplicated, violations },
  };
}
