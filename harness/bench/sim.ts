// sim-runs-per-minute: simulated runs per minute (the reference system in this process on the
// virtual clock, one core: the process is single-threaded), per scenario at its default shape,
// each run judged by every checker as in a suite; and, in the same bench run, live runs of the
// goal scenario, for the ratio.

import { performance } from 'node:perf_hooks';
import Table from 'cli-table3';
import fc from 'fast-check';
import { SCENARIOS } from '../../scenarios/index.ts';
import { checkRun } from '../checkers/index.ts';
import { DEFAULT_ENV_OPTIONS } from '../env/environment.ts';
import { scenarioContext } from '../runner/property.ts';
import { num, secs, sum, withEnvironment, type BenchContext, type BenchOutput, type Benchmark } from './common.ts';
import { timedRun } from './run-probe.ts';

const GOAL_SCENARIO = 'reorder';
const GOAL_RUNS_PER_MINUTE = 3000;

interface SimTiming {
  scenario: string;
  runs: number;
  runsPerMinute: number;
  meanRunMs: number;
  /**
   * mean CPU time per run (user + system, this process): on a machine shared with other work the
   * wall time of a run carries the wait for a core, its CPU time much less; runs per minute by
   * CPU time are what one core of its own would do
   */
  meanCpuMs: number;
  cpuRunsPerMinute: number;
  /** mean virtual time per run: how much system time a run simulates */
  meanVirtualMs: number;
  meanSteps: number;
  failedRuns: number;
}

export function simRunsPerMinuteBench(): Benchmark {
  return {
    name: 'sim-runs-per-minute',
    summary: 'simulated runs per minute per scenario (one core), and the ratio to live runs of the same scenario',
    async run(ctx: BenchContext): Promise<BenchOutput> {
      // loaded here: the simulation is the one part of the harness that imports the SUT (its embedding seam)
      const { simRunOnce, simTarget } = await import('../sim/run.ts');
      const { reference } = await import('../systems/reference.ts');
      const names = ctx.scenarios ?? (ctx.quick ? [GOAL_SCENARIO] : SCENARIOS.map((s) => s.name));
      const runs = ctx.quick ? 20 : 100;
      const results: SimTiming[] = [];
      for (const name of names) {
        const scenario = SCENARIOS.find((s) => s.name === name)!;
        const shape = { ...DEFAULT_ENV_OPTIONS, ...scenario.env };
        const target = simTarget(reference, shape, ctx.seed);
        const plans = fc.sample(fc.tuple(scenario.workload(target.context), scenario.schedule(target.context)), { seed: ctx.seed, numRuns: runs });
        const settleMs = scenario.settleMs ?? shape.leaseMs * 2 + 6000;
        // one run first, untimed: module loading and the JIT are not a run's cost
        await simRunOnce(reference, shape, { workload: plans[0]![0], schedule: plans[0]![1], settleMs }, ctx.seed);
        const ms: number[] = [];
        const cpu: number[] = [];
        const virtual: number[] = [];
        const steps: number[] = [];
        let failed = 0;
        for (const [workload, schedule] of plans) {
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          const out = await simRunOnce(reference, shape, { workload, schedule, settleMs }, ctx.seed);
          const { verdicts } = checkRun(out.history);
          const c1 = process.cpuUsage(c0);
          ms.push(performance.now() - t0);
          cpu.push((c1.user + c1.system) / 1000);
          virtual.push(out.sim.virtualMs);
          steps.push(out.sim.steps);
          if (verdicts.some((v) => v.valid === false)) failed++;
        }
        const timing: SimTiming = {
          scenario: name, runs, runsPerMinute: (runs * 60_000) / sum(ms), meanRunMs: sum(ms) / runs,
          meanCpuMs: sum(cpu) / runs, cpuRunsPerMinute: (runs * 60_000) / sum(cpu),
          meanVirtualMs: sum(virtual) / runs, meanSteps: sum(steps) / runs, failedRuns: failed,
        };
        results.push(timing);
        ctx.log(`[sim-runs-per-minute] ${name}: ${runs} runs, ${num(timing.runsPerMinute, 0)}/min (${num(timing.cpuRunsPerMinute, 0)}/min by CPU time), ${num(timing.meanRunMs, 0)} ms per run (${num(timing.meanCpuMs, 0)} ms CPU) simulating ${secs(timing.meanVirtualMs)}`);
      }

      // live runs of the goal scenario, in this bench run, for the ratio
      const goal = SCENARIOS.find((s) => s.name === GOAL_SCENARIO)!;
      const liveRuns = ctx.quick ? 2 : 6;
      const liveMs = await withEnvironment(goal.env, async (env) => {
        const plans = fc.sample(fc.tuple(goal.workload(scenarioContext(env)), goal.schedule(scenarioContext(env))), { seed: ctx.seed, numRuns: liveRuns });
        const settleMs = goal.settleMs ?? env.options.leaseMs * 2 + 6000;
        const totals: number[] = [];
        for (const [workload, schedule] of plans) totals.push((await timedRun(env, { workload, schedule, settleMs })).totalMs);
        return totals;
      });
      const livePerMinute = (liveRuns * 60_000) / sum(liveMs);
      const simGoal = results.find((r) => r.scenario === GOAL_SCENARIO);

      const table = new Table({ head: ['scenario', 'runs', 'runs/min', 'ms per run', 'runs/min by CPU time', 'CPU ms per run', 'virtual time per run', 'scheduler steps per run', 'failed runs'], style: { head: [], border: [] } });
      for (const r of results) table.push([r.scenario, r.runs, num(r.runsPerMinute, 0), num(r.meanRunMs, 1), num(r.cpuRunsPerMinute, 0), num(r.meanCpuMs, 1), secs(r.meanVirtualMs), num(r.meanSteps, 0), r.failedRuns]);
      const allMs = results.map((r) => r.meanRunMs * r.runs);
      const overall = (sum(results.map((r) => r.runs)) * 60_000) / sum(allMs);
      return {
        data: { seed: ctx.seed, scenarios: results, overallRunsPerMinute: overall, live: { scenario: GOAL_SCENARIO, runs: liveRuns, runsPerMinute: livePerMinute, runMs: liveMs } },
        text: [
          table.toString(),
          `each run: a fresh simulated world, the workload and schedule on virtual time, settle, snapshot, every checker; measured on one core (the simulation is one thread); runs/min by wall time, and by this process's CPU time (less sensitive to other work on the machine)`,
          `overall: ${num(overall, 0)} simulated runs/min; live ${GOAL_SCENARIO} in this bench run: ${num(livePerMinute, 1)} runs/min (${liveRuns} runs)${simGoal ? `; ratio ${num(simGoal.runsPerMinute / livePerMinute, 0)}×` : ''}`,
        ],
        goals: simGoal ? [{ name: `simulated runs per minute (${GOAL_SCENARIO})`, goal: `≥ ${GOAL_RUNS_PER_MINUTE}/min`, figure: `${num(simGoal.runsPerMinute, 0)}/min (live ${num(livePerMinute, 1)}/min, ${num(simGoal.runsPerMinute / livePerMinute, 0)}×)`, met: simGoal.runsPerMinute >= GOAL_RUNS_PER_MINUTE }] : [],
      };
    },
  };
}
