import { scheduleArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { faultWhileInFlight } from './common.ts';

/** Every fault kind at once, on every target. */
export const mixed: Scenario = {
  name: 'mixed',
  summary: 'every fault kind at once',
  env: { keepers: 2, aof: true },
  runs: 3,
  // jobs long and dense enough that a fault usually begins while some are running; the anchor
  // job runs past the last possible fault start (a sparse workload had left every start in a gap)
  workload: () => workloadArb({ minDurationMs: 200, maxDurationMs: 800, windowMs: 1000, anchorMs: 1900 }),
  schedule: ({ targets }) =>
    scheduleArb(
      ['latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data', 'down', 'kill', 'kill-executor', 'pause', 'restart', 'redis-restart'],
      targets,
      { fromMs: 200, windowMs: 1500, minDurationMs: 100, maxDurationMs: 2000, maxSteps: 4 },
    ),
  goals: [faultWhileInFlight],
};
