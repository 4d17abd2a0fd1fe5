// runs-per-minute: live chaos runs per minute for each scenario with its default workload and
// fault schedule, on long-lived servers, with the runner's process reuse (runOnce restarts the
// processes only when the last run on them did not end idle). Each run is split, as runOnce
// reports it, into reset / workload + faults / settle / collect (logs, snapshot) / checking.

import { performance } from 'node:perf_hooks';
import Table from 'cli-table3';
import fc from 'fast-check';
import { SCENARIOS } from '../../scenarios/index.ts';
import { Environment, type EnvironmentOptions } from '../env/environment.ts';
import { defaultScenarios } from '../config/options.ts';
import type { RunEnvironment } from '../env/surface.ts';
import { scenarioContext } from '../runner/property.ts';
import type { Scenario } from '../runner/scenario.ts';
import { mean, num, pct, secs, sum, type BenchContext, type BenchOutput, type Benchmark } from './common.ts';
import { describeTiming, timedRun, type PhaseTiming } from './run-probe.ts';
import { systemNamed } from '../registry/index.ts';

export interface RunTiming extends PhaseTiming {
  faultSteps: number;
  /** when the schedule's last step heals (max atMs + durationMs): no run can end before it */
  scheduleSpanMs: number;
}

export interface ScenarioTiming {
  scenario: string;
  runs: number;
  envStartMs: number;
  runsPerMinute: number;
  meanRunMs: number;
  /** share of the total per phase */
  shares: Record<'reset' | 'workload' | 'settle' | 'collect' | 'check', number>;
  meanMs: Record<'reset' | 'workload' | 'settle' | 'collect' | 'check', number>;
  restarts: number;
  failedRuns: number;
  meanScheduleSpanMs: number;
  timings: RunTiming[];
}

async function timeScenario(env: RunEnvironment, scenario: Scenario, runs: number, seed: number, log: (s: string) => void, envStartMs: number): Promise<ScenarioTiming> {
  const ctx = scenarioContext(env);
  const plans = fc.sample(fc.tuple(scenario.workload(ctx), scenario.schedule(ctx)), { seed, numRuns: runs });
  const settleMs = scenario.settleMs ?? env.options.leaseMs * 2 + 6000;
  const timings: RunTiming[] = [];
  for (const [i, [workload, schedule]] of plans.entries()) {
    const t = await timedRun(env, { workload, schedule, settleMs });
    const timing: RunTiming = { ...t, faultSteps: schedule.length, scheduleSpanMs: Math.max(0, ...schedule.map((st) => st.atMs + st.durationMs)) };
    timings.push(timing);
    log(`[runs-per-minute] ${scenario.name} run ${i + 1}/${runs}: ${describeTiming(timing)}`);
  }
  const total = sum(timings.map((t) => t.totalMs));
  const phase = (k: 'resetMs' | 'workloadMs' | 'settleMs' | 'collectMs' | 'checkMs') => sum(timings.map((t) => t[k]));
  return {
    scenario: scenario.name,
    runs: timings.length,
    envStartMs,
    runsPerMinute: (timings.length * 60_000) / total,
    meanRunMs: mean(timings.map((t) => t.totalMs)),
    shares: {
      reset: phase('resetMs') / total,
      workload: phase('workloadMs') / total,
      settle: phase('settleMs') / total,
      collect: phase('collectMs') / total,
      check: phase('checkMs') / total,
    },
    meanMs: {
      reset: phase('resetMs') / timings.length,
      workload: phase('workloadMs') / timings.length,
      settle: phase('settleMs') / timings.length,
      collect: phase('collectMs') / timings.length,
      check: phase('checkMs') / timings.length,
    },
    restarts: timings.filter((t) => t.restarted).length,
    failedRuns: timings.filter((t) => !t.valid).length,
    meanScheduleSpanMs: mean(timings.map((t) => t.scheduleSpanMs)),
    timings,
  };
}

const GOAL_SCENARIO = 'reorder';
const GOAL_RUNS_PER_MINUTE = 30;

