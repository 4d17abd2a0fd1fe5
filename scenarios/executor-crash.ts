import { scheduleArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { jobReclaimed } from './common.ts';

/** SIGKILL an executor mid-job; its worker must run the job again. */
export const executorCrash: Scenario = {
  name: 'executor-crash',
  summary: 'SIGKILL of an executor mid-job; the job must run again',
  needs: ['executors'],
  env: {},
  runs: 4,
  workload: () => workloadArb({ minTasks: 4, maxTasks: 6, minDurationMs: 300, maxDurationMs: 1200, windowMs: 500 }),
  schedule: ({ targets }) => scheduleArb(['kill-executor'], targets, { fromMs: 200, windowMs: 1200, minDurationMs: 0, maxDurationMs: 500, maxSteps: 3 }),
  goals: [jobReclaimed],
};
