// Figures the report draws and tabulates, computed from run records and histories:
// latency quantiles, fault windows (nemesis start/end pairs), per-window series, totals.

import type { RunStats } from '../checkers/coverage.ts';
import type { History, NemesisEntry } from '../history/types.ts';
import type { RunRecord, ScenarioResult } from '../runner/property.ts';

export interface Quantiles {
  p50: number;
  p95: number;
  p99: number;
  samples: number;
}

/** Nearest-rank quantile of an ascending array (no interpolation: every value is one observed). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function quantiles(values: readonly number[]): Quantiles | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99), samples: sorted.length };
}

/** Job latency (submit ok → first terminal transition) over every run of a scenario. */
export function scenarioLatency(s: ScenarioResult): Quantiles | null {
  return quantiles(s.records.flatMap((r) => r.stats.latencies.map((l) => l.ms)));
}

/** How long the settle after the final heal took, over runs (ms, nearest rank), and how many hit the cap. */
export interface SettleDistribution {
  minMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  runs: number;
  /** runs whose settle stopped at its cap while the system still made progress */
  capped: number;
}

export function settleDistribution(records: readonly Pick<RunRecord, 'settleTookMs' | 'settleCapped'>[]): SettleDistribution | null {
  const times = records.map((r) => r.settleTookMs).filter((ms) => Number.isFinite(ms)).sort((a, b) => a - b);
  if (times.length === 0) return null;
  const ms1 = (ms: number) => Math.round(ms * 10) / 10; // to 0.1 ms: performance.now() differences carry float noise
  return {
    minMs: ms1(times[0]),
    p50Ms: ms1(quantile(times, 0.5)),
    p95Ms: ms1(quantile(times, 0.95)),
    maxMs: ms1(times[times.length - 1]),
    runs: times.length,
    capped: records.filter((r) => r.settleCapped).length,
  };
}

export type StatsTotals = Omit<RunStats, 'latencies' | 'faultsHit'>;

const ZERO_TOTALS: StatsTotals = {
  transitionsApplied: 0,
  transitionsIgnored: 0,
  staleIgnored: 0,
  duplicateExecutions: 0,
  jobsSplitAcrossKeepers: 0,
  jobTakeovers: 0,
  keeperTakeovers: 0,
  jobsAfterHeal: 0,
  outcomesBeforeAck: 0,
  reclaimedJobs: 0,
  faults: 0,
  faultsFailed: 0,
  faultsEmpty: 0,
  faultsWhileInFlight: 0,
  jobsCompleted: 0,
  jobsFailed: 0,
  jobsCancelled: 0,
  submitsOk: 0,
  submitsIndeterminate: 0,
  outcomesJudged: 0,
  failuresJudged: 0,
  timeoutsJudged: 0,
  stalledOut: 0,
  longestRunMs: 0,
  reexecutionsJudged: 0,
  sameKeyOverlaps: 0,
  keylessSubmitsCut: 0,
  cancelsDuringFaults: 0,
  readsDuringFaults: 0,
  cancelsAcrossOutage: 0,
};

export function statsTotals(records: readonly RunRecord[]): StatsTotals {
  const totals: StatsTotals = { ...ZERO_TOTALS };
  for (const r of records) {
    for (const key of Object.keys(totals) as (keyof StatsTotals)[]) totals[key] += r.stats[key] ?? 0;
  }
  return totals;
}

