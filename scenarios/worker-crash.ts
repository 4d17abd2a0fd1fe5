import { scheduleArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { jobReclaimed } from './common.ts';

/** SIGKILL a worker (and everything it started) mid-job; another worker must reclaim the job. */
export const workerCrash: Scenario = {
  name: 'worker-crash',
  summary: 'SIGKILL of a worker mid-job; its job must be reclaimed',
  env: {},
  runs: 4,
  // jobs long enough, and kills late enough, that a killed worker is usually holding one
  workload: () => workloadArb({ minTasks: 4, maxTasks: 6, minDurationMs: 300, maxDurationMs: 1500, windowMs: 500 }),
  schedule: ({ targets }) =>
    scheduleArb(['kill'], { ...targets, processes: targets.workers }, { fromMs: 200, windowMs: 1200, minDurationMs: 100, maxDurationMs: 1500, maxSteps: 2 }),
  goals: [jobReclaimed],
};
