import { scheduleArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { jobReclaimed } from './common.ts';

/**
 * SIGKILL an executor mid-job; its worker must run the job again. Jobs run up to half again as
 * long as the default lease (2 s): the run again is under the first delivery's lease, which its
 * worker must keep renewing for as long as it takes. Fewer tasks than elsewhere (2–4): the jobs
 * are longer, and the live suite keeps its time.
 */
export const executorCrash: Scenario = {
  name: 'executor-crash',
  summary: 'SIGKILL of an executor mid-job; the job must run again',
  needs: ['executors'],
  env: {},
  runs: 4,
  workload: () => workloadArb({ minTasks: 2, maxTasks: 4, minDurationMs: 300, maxDurationMs: 3000, windowMs: 500 }),
  schedule: ({ targets }) => scheduleArb(['kill-executor'], targets, { fromMs: 200, windowMs: 1200, minDurationMs: 0, maxDurationMs: 500, maxSteps: 3 }),
  goals: [jobReclaimed],
};
