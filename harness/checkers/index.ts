// All checkers of a run, and Jepsen's compose: one verdict from many.

import type { EvidenceKind, History, Verdict } from '../history/types.ts';
import { backAfterHeal } from './backAfterHeal.ts';
import { cancelEffective } from './cancelEffective.ts';
import { runStats, type RunStats } from './coverage.ts';
import { eventsDecided } from './eventsDecided.ts';
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

/**
 * A checker as the harness runs it: its name (the verdict's `checker`), the evidence it reads
 * beyond what every history carries (a system without it is not judged by it: SystemModule.provides),
 * and the judgment itself.
 */
export interface CheckerDef {
  name: string;
  needs?: readonly EvidenceKind[];
  check: Checker;
}

/** Every invariant of DESIGN.md, in the order a report lists them. */
export const CHECKERS: readonly CheckerDef[] = [
  { name: 'terminalStable', check: terminalStable },
  { name: 'snapshotStable', check: snapshotStable },
  { name: 'legalTransitions', needs: ['transition-log'], check: legalTransitions },
  { name: 'totalQueue', check: totalQueue },
  { name: 'runningSetConsistent', needs: ['running-set'], check: runningSetConsistent },
  { name: 'eventsDecided', needs: ['event-queue', 'transition-log'], check: eventsDecided },
  { name: 'taskAggregate', needs: ['task-status'], check: taskAggregate },
  { name: 'outputIntegrity', check: outputIntegrity },
  { name: 'payloadOutcome', check: payloadOutcome },
  // the rule `end` reads an executor's outcome the keeper ignored as stale: only a transition log has it
  { name: 'cancelEffective', needs: ['executions-log', 'transition-log'], check: cancelEffective },
  { name: 'reexecution', check: reexecution },
  { name: 'progress', check: progress },
  { name: 'backAfterHeal', check: backAfterHeal },
];

/** Runs checkers (default: every built-in) over one history, grouping the history once for all of them. */
export function checkAll(history: History, obs: Observations = observe(history), checkers: readonly CheckerDef[] = CHECKERS): Verdict[] {
  return checkers.map((c) => c.check(history, obs));
}

/** Verdicts and coverage statistics of one run, from a single grouping of its history; `checkers`: those that judge the system (harness/registry/applies.ts). */
export function checkRun(history: History, checkers: readonly CheckerDef[] = CHECKERS): { verdicts: Verdict[]; stats: RunStats } {
  const obs = observe(history);
  return { verdicts: checkAll(history, obs, checkers), stats: runStats(history, obs) };
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
export { terminalStable, snapshotStable, legalTransitions, totalQueue, runningSetConsistent, eventsDecided, taskAggregate, outputIntegrity, payloadOutcome, cancelEffective, reexecution, backAfterHeal };
