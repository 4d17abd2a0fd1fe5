// harness-overhead: jobs per second of the reference system with the harness recording (client
// operations in a HistoryRecorder, the transition and executions logs read, a snapshot, every
// checker run) against the same load without it (plain fetch submissions and polling), in one
// run: the same Environment, the two modes alternating over several rounds (order swapped each
// round so that drift hits both).

import { performance } from 'node:perf_hooks';
import Table from 'cli-table3';
import { checkRun } from '../checkers/index.ts';
import { collectRun } from '../runner/run.ts';
import { queuesDrained } from '../systems/reference.ts';
import type { Environment } from '../env/environment.ts';
import { HistoryRecorder } from '../history/recorder.ts';
import type { JobSpec, TaskView } from '../history/types.ts';
import { Client, TERMINAL } from '../workload/client.ts';
import { median, num, pct, pool, secs, sleep, type BenchContext, type BenchOutput, type Benchmark, withEnvironment } from './common.ts';

type Mode = 'plain' | 'recorded';

export interface LoadResult {
  mode: Mode;
  round: number;
  jobs: number;
  /** first submit → every job seen terminal */
  liveMs: number;
  /** recorded only: reading the logs, the snapshot, the checkers */
  postMs: number;
  checkMs: number;
  historyEntries: number;
  valid: boolean;
}

const JOB: JobSpec = { description: 'bench', payload: { durationMs: 0, exitCode: 0, output: ['ok'] }, timeoutMs: 20_000 };
const SUBMIT_CONCURRENCY = 16;
const POLL_MS = 100;

const allTerminal = (v: TaskView | undefined) => v !== undefined && v.jobs.every((j) => TERMINAL.has(j.state));

async function plainLoad(env: Environment, tasks: number, jobsPerTask: number, runKey: string): Promise<number> {
  const base = env.orchestratorUrl;
  const body = JSON.stringify({ description: 'bench', priority: 1, subtasks: Array.from({ length: jobsPerTask }, () => ({ description: JOB.description, payload: JOB.payload, timeoutMs: JOB.timeoutMs })) });
  const t0 = performance.now();
  const ids = await pool(Array.from({ length: tasks }, (_, i) => i), SUBMIT_CONCURRENCY, async (i) => {
    const res = await fetch(`${base}/tasks`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'idempotency-key': `${runKey}-${i}` }, signal: AbortSignal.timeout(3000) });
    const v = (await res.json()) as { taskId: string };
    return v.taskId;
  });
  let pending = ids;
  while (pending.length > 0) {
    const views = await Promise.all(pending.map(async (id) => {
      const res = await fetch(`${base}/tasks/${id}`, { signal: AbortSignal.timeout(3000) });
      return res.status === 200 ? ((await res.json()) as TaskView) : undefined;
    }));
    pending = pending.filter((_, i) => !allTerminal(views[i]));
    if (pending.length > 0) await sleep(POLL_MS);
  }
  return performance.now() - t0;
}

async function recordedLoad(env: Environment, tasks: number, jobsPerTask: number, runKey: string): Promise<{ liveMs: number; postMs: number; checkMs: number; entries: number; valid: boolean }> {
  const history = new HistoryRecorder();
  const client = new Client(env.orchestratorUrl, history);
  const jobs = Array.from({ length: jobsPerTask }, () => JOB);
  const t0 = performance.now();
  const ids = await pool(Array.from({ length: tasks }, (_, i) => i), SUBMIT_CONCURRENCY, async (i) => {
    const r = await client.submit({ idempotencyKey: `${runKey}-${i}`, description: 'bench', jobs });
    if (!r) throw new Error('a submission failed without faults');
    return r.taskId;
  });
  let pending = ids;
  while (pending.length > 0) {
    const views = await Promise.all(pending.map((id) => client.read(id)));
    pending = pending.filter((_, i) => !allTerminal(views[i]));
    if (pending.length > 0) await sleep(POLL_MS);
  }
  const t1 = performance.now();
  // what runOnce does after the settle: the SUT's logs and a snapshot (one cut over Redis), then the checkers
  await collectRun(env, history); // what the runner does after every run
  const entries = [...history.entries].sort((a, b) => a.t - b.t);
  const c0 = performance.now();
  const { verdicts } = checkRun(entries);
  const t2 = performance.now();
  return { liveMs: t1 - t0, postMs: t2 - t1, checkMs: t2 - c0, entries: entries.length, valid: verdicts.every((v) => v.valid !== false) };
}

/** Waits until nothing waits in the job or event queue (the runner's check); true if that happened in time. */
async function waitIdle(env: Environment, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await queuesDrained(env.admin)) return true;
    await sleep(50);
  }
  return false;
}

