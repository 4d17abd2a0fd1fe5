import fc from 'fast-check';
import type { JobSpec } from '../history/types.ts';

/**
 * How a task is sent. Real clients are rarely one patient caller: they give up and retry while
 * the first attempt is still being served, hedge a slow request with a second one, and the same
 * request arrives from two places (a retried job runner, a double-clicked button). Every attempt
 * carries the same Idempotency-Key and is its own operation in the history (invoke, then ok,
 * fail or info).
 */
export type SubmitStyle =
  /** waits up to the client's request timeout (3 s), retries only after no answer */
  | { kind: 'patient' }
  /** gives up after timeoutMs (the server may still be writing) and retries with the same key */
  | { kind: 'impatient'; timeoutMs: number }
  /** a second attempt with the same key after afterMs when the first has not answered, both left running */
  | { kind: 'hedged'; afterMs: number }
  /** the same key sent by two client processes, the second skewMs after the first */
  | { kind: 'two-clients'; skewMs: number };

/** One task the client submits at `atMs`, possibly cancelling one of its jobs later. */
export interface TaskPlan {
  atMs: number;
  description: string;
  jobs: JobSpec[];
  /** absent: patient */
  submit?: SubmitStyle;
  /**
   * true: sent without an Idempotency-Key (client.ts SubmitRequest): one attempt, patient or
   * impatient, never retried, hedged or sent from two places (each of those would be a second
   * task of the client's own making). Absent: it carries a key.
   */
  keyless?: true;
  /** `twice`: both client processes send the cancel at once */
  cancel?: { jobIndex: number; afterMs: number; twice?: boolean };
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
  /** with failures: how often a payload hangs past its timeout, against 8 for a clean exit and 1 for a non-zero one */
  hangWeight: number;
  cancellations: boolean;
  /** submit styles other than patient (SubmitStyle) and cancels sent twice at once */
  clientBehaviours: boolean;
  /** how often a task is sent without an Idempotency-Key (TaskPlan.keyless), against 2 for one with a key; 0: never */
  keylessWeight: number;
  /**
   * > 0: one more task, submitted first (at fromMs), with one job that runs this long. It keeps
   * a job running while the faults of the scenario begin, however sparse the rest of the
   * workload came out (a few short jobs can leave every fault start in a gap between jobs).
   */
  anchorMs: number;
  /**
   * how often a job prints a long output (5–32 lines of 100–600 characters, up to ~19 KB, inside
   * PROTOCOL.md's ≤100 lines of ≤1000 characters), against 19 for a short one; 0: never. Real
   * jobs print logs: the output's whole way (event, transition log, job hash) is judged at real sizes.
   */
  longOutputWeight: number;
  /**
   * how often a job that ends on its own gets a timeout of a few seconds (~2–8 s, well past its
   * duration) instead of 20 s, against 3 for the 20 s; 0: never. Real jobs' timeouts vary, and an
   * outage can outlast a short one: the timeout must bound the payload, not the wait around it.
   */
  shortTimeoutWeight: number;
  /** a task's cancel is sent this long after its submit, drawn in [min, max] ms (default 0–500: while the job is queued or just started) */
  cancelAfterMs: { min: number; max: number };
}

export const DEFAULT_WORKLOAD: WorkloadOptions = {
  minTasks: 3, maxTasks: 8, maxJobsPerTask: 3, fromMs: 0, windowMs: 1500, minDurationMs: 0, maxDurationMs: 300, failures: true, hangWeight: 1, cancellations: true, clientBehaviours: true, keylessWeight: 1, anchorMs: 0, longOutputWeight: 0, shortTimeoutWeight: 0, cancelAfterMs: { min: 0, max: 500 },
};

// Every option at 0 draws exactly what it drew before the option existed: a new option must not
// move the plans of existing scenarios and seeds (their printed replays).

// Descriptions come back in reads and reports: some are hostile on purpose.
const descriptions = fc.constantFrom('evaluate submission', 'run unit tests', 'score model', '<script>alert(1)</script>', 'naïve “quotes” & <b>tags</b>');

const line = fc.string({ minLength: 0, maxLength: 40, unit: 'grapheme-ascii' }).map((s) => s.replace(/[\r\n]/g, ' '));

/**
 * A long output, built from a few drawn numbers (not drawn character by character: cheap to draw,
 * fast to shrink). Every line differs (its number and a drawn pattern), so a cut, a reordering or
 * a stale copy anywhere on the output's way shows.
 */
const longOutput = fc
  .record({ lines: fc.integer({ min: 5, max: 32 }), width: fc.integer({ min: 100, max: 600 }), pattern: fc.string({ minLength: 1, maxLength: 16, unit: 'grapheme-ascii' }) })
  .map(({ lines, width, pattern }) => {
    const unit = pattern.replace(/[\r\n]/g, ' ') || '.';
    return Array.from({ length: lines }, (_, i) => `${i}:`.concat(unit.repeat(Math.ceil(width / unit.length))).slice(0, width));
  });

/** a short timeout: at least this, and at least this far past the payload's duration (a loaded machine's payload overruns its sleep) */
const SHORT_TIMEOUT_MIN_MS = 2_000;
const SHORT_TIMEOUT_MARGIN_MS = 1_500;
/** drawn on top of that: short timeouts lie between ~2 s and ~8 s */
const SHORT_TIMEOUT_SPREAD_MS = 6_000;
const DEFAULT_TIMEOUT_MS = 20_000;
const HANG_TIMEOUT_MS = 400;

