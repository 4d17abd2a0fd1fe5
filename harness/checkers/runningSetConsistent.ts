// running-set-consistent: after the final settle, the running set (and its per-job info)
// holds exactly the running jobs — no finished job left behind, no running job missing.

import type { History, Verdict } from '../history/types.ts';
import { Findings, snapshotExcerpt } from './findings.ts';
import { observe, type Observations } from './observations.ts';

export function runningSetConsistent(history: History, obs: Observations = observe(history)): Verdict {
  const findings = new Findings();
  const snapshot = obs.snapshot;
  if (!snapshot) {
    return { checker: 'runningSetConsistent', valid: 'unknown', evidence: [{ message: 'no snapshot entry: the run never settled' }] };
  }
  let leftovers = 0;
  let missing = 0;

  const inRunningSet = new Set(snapshot.runningSet);
  for (const [name, ids] of [
    ['runningSet', inRunningSet],
    ['runningInfo', new Set(snapshot.runningInfo)],
  ] as const) {
    for (const jobId of ids) {
      const found = obs.jobsById.get(jobId)?.inSnapshot;
      if (found?.job.state === 'running') continue;
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

  return findings.verdict('runningSetConsistent', {
    runningSet: inRunningSet.size,
    runningInfo: snapshot.runningInfo.length,
    leftovers,
    missing,
  });
}
