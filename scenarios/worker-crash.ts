import { scheduleArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { jobReclaimed } from './common.ts';

/** SIGKILL a worker (and everything it started) mid-job; another worker must reclaim the job. */
export const workerCrash: Scenario = {
  name: 'worker-crash',
  summary: 'SIGKILL of a worker mid-job; its job must be reclaimed',
  env: {},
  runs: 5,
  workload: () => workloadArb({ minTasks: 3, maxTasks: 6, maxDurationMs: 1000, windowMs: 800 }),
  schedule: ({ targets }) =>
    scheduleArb(['kill'], { ...targets, processes: targets.workers }, { windowMs: 1200, minDurationMs: 100, maxDurationMs: 1500, maxSteps: 2 }),
  goals: [jobReclaimed],
};
