import { scheduleArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { faultWhileInFlight } from './common.ts';

/** SIGKILL a keeper while events flow; its unapplied events must still be applied. */
export const keeperCrash: Scenario = {
  name: 'keeper-crash',
  summary: 'SIGKILL of a keeper while events flow; no event may be lost',
  needs: ['keepers'],
  env: { keepers: 2 },
  runs: 4,
  // the anchor job runs past the last possible fault start (a sparse workload can leave every
  // start in a gap between jobs)
  workload: () => workloadArb({ minTasks: 4, maxTasks: 8, minDurationMs: 100, maxDurationMs: 500, windowMs: 800, anchorMs: 1300 }),
  schedule: ({ targets, keepers }) =>
    scheduleArb(['kill'], { ...targets, processes: keepers }, { fromMs: 100, windowMs: 900, minDurationMs: 200, maxDurationMs: 2000, maxSteps: 2 }),
  goals: [faultWhileInFlight],
};