export function harnessOverheadBench(opts: { rounds?: number; tasks?: number; jobsPerTask?: number } = {}): Benchmark {
  return {
    name: 'harness-overhead',
    summary: 'jobs/s with the harness recording and checking vs plain submissions and polling',
    async run(ctx: BenchContext): Promise<BenchOutput> {
      const rounds = opts.rounds ?? (ctx.quick ? 1 : 8);
      const tasks = opts.tasks ?? (ctx.quick ? 20 : 150);
      const jobsPerTask = opts.jobsPerTask ?? 2;
      const jobs = tasks * jobsPerTask;
      const results: LoadResult[] = [];
      let restarts = 0;
      await withEnvironment({}, async (env) => {
        let n = 0;
        const load = async (mode: Mode, round: number): Promise<LoadResult> => {
          const idle = await waitIdle(env);
          if (await env.reset({ reuseProcesses: idle })) restarts++;
          const runKey = `bench-${n++}`;
          if (mode === 'plain') {
            const liveMs = await plainLoad(env, tasks, jobsPerTask, runKey);
            return { mode, round, jobs, liveMs, postMs: 0, checkMs: 0, historyEntries: 0, valid: true };
          }
          const r = await recordedLoad(env, tasks, jobsPerTask, runKey);
          return { mode, round, jobs, liveMs: r.liveMs, postMs: r.postMs, checkMs: r.checkMs, historyEntries: r.entries, valid: r.valid };
        };
        // warm-up (JIT, connections, first process reuse), not counted
        await load('plain', -1);
        await load('recorded', -1);
        for (let round = 0; round < rounds; round++) {
          const order: Mode[] = round % 2 === 0 ? ['plain', 'recorded'] : ['recorded', 'plain'];
          for (const mode of order) {
            const r = await load(mode, round);
            results.push(r);
            ctx.log(`[harness-overhead] round ${round + 1}/${rounds} ${mode}: ${jobs} jobs live ${secs(r.liveMs, 2)} (${num((jobs * 1000) / r.liveMs)} jobs/s)${mode === 'recorded' ? `, logs+snapshot+checkers ${secs(r.postMs, 3)} (checkers ${secs(r.checkMs, 3)}), ${r.historyEntries} entries${r.valid ? '' : ' VIOLATION'}` : ''}`);
          }
        }
      });

      const of = (mode: Mode) => results.filter((r) => r.mode === mode);
      const rate = (r: LoadResult, withPost: boolean) => (r.jobs * 1000) / (r.liveMs + (withPost ? r.postMs : 0));
      const plainRates = of('plain').map((r) => rate(r, false));
      const recLive = of('recorded').map((r) => rate(r, false));
      const recTotal = of('recorded').map((r) => rate(r, true));
      // paired per round: recorded / plain of the same round
      const pairedTotal = Array.from({ length: rounds }, (_, i) => rate(of('recorded')[i], true) / rate(of('plain')[i], false));
      const pairedLive = Array.from({ length: rounds }, (_, i) => rate(of('recorded')[i], false) / rate(of('plain')[i], false));
      const ratioTotal = median(recTotal) / median(plainRates);
      const ratioLive = median(recLive) / median(plainRates);

      const table = new Table({ head: ['mode', 'loads', `jobs/load`, 'jobs/s median', 'jobs/s min..max', 'vs plain'], style: { head: [], border: [] } });
      const range = (xs: number[]) => `${num(Math.min(...xs))}..${num(Math.max(...xs))}`;
      table.push(['plain (fetch + polling)', plainRates.length, jobs, num(median(plainRates)), range(plainRates), '1.000']);
      table.push(['recorded, live phase only', recLive.length, jobs, num(median(recLive)), range(recLive), num(ratioLive, 3)]);
      table.push(['recorded + logs + snapshot + checkers', recTotal.length, jobs, num(median(recTotal)), range(recTotal), num(ratioTotal, 3)]);
      const slowdown = 1 - ratioTotal;
      return {
        data: {
          rounds, tasksPerLoad: tasks, jobsPerTask, jobsPerLoad: jobs, submitConcurrency: SUBMIT_CONCURRENCY, pollMs: POLL_MS, resetsThatRestarted: restarts,
          medianJobsPerSecond: { plain: median(plainRates), recordedLive: median(recLive), recordedTotal: median(recTotal) },
          ratio: { total: ratioTotal, live: ratioLive, pairedTotalMedian: median(pairedTotal), pairedLiveMedian: median(pairedLive), pairedTotal, pairedLive },
          slowdown, results,
        },
        text: [
          table.toString(),
          `paired per round (recorded/plain): total ${pairedTotal.map((x) => num(x, 3)).join(' ')} (median ${num(median(pairedTotal), 3)}); live ${pairedLive.map((x) => num(x, 3)).join(' ')} (median ${num(median(pairedLive), 3)})`,
          `each load: ${tasks} tasks × ${jobsPerTask} no-op jobs, ${SUBMIT_CONCURRENCY} submissions in flight, every unfinished task polled every ${POLL_MS} ms, through the client link; resets between loads (${restarts} restarted processes)`,
        ],
        // The goal: the reference system's jobs/s while the harness records, against the same
        // load unrecorded. The post-run work (logs, a snapshot of every task through the API,
        // checkers) does not slow the system; it lengthens a run and is shown beside it.
        goals: [
          { name: 'harness overhead (jobs/s while recording vs plain)', goal: '≤ 5% slower', figure: `${pct(1 - ratioLive)} slower (ratio ${num(ratioLive, 3)})`, met: 1 - ratioLive <= 0.05 },
          { name: 'incl. post-run logs + snapshot + checkers', goal: '(no goal)', figure: `${pct(slowdown)} slower (ratio ${num(ratioTotal, 3)})`, met: null },
        ],
      };
    },
  };
}