/** Over all runs: how many fault steps of each `kind → role` bit (hit the part while it had work in hand), most first. */
export function faultsHit(records: readonly RunRecord[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) for (const label of r.stats.faultsHit ?? []) counts.set(label, (counts.get(label) ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** One nemesis step as an interval of the run's timeline (ms since run start). */
export interface FaultWindow {
  stepId: number;
  fault: string;
  target: string;
  start: number;
  end: number;
  /** false when the history has no end entry for the step (the run ended first) */
  healed: boolean;
  /** inject or heal error the nemesis recorded, or why an empty injection hit nothing */
  error?: string;
}

/** The last instant of a run's history. */
export function historySpan(history: History): number {
  let span = 0;
  for (const e of history) if (e.t > span) span = e.t;
  return span;
}

/** Pairs nemesis start and end entries by stepId, in order of start. */
export function faultWindows(history: History): FaultWindow[] {
  const span = historySpan(history);
  const starts = new Map<number, NemesisEntry>();
  const ends = new Map<number, NemesisEntry>();
  for (const e of history) {
    if (e.kind !== 'nemesis') continue;
    const into = e.type === 'start' ? starts : ends;
    if (!into.has(e.stepId)) into.set(e.stepId, e);
  }
  const errorOf = (e: NemesisEntry | undefined): string | undefined => {
    const err = e?.detail?.error;
    return err === undefined ? undefined : String(err);
  };
  return [...starts.values()]
    .map((s) => {
      const end = ends.get(s.stepId);
      const empty = s.outcome === 'empty' ? `hit nothing: ${String(s.detail?.why ?? 'no target')}` : undefined;
      const error = errorOf(s) ?? empty ?? errorOf(end);
      return {
        stepId: s.stepId,
        fault: s.fault,
        target: s.target,
        start: s.t,
        end: end ? Math.max(end.t, s.t) : Math.max(span, s.t),
        healed: end !== undefined,
        ...(error !== undefined ? { error } : {}),
      };
    })
    .sort((a, b) => a.start - b.start || a.stepId - b.stepId);
}

export type RunWithHistory = RunRecord & { history: History };

const hasHistory = (r: RunRecord): r is RunWithHistory => r.history !== undefined;

/** The run a scenario's timeline charts show: its shrunk failure, else a failing run, else an unknown run, else the kept passing run. */
export function representativeRun(s: ScenarioResult): RunWithHistory | undefined {
  if (s.failure && hasHistory(s.failure.run)) return s.failure.run;
  const kept = s.records.filter(hasHistory);
  return kept.find((r) => r.outcome === 'fail') ?? kept.find((r) => r.outcome === 'unknown') ?? kept[0];
}

const NICE_WINDOWS_MS = [50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000];

/** A round window length giving at most `maxWindows` windows over the span. */
export function windowLength(spanMs: number, maxWindows = 40): number {
  return NICE_WINDOWS_MS.find((w) => spanMs / w <= maxWindows) ?? Math.ceil(spanMs / maxWindows / 60_000) * 60_000;
}

export interface TimeSeries {
  windowMs: number;
  spanMs: number;
  /** window starts, ms since run start */
  starts: number[];
  /** latency quantiles of the jobs that reached a terminal state in each window; null when none did */
  latency: (Quantiles | null)[];
  completedPerSec: number[];
  failedOrCancelledPerSec: number[];
}

/** Latency quantiles and terminal-transition rate per time window of one run. */
export function timeSeries(run: RunWithHistory): TimeSeries {
  const spanMs = Math.max(historySpan(run.history), 1);
  const windowMs = windowLength(spanMs);
  const count = Math.max(1, Math.ceil(spanMs / windowMs));
  const slot = (t: number) => Math.min(count - 1, Math.max(0, Math.floor(t / windowMs)));
  const latencyMs: number[][] = Array.from({ length: count }, () => []);
  for (const l of run.stats.latencies) latencyMs[slot(l.terminalAt)].push(l.ms);
  const completed = new Array<number>(count).fill(0);
  const otherTerminal = new Array<number>(count).fill(0);
  for (const e of run.history) {
    if (e.kind !== 'transition' || e.decision !== 'applied') continue;
    if (e.to === 'completed') completed[slot(e.t)]++;
    else if (e.to === 'failed' || e.to === 'cancelled') otherTerminal[slot(e.t)]++;
  }
  const perSec = (n: number) => n / (windowMs / 1000);
  return {
    windowMs,
    spanMs,
    starts: Array.from({ length: count }, (_, i) => i * windowMs),
    latency: latencyMs.map((ms) => quantiles(ms)),
    completedPerSec: completed.map(perSec),
    failedOrCancelledPerSec: otherTerminal.map(perSec),
  };
}
