// All checkers of a run, and Jepsen's compose: one verdict from many.

import type { History, Verdict } from '../history/types.ts';
import { runStats, type RunStats } from './coverage.ts';
import { legalTransitions } from './legalTransitions.ts';
import { observe, type Observations } from './observations.ts';
import { outputIntegrity } from './outputIntegrity.ts';
import { payloadOutcome } from './payloadOutcome.ts';
import { progress } from './progress.ts';
import { reexecution } from './reexecution.ts';
import { runningSetConsistent } from './runningSetConsistent.ts';
import { snapshotStable } from './snapshotStable.ts';
import { taskAggregate } from './taskAggregate.ts';
import { terminalStable } from './terminalStable.ts';
import { totalQueue } from './totalQueue.ts';

export type Checker = (history: History, obs?: Observations) => Verdict;

/** Every invariant of DESIGN.md, in the order a report lists them. */
export const CHECKERS: Readonly<Record<string, Checker>> = {
  terminalStable,
  snapshotStable,
  legalTransitions,
  totalQueue,
  runningSetConsistent,
  taskAggregate,
  outputIntegrity,
  payloadOutcome,
  reexecution,
  progress,
};

/** Runs every checker over one history, grouping the history once for all of them. */
export function checkAll(history: History, obs: Observations = observe(history), only: 'all' | readonly string[] = 'all'): Verdict[] {
  return Object.entries(CHECKERS).filter(([name]) => only === 'all' || only.includes(name)).map(([, check]) => check(history, obs));
}

/** Verdicts and coverage statistics of one run, from a single grouping of its history; `only`: the checkers whose meaning holds for the system (SystemModule.checkers). */
export function checkRun(history: History, only: 'all' | readonly string[] = 'all'): { verdicts: Verdict[]; stats: RunStats } {
  const obs = observe(history);
  return { verdicts: checkAll(history, obs, only), stats: runStats(history, obs) };
}

/**
 * One verdict from many (Jepsen's checker/compose): false if any is false, else unknown if
 * any is unknown, else true. Evidence is prefixed with its checker's name; stats are keyed
 * "checker.stat".
 */
export function composeVerdicts(verdicts: readonly Verdict[], checker = 'compose'): Verdict {
  let valid: boolean | 'unknown' = true;
  for (const v of verdicts) {
    if (v.valid === false) valid = false;
    else if (v.valid === 'unknown' && valid === true) valid = 'unknown';
  }
  const evidence = verdicts.flatMap((v) => v.evidence.map((e) => ({ ...e, message: `${v.checker}: ${e.message}` })));
  const stats: Record<string, number> = {};
  for (const v of verdicts) for (const [k, n] of Object.entries(v.stats ?? {})) stats[`${v.checker}.${k}`] = n;
  return { checker, valid, evidence, stats };
}

export { observe, compareLogIds, parseLogId, type Observations, type JobRecord, type Step } from './observations.ts';
export { runStats, coverageCounts, type RunStats, type CoverageCounts, type LatencySample } from './coverage.ts';
export { EVIDENCE_LIMIT } from './findings.ts';
export { progress, liveWorkers } from './progress.ts';
export { terminalStable, snapshotStable, legalTransitions, totalQueue, runningSetConsistent, taskAggregate, outputIntegrity, payloadOutcome, reexecution };
