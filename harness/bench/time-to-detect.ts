// time-to-detect: for each planted bug, how long and how many runs the harness needs to catch
// it, over several seeds, by calling verify() (harness/runner/verify.ts) once per seed. Two
// figures per bug: time to the end of the first failing run (timeToDetectMs, from the start of
// the catching scenario) and total time including environment start and shrinking (totalMs).

import Table from 'cli-table3';
import { PLANTED_BUGS } from '../../scenarios/planted-bugs.ts';
import { verify, type VerifyRow } from '../runner/verify.ts';
import { max, median, num, secs, type BenchContext, type BenchOutput, type Benchmark, type Goal } from './common.ts';

export interface BugSummary {
  bug: string;
  seeds: number;
  caught: number;
  escapedSeeds: number[];
  /** seeds where the checker the bug must trip did not fire */
  wrongCheckerSeeds: number[];
  caughtBy: string[];
  checkers: string[];
  medianTimeToDetectMs: number;
  maxTimeToDetectMs: number;
  medianTotalMs: number;
  maxTotalMs: number;
  medianRuns: number;
  maxRuns: number;
  medianScheduleSize: number;
}

/** Per-bug figures over every seed's row (rows of bugs that escaped count in `escapedSeeds` only). */
export function summarizeRows(rows: readonly VerifyRow[]): BugSummary[] {
  const byBug = new Map<string, VerifyRow[]>();
  for (const r of rows) byBug.set(r.bug, [...(byBug.get(r.bug) ?? []), r]);
  return [...byBug].map(([bug, rs]) => {
    const caught = rs.filter((r) => r.caught);
    const nums = (f: (r: VerifyRow) => number | null) => caught.map(f).filter((x): x is number => x !== null);
    return {
      bug,
      seeds: rs.length,
      caught: caught.length,
      escapedSeeds: rs.filter((r) => !r.caught).map((r) => r.seed),
      wrongCheckerSeeds: caught.filter((r) => !r.expectedChecker).map((r) => r.seed),
      caughtBy: [...new Set(caught.map((r) => r.caughtBy!))],
      checkers: [...new Set(caught.flatMap((r) => r.checkers))],
      medianTimeToDetectMs: median(nums((r) => r.timeToDetectMs)),
      maxTimeToDetectMs: max(nums((r) => r.timeToDetectMs)),
      medianTotalMs: median(nums((r) => r.totalMs)),
      maxTotalMs: max(nums((r) => r.totalMs)),
      medianRuns: median(nums((r) => r.runsToDetect)),
      maxRuns: max(nums((r) => r.runsToDetect)),
      medianScheduleSize: median(nums((r) => r.scheduleSize)),
    };
  });
}

const GOAL_MEDIAN_MS = 30_000;

export function timeToDetectBench(opts: { seeds?: number; bugs?: string[]; sim?: boolean } = {}): Benchmark {
  return {
    name: opts.sim ? 'sim-time-to-detect' : 'time-to-detect',
    docker: !opts.sim,
    summary: `time and runs until each planted bug is caught (verify${opts.sim ? ' --sim' : ''}), over several seeds`,
    async run(ctx: BenchContext): Promise<BenchOutput> {
      const seedCount = opts.seeds ?? (ctx.quick ? 1 : 5);
      const bugs = opts.bugs ?? (ctx.quick ? ['lww-status'] : PLANTED_BUGS.map((b) => b.name));
      const seeds = Array.from({ length: seedCount }, (_, i) => ctx.seed + i);
      const rows: VerifyRow[] = [];
      const controls: { seed: number; ok: boolean; durationMs: number; verdicts: Record<string, string> }[] = [];
      for (const seed of seeds) {
        ctx.log(`[time-to-detect] seed ${seed}: verify ${bugs.join(', ')}`);
        // the correct system runs once per scenario: it is verify's control, not what is measured here
        const result = await verify({ seed, bugs, controlRuns: 1, sim: opts.sim, env: opts.sim ? undefined : ctx.env, onProgress: (line) => ctx.log(`[time-to-detect] ${line}`) });
        for (const r of result.rows) {
          rows.push(r);
          ctx.log(`[time-to-detect] seed ${seed} ${r.bug}: ${r.caught ? `caught after ${r.runsToDetect} runs, first failure ${secs(r.timeToDetectMs ?? NaN)}, total ${secs(r.totalMs)}` : `ESCAPED (${secs(r.totalMs)})`}`);
        }
        controls.push({
          seed,
          ok: result.control.complete && result.control.scenarios.every((s) => s.verdict === 'pass'),
          durationMs: result.control.durationMs,
          verdicts: Object.fromEntries(result.control.scenarios.map((s) => [s.scenario, s.verdict])),
        });
      }
      const summary = summarizeRows(rows);

      const table = new Table({
        head: ['bug', 'caught', 'by', 'runs (median/max)', 'first failure (median/max)', 'total incl. shrinking (median/max)', 'shrunk steps', 'goal: median total ≤ 30s'],
        style: { head: [], border: [] },
      });
      for (const s of summary) {
        table.push([
          s.bug, `${s.caught}/${s.seeds}`, s.caughtBy.join(', ') || '-', `${num(s.medianRuns, 1)} / ${num(s.maxRuns, 0)}`,
          `${secs(s.medianTimeToDetectMs)} / ${secs(s.maxTimeToDetectMs)}`, `${secs(s.medianTotalMs)} / ${secs(s.maxTotalMs)}`,
          num(s.medianScheduleSize, 1), Number.isFinite(s.medianTotalMs) ? (s.medianTotalMs <= GOAL_MEDIAN_MS ? 'met' : 'missed') : '-',
        ]);
      }
      const goals: Goal[] = summary.map((s) => ({
        name: `time to detect ${s.bug} (median incl. shrinking; first failure ${secs(s.medianTimeToDetectMs)})`,
        goal: '≤ 30s',
        figure: secs(s.medianTotalMs),
        met: Number.isFinite(s.medianTotalMs) ? s.medianTotalMs <= GOAL_MEDIAN_MS : false,
      }));
      const controlLine = controls.map((c) => `seed ${c.seed}: ${c.ok ? 'pass' : 'NOT PASS'} (${Object.entries(c.verdicts).map(([k, v]) => `${k} ${v}`).join(', ')}) ${secs(c.durationMs)}`);
      return {
        data: { seeds, bugs, summary, rows, controls },
        text: [
          table.toString(),
          'first failure = end of the first failing run, from the start of the catching scenario (VerifyRow.timeToDetectMs); total = the whole bug including environment start and shrinking (VerifyRow.totalMs)',
          `correct system (verify's control, 1 run per scenario): ${controlLine.join('; ')}`,
        ],
        goals,
      };
    },
  };
}
