// One live run timed phase by phase, as runs-per-minute and scaling report it: runOnce reports
// its reset, settle and collection itself; the checkers are timed here.

import { performance } from 'node:perf_hooks';
import { checkRun, CHECKERS } from '../checkers/index.ts';
import { checkersFor } from '../registry/applies.ts';
import type { RunEnvironment } from '../env/surface.ts';
import { runOnce, type RunPlan } from '../runner/run.ts';
import { secs } from './common.ts';

export interface PhaseTiming {
  /** wall time of runOnce (reset included) + checkRun */
  totalMs: number;
  resetMs: number;
  /** the workload and the fault schedule side by side, then the final heal */
  workloadMs: number;
  /** from the final heal until every acknowledged job was terminal or the system was quiet (runOnce's settleTookMs) */
  settleMs: number;
  /** reading the transition and executions logs, the snapshot, the idle check */
  collectMs: number;
  checkMs: number;
  /** the reset restarted the SUT processes (the previous run did not end idle) */
  restarted: boolean;
  valid: boolean;
  historyEntries: number;
}

export async function timedRun(env: RunEnvironment, plan: RunPlan): Promise<PhaseTiming> {
  const t0 = performance.now();
  const outcome = await runOnce(env, plan);
  const runEnd = performance.now();
  const { verdicts } = checkRun(outcome.history, checkersFor(env.system.provides, CHECKERS));
  const t1 = performance.now();
  return {
    totalMs: t1 - t0,
    resetMs: outcome.resetMs,
    workloadMs: outcome.durationMs - outcome.settleTookMs - outcome.collectMs,
    settleMs: outcome.settleTookMs,
    collectMs: outcome.collectMs,
    checkMs: t1 - runEnd,
    restarted: outcome.restarted,
    valid: verdicts.every((v) => v.valid !== false),
    historyEntries: outcome.history.length,
  };
}

/** one line per run in the bench log */
export function describeTiming(t: PhaseTiming): string {
  return `${secs(t.totalMs)} (reset ${secs(t.resetMs)}${t.restarted ? ', processes restarted' : ''}, workload ${secs(t.workloadMs)}, settle ${secs(t.settleMs)}, collect ${secs(t.collectMs, 2)}, check ${secs(t.checkMs, 3)}), ${t.historyEntries} entries${t.valid ? '' : ' VIOLATION'}`;
}
