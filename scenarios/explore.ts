import { scheduleArb, type FaultKind } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { faultWhileInFlight } from './common.ts';

/** Every fault kind the nemesis knows. */
const ALL_FAULTS: FaultKind[] = [
  'latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data', 'down',
  'kill', 'kill-executor', 'pause', 'restart', 'redis-restart',
];

/**
 * Not shaped around any one bug: any fault kind on any target (every role, every link, Redis) at
 * random times over a wider window, and the workload's whole range — short and long jobs (some
 * past the lease), failing and hanging payloads, cancels, and clients that retry, hedge and send
 * one key from two places. The report lists which fault kinds hit which parts while they had work
 * in hand; the scenario is vacuous if none ever did. It takes more runs when `--budget` leaves
 * time (it fills what the scenarios before it left over) and under `npm run soak`.
 */
export const explore: Scenario = {
  name: 'explore',
  summary: 'any fault on any part at any time, the whole workload range',
  // the shape of mixed's environment, so the suite reuses it
  env: { keepers: 2, aof: true },
  runs: 3,
  soakRuns: 10,
  fillsBudget: true,
  workload: () => workloadArb({ minTasks: 3, maxTasks: 10, maxJobsPerTask: 3, minDurationMs: 0, maxDurationMs: 2600, fromMs: 0, windowMs: 2500 }),
  // in simulation, crash points too (a role stopped right after its n-th command)
  schedule: ({ targets, simulated }) => scheduleArb(simulated ? [...ALL_FAULTS, 'crash-point'] : ALL_FAULTS, targets, { fromMs: 0, windowMs: 3000, minDurationMs: 50, maxDurationMs: 2500, maxSteps: 5 }),
  goals: [faultWhileInFlight],
};
