import fc from 'fast-check';
import { faultArb, schedulePer, stepArb, type Fault, type Schedule } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { jobTakenOver, keeperEventsTakenOver } from './common.ts';

/** every kill of the schedule comes back as a new consumer: the dead name never returns */
const asNewConsumers = (schedule: fc.Arbitrary<Schedule>) =>
  schedule.map((steps) => steps.map((s) => ({ ...s, fault: renamed(s.fault) })));

const renamed = (f: Fault): Fault =>
  f.kind === 'kill' || f.kind === 'poison-job' ? { ...f, rejoin: 'new' } : f.kind === 'crash-point' ? { ...f, action: 'kill', rejoin: 'new' } : f;

/**
 * Workers and keepers SIGKILLed and never back under their own name, as when consumer names come
 * from host and pid: what a dead consumer held (a job mid-run, events read and not applied) stays
 * pending under its name until another consumer takes it over. Each run kills a worker and a
 * keeper (nearly always both: a schedule shrinks to the one that matters), so both takeover paths
 * are needed in every run. In simulation some kills land at crash points, the moment the role's
 * n-th command has run, and some workers' kills follow a poison job: whichever worker runs it dies,
 * 1–4 times over a window of 4–15 s, so one job is taken over again and again.
 */
export const takeover: Scenario = {
  name: 'takeover',
  summary: 'workers and keepers killed and back only as new consumers: others must take over what they held',
  needs: ['consumer-names'],
  env: { keepers: 2 },
  runs: 3,
  // jobs long enough that a killed worker usually holds one; the anchor job runs past the last kill
  workload: () => workloadArb({ minTasks: 4, maxTasks: 8, minDurationMs: 200, maxDurationMs: 1500, windowMs: 900, anchorMs: 1600 }),
  schedule: ({ targets, workers, keepers, simulated }) => {
    const kinds = simulated ? (['kill', 'crash-point'] as const) : (['kill'] as const);
    const roles = { worker: workers, keeper: keepers };
    const killOf = (role: 'worker' | 'keeper') => {
      const on = { ...targets, processes: roles[role] };
      const kill = stepArb(fc.oneof(...kinds.map((k) => faultArb(k, on))), { fromMs: 150, windowMs: 1400, minDurationMs: 100, maxDurationMs: 3000 });
      if (role === 'keeper' || !simulated) return kill;
      // a poison job's window: long enough for its holders to die one after another, each job taken over after a lease
      const poison = stepArb(faultArb('poison-job', on), { fromMs: 150, windowMs: 1400, minDurationMs: 4000, maxDurationMs: 15000 });
      return fc.oneof({ weight: 2, arbitrary: kill }, { weight: 1, arbitrary: poison });
    };
    return asNewConsumers(schedulePer(keepers.length ? ['worker', 'keeper'] : ['worker'], (k) => killOf(k as 'worker' | 'keeper')));
  },
  goals: [jobTakenOver, keeperEventsTakenOver],
};
