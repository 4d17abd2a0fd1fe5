import { scheduleArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { faultWhileInFlight } from './common.ts';

/** redis-server SIGKILLed and started again on its append-only file: nothing acknowledged may be lost. */
export const redisRestart: Scenario = {
  name: 'redis-restart',
  summary: 'Redis killed and restarted with AOF',
  env: { aof: true },
  runs: 3,
  // the anchor job runs past the last possible fault start (a sparse workload can leave every
  // start in a gap between jobs)
  workload: () => workloadArb({ maxTasks: 6, minDurationMs: 200, maxDurationMs: 800, windowMs: 600, anchorMs: 1300 }),
  schedule: ({ targets }) => scheduleArb(['redis-restart'], targets, { fromMs: 200, windowMs: 900, minDurationMs: 100, maxDurationMs: 1000, maxSteps: 1 }),
  goals: [faultWhileInFlight],
};
