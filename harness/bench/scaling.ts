// scaling: (a) live run time against jobs per run (10, 100, 1000 jobs, no faults) on one
// Environment, with where each run spends its time; (b) checker time and peak memory on a
// synthetic history of 1,000,000 entries built in memory, in a fresh Node process capped at a
// 1 GiB heap (--max-old-space-size=1024), so the figure is the checkers' alone.

import path from 'node:path';
import Table from 'cli-table3';
import { checkRun } from '../checkers/index.ts';
import { nodeCommand, PROJECT_ROOT } from '../env/binaries.ts';
import type { Environment } from '../env/environment.ts';
import { ProcessRegistry, trackForExit } from '../env/processes.ts';
import type { JobSpec } from '../history/types.ts';
import type { TaskPlan, Workload } from '../workload/workload.ts';
import { mib, num, secs, type BenchContext, type BenchOutput, type Benchmark, type Goal, withEnvironment } from './common.ts';
import { describeTiming, timedRun, type PhaseTiming } from './run-probe.ts';

export interface SizedRun extends PhaseTiming {
  jobs: number;
  tasks: number;
  jobsPerSecond: number;
}

const JOBS_PER_TASK = 2;

/** `jobs` short jobs (20 ms sleep, one output line) in tasks of 2, one task submitted every 2 ms. */
export function sizedWorkload(jobs: number): Workload {
  const job: JobSpec = { description: 'scale', payload: { durationMs: 20, exitCode: 0, output: ['ok'] }, timeoutMs: 60_000 };
  const tasks: TaskPlan[] = [];
  for (let left = jobs, i = 0; left > 0; left -= JOBS_PER_TASK, i++) {
    tasks.push({ atMs: i * 2, description: `scale ${i}`, jobs: Array.from({ length: Math.min(JOBS_PER_TASK, left) }, () => job) });
  }
  return { tasks };
}

async function sizedRuns(env: Environment, sizes: [jobs: number, runs: number][], log: (s: string) => void): Promise<SizedRun[]> {
  const out: SizedRun[] = [];
  for (const [jobs, runs] of sizes) {
    const workload = sizedWorkload(jobs);
    for (let i = 0; i < runs; i++) {
      // settle is a cap: the run moves on as soon as every job is terminal
      const timing = await timedRun(env, { workload, schedule: [], settleMs: 60_000 + jobs * 200 });
      const r: SizedRun = { ...timing, jobs, tasks: workload.tasks.length, jobsPerSecond: (jobs * 1000) / timing.totalMs };
      out.push(r);
      log(`[scaling] ${jobs} jobs run ${i + 1}/${runs}: ${describeTiming(r)}`);
    }
  }
  return out;
}

export interface ChildResult {
  entries: number;
  counts: unknown;
  buildMs: number;
  checkMs: number;
  valid: boolean;
  verdicts: { checker: string; valid: boolean | 'unknown'; evidence: number }[];
  breakdownWarmMs: Record<string, number>;
  memory: {
    historyHeapUsed: number;
    heapUsedAfterBuild: number;
    heapUsedAfterCheckBeforeGc: number;
    heapGrowthDuringCheck: number;
    peakRssAfterBuild: number;
    peakRss: number;
    checkerPeakRssGrowth: number;
  };
}

const HEAP_CAP_MB = 1024;

/** The synthetic-history measurement in a fresh process; an out-of-memory death is a result too. */
async function checkerChild(entries: number): Promise<{ ok: true; result: ChildResult } | { ok: false; error: string }> {
  const [node, ...script] = nodeCommand('harness/bench/scaling-child.ts');
  // a registry of its own: the child dies with the bench (pdeathsig) and on Ctrl-C
  const registry = new ProcessRegistry();
  const untrack = trackForExit(registry);
  try {
    const proc = registry.spawn('scaling-child', node!, ['--expose-gc', `--max-old-space-size=${HEAP_CAP_MB}`, ...script, String(entries)], { cwd: PROJECT_ROOT });
    let stdout = '';
    let stderr = '';
    proc.child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const exit = await proc.exited;
    if (exit.code !== 0) {
      const oom = /heap out of memory|Reached heap limit/i.test(stderr);
      return { ok: false, error: oom ? `out of memory with a ${HEAP_CAP_MB} MiB heap cap` : `exited with ${exit.code ?? exit.signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` };
    }
    return { ok: true, result: JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult };
  } finally {
    await registry.stopAll(500);
    untrack();
  }
}

