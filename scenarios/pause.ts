import fc from 'fast-check';
import { scheduleOf } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { duplicateExecution } from './common.ts';

/**
 * SIGSTOP a worker with its executor and payload (a frozen VM) for longer than the lease:
 * another worker reclaims the job and runs it again; when the frozen one wakes up its late
 * events must not change the job's terminal state.
 */
export const pause: Scenario = {
  name: 'pause',
  summary: 'SIGSTOP of a worker past the lease, so a job runs twice',
  env: {},
  runs: 4,
  workload: () => workloadArb({ minTasks: 4, maxTasks: 6, minDurationMs: 500, maxDurationMs: 1500, windowMs: 300, cancellations: false }),
  schedule: ({ workers, leaseMs }) =>
    scheduleOf(
      fc.record({
        atMs: fc.integer({ min: 300, max: 900 }),
        durationMs: fc.integer({ min: Math.round(leaseMs * 1.5), max: leaseMs * 3 }),
        fault: fc.record({ kind: fc.constant('pause' as const), process: fc.constantFrom(...workers) }),
      }),
      2,
    ),
  goals: [duplicateExecution],
};
