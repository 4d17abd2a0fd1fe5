// The CI gate: compare this run's summary with a committed baseline. A regression is a
// scenario that passed and now fails (or is vacuous, or unknown: a checker that could not decide
// is not a pass, unless unknown verdicts are allowed), a planted bug that was caught and now
// escapes, or — only when a tolerance is given — a p99 latency grown past it.

import type { ReportSummary } from './summary.ts';

export interface BaselineOptions {
  /** fail when a scenario's p99 latency grew by more than this many percent; unset: latency is not compared */
  p99TolerancePct?: number;
  /** --allow-unknown: a scenario that passed and is now unknown is noted, not a regression */
  allowUnknown?: boolean;
}

export interface BaselineComparison {
  ok: boolean;
  /** a short readable diff: "FAIL …" lines are regressions, "note …" lines are changes that do not fail the gate */
  lines: string[];
}

type Comparable = Pick<ReportSummary, 'scenarios' | 'verify'>;

const pct = (from: number, to: number) => (from === 0 ? Infinity : ((to - from) / from) * 100);
const fmtPct = (p: number) => (Number.isFinite(p) ? `${p >= 0 ? '+' : ''}${p.toFixed(1)}%` : '+∞%');

/** " (9 violations)", " (2 undecided runs: totalQueue)" */
function detail(s: Comparable['scenarios'][number], allowed: boolean): string {
  if (s.verdict === 'fail') return ` (${s.violations} violation${s.violations === 1 ? '' : 's'})`;
  if (s.verdict !== 'unknown') return '';
  const n = s.unknownRuns ?? 0;
  const checkers = (s.unknown ?? []).map((u) => u.checker).join(', ');
  return ` (${n} undecided run${n === 1 ? '' : 's'}${checkers ? `: ${checkers}` : ''}${allowed ? '; allowed' : ''})`;
}

export function compareBaseline(current: Comparable, baseline: Comparable, options: BaselineOptions = {}): BaselineComparison {
  const regressions: string[] = [];
  const notes: string[] = [];
  const now = new Map(current.scenarios.map((s) => [s.scenario, s]));

  for (const before of baseline.scenarios) {
    const after = now.get(before.scenario);
    if (!after) {
      notes.push(`note  ${before.scenario}: in the baseline, not run now`);
      continue;
    }
    if (before.verdict !== after.verdict) {
      const allowed = after.verdict === 'unknown' && options.allowUnknown === true;
      const line = `${before.scenario}: ${before.verdict} → ${after.verdict}${detail(after, allowed)}`;
      const regressed = after.verdict === 'fail' || after.verdict === 'vacuous' || (after.verdict === 'unknown' && !allowed);
      if (before.verdict === 'pass' && regressed) regressions.push(`FAIL  ${line}`);
      else notes.push(`note  ${line}`);
    }
    const tolerance = options.p99TolerancePct;
    if (tolerance !== undefined && before.latency && after.latency) {
      const growth = pct(before.latency.p99, after.latency.p99);
      if (growth > tolerance) {
        regressions.push(`FAIL  ${before.scenario}: p99 latency ${before.latency.p99} ms → ${after.latency.p99} ms (${fmtPct(growth)}, tolerance ${tolerance}%)`);
      }
    }
  }
  for (const s of current.scenarios) {
    if (!baseline.scenarios.some((b) => b.scenario === s.scenario)) notes.push(`note  ${s.scenario}: new scenario (${s.verdict})`);
  }

  if (baseline.verify && current.verify) {
    const rows = new Map(current.verify.map((r) => [r.bug, r]));
    for (const before of baseline.verify) {
      const after = rows.get(before.bug);
      if (!after) {
        notes.push(`note  bug ${before.bug}: in the baseline, not verified now`);
      } else if (before.caughtBy !== null && after.caughtBy === null) {
        regressions.push(`FAIL  bug ${before.bug}: caught by ${before.caughtBy}${before.checker ? ` (${before.checker})` : ''} → escaped`);
      } else if (before.caughtBy === null && after.caughtBy !== null) {
        notes.push(`note  bug ${before.bug}: escaped → caught by ${after.caughtBy}`);
      }
    }
  }

  const compared = `${baseline.scenarios.length} scenario${baseline.scenarios.length === 1 ? '' : 's'}${baseline.verify && current.verify ? `, ${baseline.verify.length} planted bug${baseline.verify.length === 1 ? '' : 's'}` : ''}`;
  const verdict = regressions.length === 0
    ? `baseline: no regression (${compared} compared)`
    : `baseline: ${regressions.length} regression${regressions.length === 1 ? '' : 's'} (${compared} compared)`;
  return { ok: regressions.length === 0, lines: [...regressions, ...notes, verdict] };
}
