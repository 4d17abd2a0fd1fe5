// sim-runs-per-minute: simulated runs per minute of a system that simulates (--system, default the
// reference system; `--system all`: every one, in one bench run), in this process on the virtual
// clock, one core (the process is single-threaded), per scenario its --sim suite runs, at the
// scenario's default shape, each run judged by every checker the system's evidence feeds, as in a
// suite; and, in the same bench run, live runs of one of those scenarios (the ratio scenario) for
// the ratio simulated : live.

import { performance } from 'node:perf_hooks';
import Table from 'cli-table3';
import fc from 'fast-check';
import { defaultScenarios } from '../config/options.ts';
import { checkRun } from '../checkers/index.ts';
import { DEFAULT_ENV_OPTIONS } from '../env/environment.ts';
import { checkersFor, systemNamed } from '../registry/index.ts';
import { scenarioContext } from '../runner/property.ts';
import type { Scenario } from '../runner/scenario.ts';
import { num, secs, sum, withEnvironment, type BenchContext, type BenchOutput, type Benchmark, type Goal } from './common.ts';
import { timedRun } from './run-probe.ts';

/** The scenario the live runs measure, for the ratio: the first of these the system runs (reorder: the reference system's; worker-crash: every library's), else its first live scenario. */
const RATIO_SCENARIOS = ['reorder', 'worker-crash'];
/** simulated runs per minute of the ratio scenario, on one core: the reference system's goal, and any other system's (the issue's "at least 500 a minute per library") */
export const REFERENCE_GOAL_RUNS_PER_MINUTE = 3000;
export const LIBRARY_GOAL_RUNS_PER_MINUTE = 500;

