// reexecution: at-least-once allows a job to run again after a crash, a pause or a cut or slowed
// link — not while everything that ran it was healthy. Every start of a payload under a new
// attempt (the executions log) must be explained by an effective fault on what ran the previous
// attempt or on what runs this one — that worker's process (kill, pause, restart, its executor
// killed), its link or the executors' link (any fault) — or on Redis (restart), in place at some
// moment of the job's life up to the later of the two starts. Found by the simulation, each
// with a test: a worker cut off while the job was delivered to it holds it unstarted, another
// worker reclaims and runs it, and the first runs it when its link is back; a worker paused
// while holding a delivered job starts it on waking, after another worker's later attempt
// (attempts start out of order).
// Faults on keepers and the front door cannot make a job run again.

import type { ExecutionEntry, History, NemesisEntry, Verdict } from '../history/types.ts';
import { Findings } from './findings.ts';
import { observe, type Observations } from './observations.ts';
import { workerOf } from './spec.ts';

export interface ReexecutionJudgment {
  /** starts under a later attempt than the job's first */
  reexecutions: number;
  /** of those, explained by a fault */
  explained: number;
  /** executions that ran at least `longMs` (to its next start or outcome) with no explaining fault: what the judgment needs to have something to judge */
  unexplained: { previous: ExecutionEntry; again: ExecutionEntry }[];
}

/**
 * The executions log's times are its stream ids' milliseconds, floored: a start logged at ms M
 * happened somewhere in [M, M + 1). A fault that began before M + 1 may have come first.
 */
const LOG_RESOLUTION_MS = 1;

/** Whether an effective fault step can make the job that `worker` runs be delivered or run again. */
function canRerun(n: NemesisEntry, worker: string): boolean {
  if (n.fault === 'redis-restart') return true;
  const t = n.target;
  return t === worker || t === `executor of ${worker}` || t === `link ${worker}` || t === 'link executor';
}

export function judgeReexecutions(obs: Observations): ReexecutionJudgment {
  const out: ReexecutionJudgment = { reexecutions: 0, explained: 0, unexplained: [] };
  const ends = new Map<number, number>();
  for (const n of obs.nemesis) if (n.type === 'end') ends.set(n.stepId, n.t);
  const faults = obs.nemesis.filter((n) => n.type === 'start' && (n.outcome ?? 'ok') === 'ok');

  // each job's distinct attempts, first start of each, in attempt order
  const byJob = new Map<string, Map<number, ExecutionEntry>>();
  for (const e of obs.executions) {
    let attempts = byJob.get(e.jobId);
    if (!attempts) byJob.set(e.jobId, (attempts = new Map()));
    const seen = attempts.get(e.attempt);
    if (!seen || e.t < seen.t) attempts.set(e.attempt, e);
  }
  for (const [jobId, attempts] of byJob) {
    const starts = [...attempts.values()].sort((a, b) => a.attempt - b.attempt);
    const life = jobLifeStart(obs, jobId, starts[0]!.t);
    for (let i = 1; i < starts.length; i++) {
      const previous = starts[i - 1]!;
      const again = starts[i]!;
      out.reexecutions++;
      // attempts can start out of order (a paused worker starts its delivery on waking)
      const later = Math.max(previous.t, again.t);
      const explains = faults.some((n) =>
        (canRerun(n, workerOf(previous.executorId)) || canRerun(n, workerOf(again.executorId)))
        && n.t < later + LOG_RESOLUTION_MS && (ends.get(n.stepId) ?? Infinity) >= life);
      if (explains) out.explained++;
      else out.unexplained.push({ previous, again });
    }
  }
  return out;
}

/** The earliest moment the job is seen: its submit's invoke, its first decision, or its first start. */
function jobLifeStart(obs: Observations, jobId: string, firstStart: number): number {
  const record = obs.jobsById.get(jobId);
  const times = [firstStart, record?.origin?.submit.invoke.t, record?.steps[0]?.t].filter((t): t is number => t !== undefined);
  return Math.min(...times);
}

export function reexecution(_history: History, obs: Observations = observe(_history)): Verdict {
  const findings = new Findings();
  const j = judgeReexecutions(obs);
  for (const { previous, again } of j.unexplained) {
    findings.add(() => ({
      message: `job ${again.jobId}: run again as attempt ${again.attempt} by ${again.executorId} at t=${again.t}ms after attempt ${previous.attempt} by ${previous.executorId} began at t=${previous.t}ms, with no fault on ${workerOf(previous.executorId)}, its links or Redis in between`,
      jobId: again.jobId,
      at: again.t,
      entries: [previous, again],
    }));
  }
  return findings.verdict('reexecution', { reexecutions: j.reexecutions, explained: j.explained });
}