export function runsPerMinuteBench(opts: { runs?: number; scenarios?: string[] } = {}): Benchmark {
  return {
    name: 'runs-per-minute',
    docker: true,
    anySystem: true,
    summary: 'live chaos runs per minute per scenario, and where a run spends its time',
    async run(ctx: BenchContext): Promise<BenchOutput> {
      const all = defaultScenarios(ctx.system, false, ctx.registry).map((s) => s.name);
      const names = opts.scenarios ?? ctx.scenarios ?? (ctx.quick ? [all.includes(GOAL_SCENARIO) ? GOAL_SCENARIO : all[0]!] : all);
      const scenarios = names.map((n) => {
        const s = SCENARIOS.find((x) => x.name === n);
        if (!s) throw new Error(`unknown scenario ${n}`);
        return s;
      });
      const runs = opts.runs ?? (ctx.quick ? 2 : 6);
      const results: ScenarioTiming[] = [];
      let env: (RunEnvironment & { stop(): Promise<void> }) | undefined;
      let shape = '';
      const system = await systemNamed(ctx.registry, ctx.system)!.load();
      try {
        for (const scenario of scenarios) {
          // like Suite: one environment for consecutive scenarios of the same shape
          const want: Partial<EnvironmentOptions> = { ...scenario.env, bugs: [], system };
          let envStartMs = 0;
          if (!env || JSON.stringify(want) !== shape) {
            await env?.stop();
            env = undefined;
            const t0 = performance.now();
            // the docker environment is loaded only when asked for (testcontainers, dockerode)
            env = ctx.env === 'docker' ? await (await import('../env/docker/environment.ts')).DockerEnvironment.start(want) : await Environment.start(want);
            envStartMs = performance.now() - t0;
            shape = JSON.stringify(want);
          }
          results.push(await timeScenario(env, scenario, runs, ctx.seed, ctx.log, envStartMs));
        }
      } finally {
        await env?.stop();
      }

      const table = new Table({
        head: ['scenario', 'runs', 'runs/min', 'mean run', 'reset', 'workload+faults', '(schedule span)', 'settle', 'collect', 'check', 'restarts', 'violations'],
        style: { head: [], border: [] },
      });
      for (const r of results) {
        const cell = (k: keyof ScenarioTiming['shares']) => `${secs(r.meanMs[k], k === 'check' || k === 'collect' ? 2 : 1)} (${pct(r.shares[k], 0)})`;
        table.push([r.scenario, r.runs, num(r.runsPerMinute), secs(r.meanRunMs), cell('reset'), cell('workload'), secs(r.meanScheduleSpanMs), cell('settle'), cell('collect'), cell('check'), r.restarts, r.failedRuns]);
      }
      const reorder = results.find((r) => r.scenario === GOAL_SCENARIO);
      const goals = reorder
        ? [{ name: `runs per minute (${GOAL_SCENARIO})`, goal: `≥ ${GOAL_RUNS_PER_MINUTE}/min`, figure: `${num(reorder.runsPerMinute)}/min (${reorder.restarts} of ${reorder.runs} runs restarted the processes)`, met: reorder.runsPerMinute >= GOAL_RUNS_PER_MINUTE }]
        : [];
      const allTimings = results.flatMap((r) => r.timings);
      const allTotal = sum(allTimings.map((t) => t.totalMs));
      return {
        data: { system: ctx.system, runsPerScenario: runs, seed: ctx.seed, overall: { runs: allTimings.length, runsPerMinute: (allTimings.length * 60_000) / allTotal }, scenarios: results },
        text: [
          table.toString(),
          `phases are means per run (share of the scenario's total); workload+faults includes the final heal; schedule span = when the schedule's last fault step heals (max atMs + durationMs), a floor under workload+faults; restarts = resets that restarted the SUT processes (when the previous run on them did not end idle, e.g. after a crash fault); environment starts are not counted in runs/min`,
          `overall: ${allTimings.length} runs in ${secs(allTotal)} = ${num((allTimings.length * 60_000) / allTotal)} runs/min`,
        ],
        goals,
      };
    },
  };
}