const GOAL_CHECK_MS = 5000;
const GOAL_MEMORY = 1024 * 1024 * 1024;

export function scalingBench(opts: { sizes?: [number, number][]; syntheticEntries?: number } = {}): Benchmark {
  return {
    name: 'scaling',
    summary: 'run time against jobs per run; checkers over a 1,000,000-entry history',
    async run(ctx: BenchContext): Promise<BenchOutput> {
      const sizes = opts.sizes ?? (ctx.quick ? [[10, 1], [100, 1]] : [[10, 3], [100, 3], [1000, 2]]);
      const entries = opts.syntheticEntries ?? (ctx.quick ? 100_000 : 1_000_000);

      const runs = await withEnvironment({}, (env) => sizedRuns(env, sizes, ctx.log));
      ctx.log(`[scaling] checkers over a synthetic history of ${entries} entries (fresh process, heap cap ${HEAP_CAP_MB} MiB)`);
      const child = await checkerChild(entries);

      const table = new Table({ head: ['jobs/run', 'runs', 'run time (mean)', 'jobs/s', 'reset', 'workload', 'settle', 'collect', 'check', 'history entries', 'violations'], style: { head: [], border: [] } });
      for (const [jobs] of sizes) {
        const rs = runs.filter((r) => r.jobs === jobs);
        const m = (k: keyof SizedRun) => rs.reduce((a, r) => a + (r[k] as number), 0) / rs.length;
        table.push([jobs, rs.length, secs(m('totalMs')), num(m('jobsPerSecond')), secs(m('resetMs')), secs(m('workloadMs')), secs(m('settleMs')), secs(m('collectMs'), 2), secs(m('checkMs'), 3), Math.round(m('historyEntries')), rs.filter((r) => !r.valid).length]);
      }
      const text = [table.toString()];
      const goals: Goal[] = [];
      if (child.ok) {
        const c = child.result;
        const mem = c.memory;
        const t2 = new Table({ head: ['synthetic history', 'build', 'checkRun (cold)', 'peak RSS (history + checkers)', 'history heap', 'heap growth during check (before GC)', 'checker RSS growth', 'verdicts'], style: { head: [], border: [] } });
        t2.push([`${c.entries} entries`, secs(c.buildMs, 2), secs(c.checkMs, 2), mib(mem.peakRss), mib(mem.historyHeapUsed), mib(mem.heapGrowthDuringCheck), mib(mem.checkerPeakRssGrowth), c.valid ? 'all valid' : c.verdicts.filter((v) => v.valid !== true).map((v) => `${v.checker}=${v.valid}`).join(', ')]);
        text.push(t2.toString());
        text.push(`checkers warm, one by one: ${Object.entries(c.breakdownWarmMs).map(([k, v]) => `${k} ${secs(v, 2)}`).join(', ')}`);
        goals.push({ name: `checkers on ${c.entries} entries`, goal: '< 5s', figure: secs(c.checkMs, 2), met: c.checkMs < GOAL_CHECK_MS });
        goals.push({ name: `peak memory (RSS of the process holding the history and running the checkers; heap capped at ${HEAP_CAP_MB} MiB)`, goal: '< 1 GiB', figure: mib(mem.peakRss), met: mem.peakRss < GOAL_MEMORY });
      } else {
        text.push(`synthetic history of ${entries} entries: ${child.error}`);
        goals.push({ name: `checkers on ${entries} entries`, goal: '< 5s, < 1 GiB', figure: child.error, met: false });
      }
      return { data: { sizes, runs, synthetic: child.ok ? child.result : { entries, error: child.error }, heapCapMiB: HEAP_CAP_MB }, text, goals };
    },
  };
}
