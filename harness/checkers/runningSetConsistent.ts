// running-set-consistent: after the final settle, the running set (and its per-job info)
// holds exactly the running jobs — no finished job left behind, no running job missing.

import type { History, Verdict } from '../history/types.ts';
import { Findings, snapshotExcerpt } from './findings.ts';
import { observe, type Observations } from './observations.ts';
import { rolesOf } from './roles.ts';
import { mayHide, unread } from './unreadable.ts';

export function runningSetConsistent(history: History, obs: Observations = observe(history)): Verdict {
  const findings = new Findings();
  const snapshot = obs.snapshot;
  if (!snapshot) {
    return { checker: 'runningSetConsistent', valid: 'unknown', evidence: [{ message: 'no snapshot entry: the run never settled' }] };
  }
  let leftovers = 0;
  let missing = 0;
  let undecided = 0;
  const unreadable = snapshot.unreadable ?? [];
  const setUnread = unread(unreadable, rolesOf(obs).evidence.runningSet);

  const inRunningSet = new Set(snapshot.runningSet);
  for (const [name, ids] of [
    ['runningSet', inRunningSet],
    ['runningInfo', new Set(snapshot.runningInfo)],
  ] as const) {
    for (const jobId of ids) {
      const found = obs.jobsById.get(jobId)?.inSnapshot;
      if (found?.job.state === 'running') continue;
      if (!found && mayHide(unreadable, jobId, obs.jobsById.get(jobId)?.origin?.submit.taskId)) {
        undecided++; // its task may be among what could not be read
        continue;
      }
      leftovers++;
      findings.add(() => ({
        message: found
          ? `job ${jobId} (task ${found.task.taskId}): ${found.job.state} but still in ${name} at snapshot t=${snapshot.t}ms`
          : `job ${jobId}: in ${name} at snapshot t=${snapshot.t}ms but no task of the snapshot has it`,
        jobId,
        taskId: found?.task.taskId,
        at: snapshot.t,
        entries: [snapshotExcerpt(snapshot, found?.task, jobId)],
      }));
    }
  }

  for (const { jobId, inSnapshot } of obs.jobs) {
    if (inSnapshot?.job.state !== 'running' || inRunningSet.has(jobId)) continue;
    if (setUnread) {
      undecided++;
      continue;
    }
    const task = inSnapshot.task;
    missing++;
    findings.add(() => ({
      message: `job ${jobId} (task ${task.taskId}): running but missing from runningSet at snapshot t=${snapshot.t}ms`,
      jobId,
      taskId: task.taskId,
      at: snapshot.t,
      entries: [snapshotExcerpt(snapshot, task, jobId)],
    }));
  }

  const stats = { runningSet: inRunningSet.size, runningInfo: snapshot.runningInfo.length, leftovers, missing, undecided };
  if (findings.count === 0 && (undecided > 0 || setUnread)) {
    const evidence = unreadable.map((u) => ({ message: `could not read ${u.key}: ${u.error}`, jobId: u.jobId, taskId: u.taskId }));
    return { checker: 'runningSetConsistent', valid: 'unknown', evidence, stats: { violations: 0, ...stats } };
  }
  return findings.verdict('runningSetConsistent', stats);
}
