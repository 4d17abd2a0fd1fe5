// Simulated runs of one scenario timed as the sim-runs-per-minute bench times them (a warm-up run,
// then each run and its checkers), without its live runs: wall and CPU ms per run.
//   npx tsx scripts/sim-speed.ts   (N=100, SCENARIO=reorder, SEED=1)
import fc from 'fast-check';
import { checkRun } from '../harness/checkers/index.ts';
import { DEFAULT_ENV_OPTIONS } from '../harness/env/environment.ts';
import { BUILTINS, checkersFor } from '../harness/registry/index.ts';
import { simRunOnce, simTarget } from '../harness/sim/run.ts';
import { reference } from '../harness/systems/reference.ts';
import { simScenarios } from '../test/sim/determinism-cases.ts';

const N = Number(process.env.N ?? 100);
const name = process.env.SCENARIO ?? 'reorder';
const seed = Number(process.env.SEED ?? 1);
const scenario = simScenarios(reference.name).find((s) => s.name === name)!;
const checkers = checkersFor(reference.provides, BUILTINS.checkers);
const shape = { ...DEFAULT_ENV_OPTIONS, ...scenario.env, bugs: [] };
const target = simTarget(reference, shape, seed);
const plans = fc.sample(fc.tuple(scenario.workload(target.context), scenario.schedule(target.context)), { seed, numRuns: N });
const settleMs = scenario.settleMs ?? shape.leaseMs * 2 + 6000;
await simRunOnce(reference, shape, { workload: plans[0]![0], schedule: plans[0]![1], settleMs }, seed);
let steps = 0;
const t0 = performance.now();
const c0 = process.cpuUsage();
for (const [workload, schedule] of plans) {
  const out = await simRunOnce(reference, shape, { workload, schedule, settleMs }, seed);
  checkRun(out.history, checkers);
  steps += out.sim.steps;
}
const c = process.cpuUsage(c0);
const wall = performance.now() - t0;
const cpu = (c.user + c.system) / 1000;
console.log(`${name} ${N} runs: ${(wall / N).toFixed(1)} ms/run wall (${Math.round((N * 60000) / wall)}/min), ${(cpu / N).toFixed(1)} ms/run CPU (${Math.round((N * 60000) / cpu)}/min), ${Math.round(steps / N)} steps/run`);
process.exit(0);
