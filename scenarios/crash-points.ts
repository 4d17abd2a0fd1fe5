import { scheduleArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { faultWhileInFlight } from './common.ts';

/**
 * Crashes that land between two commands on purpose: a role (orchestrator, worker, keeper) or a
 * worker's executor is killed or paused the moment its n-th command (any, or a named step: a read
 * of new work, a takeover, an acknowledgement, a script) has run in Redis, before the reply
 * reaches it. Every command boundary of every role is a candidate; the seed picks one.
 */
export const crashPoints: Scenario = {
  name: 'crash-points',
  summary: 'a role killed or paused, or an executor killed, right after its n-th Redis command (simulation only)',
  simOnly: 'Toxiproxy does not see commands, the simulation does',
  env: { keepers: 2 },
  runs: 6,
  workload: () => workloadArb({ minTasks: 3, maxTasks: 8, minDurationMs: 50, maxDurationMs: 900, windowMs: 1200 }),
  schedule: ({ targets }) => scheduleArb(['crash-point'], targets, { fromMs: 0, windowMs: 1500, minDurationMs: 200, maxDurationMs: 2500, maxSteps: 3 }),
  goals: [faultWhileInFlight],
};