export interface SimTiming {
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

/** What one system's bench run found (its JSON's data). */
export interface SimBenchData {
  system: string;
  seed: number;
  scenarios: SimTiming[];
  overallRunsPerMinute: number;
  /** live runs of the ratio scenario in the same bench run; absent when the system runs no scenario live */
  live?: { scenario: string; runs: number; runsPerMinute: number; runMs: number[] };
  /** simulated runs/min of the ratio scenario : live */
  ratio?: number;
}

/** The scenario whose live runs give the ratio, among those measured: a preferred one, else the first that runs live. */
export function ratioScenario(measured: readonly Scenario[]): Scenario | undefined {
  const live = measured.filter((s) => !s.simOnly);
  return RATIO_SCENARIOS.map((n) => live.find((s) => s.name === n)).find(Boolean) ?? live[0];
}

/** The scenarios measured: --scenario's, else the system's --sim suite (with --quick: the ratio scenario only). */
export function simBenchScenarios(ctx: Pick<BenchContext, 'system' | 'registry' | 'scenarios' | 'quick'>): Scenario[] {
  const suite = defaultScenarios(ctx.system, true, ctx.registry);
  if (ctx.scenarios) return ctx.scenarios.map((n) => ctx.registry.scenarios.find((s) => s.name === n)!);
  if (ctx.quick) {
    const one = ratioScenario(suite) ?? suite[0];
    return one ? [one] : [];
  }
  return suite;
}

export const goalRunsPerMinute = (system: string) => (system === 'reference' ? REFERENCE_GOAL_RUNS_PER_MINUTE : LIBRARY_GOAL_RUNS_PER_MINUTE);

/** The goal line of one system: simulated runs/min of the ratio scenario (by wall time, one core), live and the ratio beside it. */
export function simGoal(d: SimBenchData): Goal[] {
  const sim = d.live ? d.scenarios.find((r) => r.scenario === d.live!.scenario) : d.scenarios[0];
  if (!sim) return [];
  const goal = goalRunsPerMinute(d.system);
  const live = d.live ? `, live ${num(d.live.runsPerMinute, 1)}/min, ${num(sim.runsPerMinute / d.live.runsPerMinute, 0)}×` : '';
  return [{
    name: `simulated runs per minute (${d.system}, ${sim.scenario})`, goal: `≥ ${goal}/min`,
    figure: `${num(sim.runsPerMinute, 0)}/min (${num(sim.cpuRunsPerMinute, 0)}/min by CPU time${live})`, met: sim.runsPerMinute >= goal,
  }];
}

/** Every system's figures side by side (`--system all`): the ratio scenario simulated and live, and every scenario's simulated runs together. */
export function simSystemsTable(rows: readonly SimBenchData[]): string {
  const table = new Table({ head: ['system', 'scenario', 'sim runs/min', 'sim runs/min by CPU time', 'live runs/min', 'sim : live', 'sim runs/min, every scenario', 'scenarios', 'goal (one core)'], style: { head: [], border: [] } });
  for (const d of rows) {
    const name = d.live?.scenario;
    const sim = (name ? d.scenarios.find((r) => r.scenario === name) : undefined) ?? d.scenarios[0];
    table.push([
      d.system, sim?.scenario ?? '-', sim ? num(sim.runsPerMinute, 0) : '-', sim ? num(sim.cpuRunsPerMinute, 0) : '-',
      d.live ? num(d.live.runsPerMinute, 1) : '-', d.ratio !== undefined ? `${num(d.ratio, 0)}×` : '-',
      num(d.overallRunsPerMinute, 0), d.scenarios.length, `≥ ${goalRunsPerMinute(d.system)}/min`,
    ]);
  }
  return table.toString();
}

export function simRunsPerMinuteBench(): Benchmark {
  return {
    name: 'sim-runs-per-minute',
    summary: 'simulated runs per minute per scenario (one core), and the ratio to live runs of the same scenario',
    anySystem: true,
    needs: ['simulation'],
    async run(ctx: BenchContext): Promise<BenchOutput> {
      // loaded here: the simulation is the one part of the harness that imports the SUT (its embedding seam)
      const { simRunOnce, simTarget } = await import('../sim/run.ts');
      const system = await systemNamed(ctx.registry, ctx.system)!.load();
      const checkers = checkersFor(system.provides, ctx.registry.checkers);
      const scenarios = simBenchScenarios(ctx);
      const runs = ctx.quick ? 20 : 100;
      const results: SimTiming[] = [];
      for (const scenario of scenarios) {
        const name = scenario.name;
        const shape = { ...DEFAULT_ENV_OPTIONS, ...scenario.env, bugs: [] };
        const target = simTarget(system, shape, ctx.seed);
        const plans = fc.sample(fc.tuple(scenario.workload(target.context), scenario.schedule(target.context)), { seed: ctx.seed, numRuns: runs });
        const settleMs = scenario.settleMs ?? shape.leaseMs * 2 + 6000;
        // one run first, untimed: module loading and the JIT are not a run's cost
        await simRunOnce(system, shape, { workload: plans[0]![0], schedule: plans[0]![1], settleMs }, ctx.seed);
        const ms: number[] = [];
        const cpu: number[] = [];
        const virtual: number[] = [];
        const steps: number[] = [];
        let failed = 0;
        for (const [workload, schedule] of plans) {
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          const out = await simRunOnce(system, shape, { workload, schedule, settleMs }, ctx.seed);
          const { verdicts } = checkRun(out.history, checkers);
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
        ctx.log(`[sim-runs-per-minute] ${ctx.system} ${name}: ${runs} runs, ${num(timing.runsPerMinute, 0)}/min (${num(timing.cpuRunsPerMinute, 0)}/min by CPU time), ${num(timing.meanRunMs, 0)} ms per run (${num(timing.meanCpuMs, 0)} ms CPU) simulating ${secs(timing.meanVirtualMs)}`);
      }

      // live runs of the ratio scenario, on the same system in this bench run
      const goal = ratioScenario(scenarios);
      const liveRuns = ctx.quick ? 2 : 6;
      let live: SimBenchData['live'];
      if (goal) {
        const runMs = await withEnvironment({ ...goal.env, bugs: [], system }, async (env) => {
          const plans = fc.sample(fc.tuple(goal.workload(scenarioContext(env)), goal.schedule(scenarioContext(env))), { seed: ctx.seed, numRuns: liveRuns });
          const settleMs = goal.settleMs ?? env.options.leaseMs * 2 + 6000;
          const totals: number[] = [];
          for (const [workload, schedule] of plans) totals.push((await timedRun(env, { workload, schedule, settleMs })).totalMs);
          return totals;
        });
        live = { scenario: goal.name, runs: liveRuns, runsPerMinute: (liveRuns * 60_000) / sum(runMs), runMs };
        ctx.log(`[sim-runs-per-minute] ${ctx.system} ${goal.name} live: ${liveRuns} runs, ${num(live.runsPerMinute, 1)}/min`);
      }
      const simOfGoal = goal && results.find((r) => r.scenario === goal.name);

      const table = new Table({ head: ['scenario', 'runs', 'runs/min', 'ms per run', 'runs/min by CPU time', 'CPU ms per run', 'virtual time per run', 'scheduler steps per run', 'failed runs'], style: { head: [], border: [] } });
      for (const r of results) table.push([r.scenario, r.runs, num(r.runsPerMinute, 0), num(r.meanRunMs, 1), num(r.cpuRunsPerMinute, 0), num(r.meanCpuMs, 1), secs(r.meanVirtualMs), num(r.meanSteps, 0), r.failedRuns]);
      const allMs = results.map((r) => r.meanRunMs * r.runs);
      const overall = (sum(results.map((r) => r.runs)) * 60_000) / sum(allMs);
      const data: SimBenchData = {
        system: ctx.system, seed: ctx.seed, scenarios: results, overallRunsPerMinute: overall,
        ...(live ? { live } : {}), ...(live && simOfGoal ? { ratio: simOfGoal.runsPerMinute / live.runsPerMinute } : {}),
      };
      return {
        data,
        text: [
          `${ctx.system}, in simulation:`,
          table.toString(),
          `each run: a fresh simulated world, the workload and schedule on virtual time, settle, snapshot, every checker the system's evidence feeds; measured on one core (the simulation is one thread); runs/min by wall time, and by this process's CPU time (less sensitive to other work on the machine)`,
          `overall: ${num(overall, 0)} simulated runs/min; ${live ? `live ${live.scenario} in this bench run: ${num(live.runsPerMinute, 1)} runs/min (${live.runs} runs)${data.ratio !== undefined ? `; ratio ${num(data.ratio, 0)}×` : ''}` : 'no live runs (no scenario measured runs live)'}`,
        ],
        goals: simGoal(data),
      };
    },
    combine(runs) {
      const rows = runs.map((r) => r.output.data as SimBenchData);
      return {
        data: { systems: rows.map((d) => ({ system: d.system, scenario: d.live?.scenario ?? d.scenarios[0]?.scenario, simRunsPerMinute: (d.scenarios.find((r) => r.scenario === d.live?.scenario) ?? d.scenarios[0])?.runsPerMinute, liveRunsPerMinute: d.live?.runsPerMinute, ratio: d.ratio, overallSimRunsPerMinute: d.overallRunsPerMinute })) },
        text: [simSystemsTable(rows), `per system: the ratio scenario simulated (one core) and live in this bench run; "every scenario": all its measured scenarios' simulated runs together`],
      };
    },
  };
}