function jobArb(o: WorkloadOptions): fc.Arbitrary<JobSpec> {
  const outcome = o.failures
    ? fc.oneof({ weight: 8, arbitrary: fc.constant('ok' as const) }, { weight: 1, arbitrary: fc.constant('exit' as const) }, { weight: o.hangWeight, arbitrary: fc.constant('hang' as const) })
    : fc.constant('ok' as const);
  const shortOutput = fc.array(line, { maxLength: 3 });
  return fc.record({
    description: descriptions,
    durationMs: fc.integer({ min: o.minDurationMs, max: o.maxDurationMs }),
    output: o.longOutputWeight > 0 ? fc.oneof({ weight: 19, arbitrary: shortOutput }, { weight: o.longOutputWeight, arbitrary: longOutput }) : shortOutput,
    outcome,
    exitCode: fc.integer({ min: 1, max: 3 }),
    // null: the default timeout (the only draw when shortTimeoutWeight is 0, so nothing else is drawn)
    shortTimeout: o.shortTimeoutWeight > 0
      ? fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: o.shortTimeoutWeight, arbitrary: fc.integer({ min: 0, max: SHORT_TIMEOUT_SPREAD_MS }) })
      : fc.constant(null),
  }).map(({ description, durationMs, output, outcome: out, exitCode, shortTimeout }): JobSpec => ({
    description,
    payload: { durationMs: out === 'hang' ? 60_000 : durationMs, exitCode: out === 'exit' ? exitCode : 0, output, ...(out === 'hang' ? { hang: true } : {}) },
    timeoutMs: out === 'hang' ? HANG_TIMEOUT_MS : shortTimeout === null ? DEFAULT_TIMEOUT_MS : Math.max(SHORT_TIMEOUT_MIN_MS, durationMs + SHORT_TIMEOUT_MARGIN_MS) + shortTimeout,
  }));
}

/** Mostly patient: the others are what real clients do now and then. */
function submitStyleArb(o: WorkloadOptions): fc.Arbitrary<SubmitStyle> {
  const patient = fc.constant<SubmitStyle>({ kind: 'patient' });
  if (!o.clientBehaviours) return patient;
  return fc.oneof(
    { weight: 5, arbitrary: patient },
    { weight: 1, arbitrary: fc.integer({ min: 50, max: 400 }).map((timeoutMs): SubmitStyle => ({ kind: 'impatient', timeoutMs })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 300 }).map((afterMs): SubmitStyle => ({ kind: 'hedged', afterMs })) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 5 }).map((skewMs): SubmitStyle => ({ kind: 'two-clients', skewMs })) },
  );
}

/** With a key, any submit style; without one, a single attempt (patient, or impatient with clientBehaviours). */
function submissionArb(o: WorkloadOptions): fc.Arbitrary<{ submit: SubmitStyle; keyless?: true }> {
  const keyed = submitStyleArb(o).map((submit) => ({ submit }));
  if (o.keylessWeight <= 0) return keyed;
  const patient = fc.constant<SubmitStyle>({ kind: 'patient' });
  const oneAttempt = o.clientBehaviours
    ? fc.oneof({ weight: 5, arbitrary: patient }, { weight: 1, arbitrary: fc.integer({ min: 50, max: 400 }).map((timeoutMs): SubmitStyle => ({ kind: 'impatient', timeoutMs })) })
    : patient;
  // keyed first: a failing run shrinks toward submissions with keys
  return fc.oneof({ withCrossShrink: true }, { weight: 2, arbitrary: keyed }, { weight: o.keylessWeight, arbitrary: oneAttempt.map((submit) => ({ submit, keyless: true as const })) });
}

export function workloadArb(partial: Partial<WorkloadOptions> = {}): fc.Arbitrary<Workload> {
  const o = { ...DEFAULT_WORKLOAD, ...partial };
  const task = fc.record({
    atMs: fc.integer({ min: o.fromMs, max: o.windowMs }),
    description: descriptions,
    jobs: fc.array(jobArb(o), { minLength: 1, maxLength: o.maxJobsPerTask }),
    submission: submissionArb(o),
    cancel: o.cancellations
      ? fc.option(fc.record({ jobIndex: fc.nat({ max: o.maxJobsPerTask - 1 }), afterMs: fc.integer(o.cancelAfterMs), twice: o.clientBehaviours ? fc.boolean() : fc.constant(false) }), { freq: 5, nil: undefined })
      : fc.constant(undefined),
  }).map(({ submission, ...t }): TaskPlan => ({ ...t, ...submission, cancel: t.cancel && { ...t.cancel, jobIndex: t.cancel.jobIndex % t.jobs.length } }));
  const anchor: TaskPlan[] = o.anchorMs > 0
    ? [{ atMs: o.fromMs, description: 'anchor: a job running while faults begin', jobs: [{ description: 'anchor', payload: { durationMs: o.anchorMs, exitCode: 0, output: ['anchor'] }, timeoutMs: o.anchorMs + 20_000 }] }]
    : [];
  return fc.array(task, { minLength: o.minTasks, maxLength: o.maxTasks }).map((tasks) => ({ tasks: [...anchor, ...tasks].sort((a, b) => a.atMs - b.atMs) }));
}
