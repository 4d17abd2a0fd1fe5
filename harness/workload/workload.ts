import fc from 'fast-check';
import type { JobSpec } from '../history/types.ts';

/** One task the client submits at `atMs`, possibly cancelling one of its jobs later. */
export interface TaskPlan {
  atMs: number;
  description: string;
  jobs: JobSpec[];
  cancel?: { jobIndex: number; afterMs: number };
}

export interface Workload {
  tasks: TaskPlan[];
}

export interface WorkloadOptions {
  minTasks: number;
  maxTasks: number;
  maxJobsPerTask: number;
  /** submissions spread over [fromMs, windowMs] */
  fromMs: number;
  windowMs: number;
  minDurationMs: number;
  maxDurationMs: number;
  /** allow non-zero exits, hangs past the timeout and cancellations */
  failures: boolean;
  cancellations: boolean;
  /**
   * > 0: one more task, submitted first (at fromMs), with one job that runs this long. It keeps
   * a job running while the faults of the scenario begin, however sparse the rest of the
   * workload came out (a few short jobs can leave every fault start in a gap between jobs).
   */
  anchorMs: number;
}

export const DEFAULT_WORKLOAD: WorkloadOptions = {
  minTasks: 3, maxTasks: 8, maxJobsPerTask: 3, fromMs: 0, windowMs: 1500, minDurationMs: 0, maxDurationMs: 300, failures: true, cancellations: true, anchorMs: 0,
};

// Descriptions come back in reads and reports: some are hostile on purpose.
const descriptions = fc.constantFrom('evaluate submission', 'run unit tests', 'score model', '<script>alert(1)</script>', 'naïve “quotes” & <b>tags</b>');

const line = fc.string({ minLength: 0, maxLength: 40, unit: 'grapheme-ascii' }).map((s) => s.replace(/[\r\n]/g, ' '));

function jobArb(o: WorkloadOptions): fc.Arbitrary<JobSpec> {
  const outcome = o.failures
    ? fc.oneof({ weight: 8, arbitrary: fc.constant('ok' as const) }, { weight: 1, arbitrary: fc.constant('exit' as const) }, { weight: 1, arbitrary: fc.constant('hang' as const) })
    : fc.constant('ok' as const);
  return fc.record({
    description: descriptions,
    durationMs: fc.integer({ min: o.minDurationMs, max: o.maxDurationMs }),
    output: fc.array(line, { maxLength: 3 }),
    outcome,
    exitCode: fc.integer({ min: 1, max: 3 }),
  }).map(({ description, durationMs, output, outcome: out, exitCode }): JobSpec => ({
    description,
    payload: { durationMs: out === 'hang' ? 60_000 : durationMs, exitCode: out === 'exit' ? exitCode : 0, output, ...(out === 'hang' ? { hang: true } : {}) },
    timeoutMs: out === 'hang' ? 400 : 20_000,
  }));
}

export function workloadArb(partial: Partial<WorkloadOptions> = {}): fc.Arbitrary<Workload> {
  const o = { ...DEFAULT_WORKLOAD, ...partial };
  const task = fc.record({
    atMs: fc.integer({ min: o.fromMs, max: o.windowMs }),
    description: descriptions,
    jobs: fc.array(jobArb(o), { minLength: 1, maxLength: o.maxJobsPerTask }),
    cancel: o.cancellations
      ? fc.option(fc.record({ jobIndex: fc.nat({ max: o.maxJobsPerTask - 1 }), afterMs: fc.integer({ min: 0, max: 500 }) }), { freq: 5, nil: undefined })
      : fc.constant(undefined),
  }).map((t): TaskPlan => ({ ...t, cancel: t.cancel && { ...t.cancel, jobIndex: t.cancel.jobIndex % t.jobs.length } }));
  const anchor: TaskPlan[] = o.anchorMs > 0
    ? [{ atMs: o.fromMs, description: 'anchor: a job running while faults begin', jobs: [{ description: 'anchor', payload: { durationMs: o.anchorMs, exitCode: 0, output: ['anchor'] }, timeoutMs: o.anchorMs + 20_000 }] }]
    : [];
  return fc.array(task, { minLength: o.minTasks, maxLength: o.maxTasks }).map((tasks) => ({ tasks: [...anchor, ...tasks].sort((a, b) => a.atMs - b.atMs) }));
}
