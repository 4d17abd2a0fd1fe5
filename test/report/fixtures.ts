// Hand-made suite results for the report tests: small histories of a few jobs with fault
// windows, a failing scenario whose evidence names jobs, and a hostile task description.
// Nothing here runs the system; stats are counted from the hand-made history itself.

import type { LatencySample, RunStats } from '../../harness/checkers/coverage.ts';
import type { History, HistoryEntry, JobState, Verdict } from '../../harness/history/types.ts';
import type { Fault, Schedule } from '../../harness/nemesis/types.ts';
import type { RunRecord, ScenarioResult } from '../../harness/runner/property.ts';
import type { SuiteResult } from '../../harness/runner/suite.ts';
import type { Workload } from '../../harness/workload/workload.ts';

export const HOSTILE = '<script>alert(1)</script>';
export const HOSTILE_EVIDENCE = 'output was <img src=x onerror=alert(2)> & "quoted"';

export interface JobPlan {
  jobId: string;
  taskId: string;
  description: string;
  submitAt: number;
  runningAt: number;
  doneAt: number;
  state: 'completed' | 'failed' | 'cancelled';
  /** a late duplicate terminal event, which a correct keeper ignores as stale */
  staleAt?: number;
  /** a late `running` event applied over the terminal state (what lww-status does) */
  overwriteAt?: number;
  /** a second execution under attempt 2 (a reclaimed, duplicated job) */
  duplicateAt?: number;
}

export interface FaultPlan {
  stepId: number;
  fault: Fault;
  start: number;
  /** omitted: the step never healed before the run ended */
  end?: number;
}

/** Deterministic pseudo-random numbers (a tiny LCG), so fixtures are the same on every run. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

const targetOf = (f: Fault): string => ('link' in f ? `link ${f.link}` : 'process' in f ? String(f.process) : 'worker' in f ? `executor of ${f.worker}` : 'redis');

/** `count` jobs submitted over `spanMs`; jobs that run during a fault window take longer. */
export function planJobs(count: number, opts: { spanMs?: number; seed?: number; faults?: FaultPlan[]; descriptions?: string[] } = {}): JobPlan[] {
  const spanMs = opts.spanMs ?? 3000;
  const next = random(opts.seed ?? 7);
  const descriptions = opts.descriptions ?? ['evaluate submission', 'run unit tests', 'score model'];
  const slowed = (t: number) => (opts.faults ?? []).find((f) => t >= f.start && t < (f.end ?? Infinity));
  return Array.from({ length: count }, (_, i) => {
    const submitAt = Math.round((i / count) * spanMs * 0.8 + next() * 40);
    const runningAt = submitAt + 5 + Math.round(next() * 20);
    const fault = slowed(runningAt);
    const doneAt = fault ? Math.max(runningAt + 30, (fault.end ?? spanMs) + 20 + Math.round(next() * 80)) : runningAt + 20 + Math.round(next() * 60);
    return {
      jobId: `job-${i + 1}`,
      taskId: `task-${i + 1}`,
      description: descriptions[i % descriptions.length],
      submitAt,
      runningAt,
      doneAt,
      state: i % 9 === 8 ? 'failed' : 'completed',
    };
  });
}

function transition(t: number, job: JobPlan, seq: number, fields: Partial<HistoryEntry & { kind: 'transition' }> & { type: string; from: JobState | 'none'; to: JobState | 'none' }): HistoryEntry {
  return {
    kind: 'transition',
    t,
    logId: `${1_700_000_000_000 + t}-${seq}`,
    jobId: job.jobId,
    eventId: `ev-${job.jobId}-${seq}`,
    source: 'keeper',
    sourceId: 'keeper-1',
    attempt: 1,
    decision: 'applied',
    reason: 'ok',
    keeper: 'keeper-1',
    ...fields,
  } as HistoryEntry;
}

/** The history of one run: client ops, keeper decisions, executions, fault steps, final snapshot. */
export function makeHistory(jobs: readonly JobPlan[], faults: readonly FaultPlan[] = []): History {
  const entries: HistoryEntry[] = [];
  let seq = 0;
  jobs.forEach((job, opId) => {
    const spec = { description: job.description, payload: { durationMs: 20, exitCode: job.state === 'failed' ? 1 : 0, output: ['ok'] }, timeoutMs: 20_000 };
    entries.push({ kind: 'client', t: job.submitAt - 4, type: 'invoke', process: 'client-0', opId, f: 'submit', value: { idempotencyKey: `idem-${opId}`, description: job.description, jobs: [spec] } });
    entries.push({ kind: 'client', t: job.submitAt, type: 'ok', process: 'client-0', opId, f: 'submit', value: { taskId: job.taskId, jobIds: [job.jobId] } });
    entries.push(transition(job.submitAt - 2, job, seq++, { type: 'queued', source: 'orchestrator', sourceId: 'orchestrator', from: 'none', to: 'queued' }));
    entries.push({ kind: 'execution', t: job.runningAt, jobId: job.jobId, attempt: 1, executorId: 'executor-worker-1' });
    entries.push(transition(job.runningAt, job, seq++, { type: 'running', source: 'worker', sourceId: 'worker-1', from: 'queued', to: 'running' }));
    entries.push(transition(job.doneAt, job, seq++, { type: job.state, source: 'executor', sourceId: 'executor-worker-1', from: 'running', to: job.state, exitCode: job.state === 'failed' ? 1 : 0, output: 'ok' }));
    if (job.duplicateAt !== undefined) {
      entries.push({ kind: 'execution', t: job.duplicateAt, jobId: job.jobId, attempt: 2, executorId: 'executor-worker-2' });
    }
    if (job.staleAt !== undefined) {
      entries.push(transition(job.staleAt, job, seq++, { type: job.state, source: 'executor', sourceId: 'executor-worker-2', attempt: 2, from: job.state, to: job.state, decision: 'ignored', reason: 'stale-terminal' }));
    }
    if (job.overwriteAt !== undefined) {
      entries.push(transition(job.overwriteAt, job, seq++, { type: 'running', source: 'worker', sourceId: 'worker-2', attempt: 2, from: job.state, to: 'running' }));
    }
    entries.push({ kind: 'client', t: job.doneAt + 15, type: 'invoke', process: 'client-1', opId: 1000 + opId, f: 'read', value: { taskId: job.taskId } });
    entries.push({
      kind: 'client', t: job.doneAt + 18, type: 'ok', process: 'client-1', opId: 1000 + opId, f: 'read',
      value: { taskId: job.taskId, status: job.state, jobs: [{ jobId: job.jobId, state: job.state, attempt: 1 }] },
    });
  });
  for (const f of faults) {
    const base = { kind: 'nemesis' as const, stepId: f.stepId, fault: f.fault.kind, target: targetOf(f.fault) };
    entries.push({ ...base, t: f.start, type: 'start', detail: { ...f.fault } });
    if (f.end !== undefined) entries.push({ ...base, t: f.end, type: 'end' });
  }
  const end = Math.max(...entries.map((e) => e.t)) + 200;
  const finalState = (job: JobPlan): JobState => (job.overwriteAt !== undefined ? 'running' : job.state);
  entries.push({
    kind: 'snapshot',
    t: end,
    tasks: jobs.map((job) => ({ taskId: job.taskId, status: finalState(job), jobs: [{ jobId: job.jobId, state: finalState(job), attempt: 1 }] })),
    runningSet: jobs.filter((j) => finalState(j) === 'running').map((j) => j.jobId),
    runningInfo: [],
  });
  // stable sort: entries at one instant keep the order they were pushed in
  return entries.map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.i - b.i).map(({ e }) => e);
}

/** Run statistics counted from a hand-made history (an independent, simpler count than the checkers'). */
export function statsOf(history: History): RunStats {
  const transitions = history.flatMap((e) => (e.kind === 'transition' ? [e] : []));
  const applied = transitions.filter((e) => e.decision === 'applied');
  const attempts = new Map<string, Set<number>>();
  for (const e of history) if (e.kind === 'execution') attempts.set(e.jobId, (attempts.get(e.jobId) ?? new Set()).add(e.attempt));
  const snapshot = history.find((e) => e.kind === 'snapshot');
  const finals = snapshot?.kind === 'snapshot' ? snapshot.tasks.flatMap((t) => t.jobs.map((j) => j.state)) : [];
  const latencies: LatencySample[] = [];
  for (const ok of history) {
    if (ok.kind !== 'client' || ok.f !== 'submit' || ok.type !== 'ok') continue;
    const { taskId, jobIds } = ok.value as { taskId: string; jobIds: string[] };
    for (const jobId of jobIds) {
      const end = applied.find((e) => e.jobId === jobId && ['completed', 'failed', 'cancelled'].includes(e.to));
      if (end) latencies.push({ jobId, taskId, submittedAt: ok.t, terminalAt: end.t, ms: end.t - ok.t, state: end.to as JobState });
    }
  }
  return {
    transitionsApplied: applied.length,
    transitionsIgnored: transitions.length - applied.length,
    staleIgnored: transitions.filter((e) => e.reason === 'stale-terminal').length,
    duplicateExecutions: [...attempts.values()].filter((s) => s.size > 1).length,
    jobsSplitAcrossKeepers: 0,
    jobTakeovers: 0,
    keeperTakeovers: 0,
    jobsAfterHeal: 0,
    outcomesBeforeAck: 0,
    reclaimedJobs: new Set(transitions.filter((e) => e.attempt > 1).map((e) => e.jobId)).size,
    faults: history.filter((e) => e.kind === 'nemesis' && e.type === 'start').length,
    faultsFailed: 0,
    outcomesJudged: 0,
    failuresJudged: 0,
    timeoutsJudged: 0,
    stalledOut: 0,
    longestRunMs: 0,
    faultsEmpty: 0,
    faultsWhileInFlight: 0,
    jobsCompleted: finals.filter((s) => s === 'completed').length,
    jobsFailed: finals.filter((s) => s === 'failed').length,
    jobsCancelled: finals.filter((s) => s === 'cancelled').length,
    submitsOk: history.filter((e) => e.kind === 'client' && e.f === 'submit' && e.type === 'ok').length,
    submitsIndeterminate: 0,
    reexecutionsJudged: 0,
    sameKeyOverlaps: 0,
    keylessSubmitsCut: 0,
    cancelsDuringFaults: 0,
    readsDuringFaults: 0,
    cancelsAcrossOutage: 0,
    faultsHit: [],
    latencies,
  };
}

function workloadOf(jobs: readonly JobPlan[]): Workload {
  return {
    tasks: jobs.map((j) => ({
      atMs: j.submitAt,
      description: j.description,
      jobs: [{ description: j.description, payload: { durationMs: 20, exitCode: 0, output: ['ok'] }, timeoutMs: 20_000 }],
    })),
  };
}

function scheduleOf(faults: readonly FaultPlan[]): Schedule {
  return faults.map((f) => ({ atMs: f.start, durationMs: (f.end ?? f.start + 1000) - f.start, fault: f.fault }));
}

const VALID: Verdict[] = ['terminal-stable', 'legal-transitions', 'total-queue'].map((checker) => ({ checker, valid: true, evidence: [] }));

export interface RunPlan {
  index: number;
  jobs: JobPlan[];
  faults?: FaultPlan[];
  verdicts?: Verdict[];
  keepHistory?: boolean;
  shrinking?: boolean;
  /** how long the settle after the final heal took (default: a deterministic 400–1100 ms) */
  settleTookMs?: number;
  /** the settle stopped at its cap while the system still made progress */
  settleCapped?: boolean;
}

/** What a run's verdicts add up to: fail on any false, else unknown on any unknown, else pass. */
export function outcomeOf(verdicts: readonly Verdict[]): 'pass' | 'fail' | 'unknown' {
  if (verdicts.some((v) => v.valid === false)) return 'fail';
  return verdicts.some((v) => v.valid === 'unknown') ? 'unknown' : 'pass';
}

export function makeRun(plan: RunPlan): RunRecord {
  const faults = plan.faults ?? [];
  const history = makeHistory(plan.jobs, faults);
  const verdicts = plan.verdicts ?? VALID;
  const outcome = outcomeOf(verdicts);
  const valid = outcome !== 'fail';
  return {
    index: plan.index,
    valid,
    outcome,
    durationMs: Math.max(...history.map((e) => e.t)),
    endedAtMs: (plan.index + 1) * 4000,
    settleTookMs: plan.settleTookMs ?? 400 + ((plan.index * 300) % 700),
    settleCapped: plan.settleCapped ?? false,
    stats: statsOf(history),
    verdicts,
    schedule: scheduleOf(faults),
    workload: workloadOf(plan.jobs),
    ...(plan.keepHistory === true || outcome !== 'pass' ? { history } : {}),
    shrinking: plan.shrinking ?? false,
  };
}

export const STANDARD_FAULTS: FaultPlan[] = [
  { stepId: 0, fault: { kind: 'latency', link: 'keeper-1', stream: 'downstream', latencyMs: 300, jitterMs: 50 }, start: 600, end: 1300 },
  { stepId: 1, fault: { kind: 'kill', process: 'worker-2' }, start: 1100, end: 1500 },
  { stepId: 2, fault: { kind: 'down', link: 'worker-1' }, start: 2100, end: 2500 },
];

/** A scenario whose every run passed and met its goals; run 0 keeps its history. */
export function passingScenario(name: string, opts: { runs?: number; seed?: number; goals?: string[]; slow?: number } = {}): ScenarioResult {
  const runs = opts.runs ?? 5;
  const records = Array.from({ length: runs }, (_, index) => {
    const jobs = planJobs(24, { seed: (opts.seed ?? 1) + index, faults: STANDARD_FAULTS });
    if (opts.slow) for (const j of jobs) j.doneAt += opts.slow;
    jobs[3].staleAt = jobs[3].doneAt + 40;
    jobs[5].duplicateAt = jobs[5].doneAt + 10;
    return makeRun({ index, jobs, faults: STANDARD_FAULTS, keepHistory: index === 0 });
  });
  return {
    scenario: name,
    verdict: 'pass',
    runs,
    failedRuns: 0,
    unknownRuns: 0,
    goals: (opts.goals ?? ['stale event rejected', 'fault while in flight']).map((g) => ({ name: g, metInRuns: runs })),
    seed: opts.seed ?? 1,
    durationMs: records.reduce((n, r) => n + r.durationMs, 0),
    records,
  };
}

/** A scenario that failed: two exploring runs pass, run 2 fails, runs 3–4 shrink it; the shrunk run has a hostile description. */
export function failingScenario(name: string, opts: { seed?: number } = {}): ScenarioResult {
  const seed = opts.seed ?? 42;
  const passing = [0, 1].map((index) => {
    const jobs = planJobs(20, { seed: seed + index, faults: STANDARD_FAULTS });
    jobs[2].staleAt = jobs[2].doneAt + 30;
    return makeRun({ index, jobs, faults: STANDARD_FAULTS, keepHistory: index === 0 });
  });
  const failingRun = (index: number, faults: FaultPlan[], shrinking: boolean): RunRecord => {
    const jobs = planJobs(12, { seed: seed + index, faults, descriptions: ['evaluate submission', HOSTILE, 'naïve “quotes” & <b>tags</b>'] });
    jobs[1].overwriteAt = jobs[1].doneAt + 120;
    jobs[4].overwriteAt = jobs[4].doneAt + 90;
    const verdicts: Verdict[] = [
      {
        checker: 'terminal-stable',
        valid: false,
        evidence: [
          { message: `job ${jobs[1].jobId}: running applied after terminal ${jobs[1].state}`, jobId: jobs[1].jobId, at: jobs[1].overwriteAt },
          { message: `job ${jobs[4].jobId}: ${HOSTILE_EVIDENCE}`, jobId: jobs[4].jobId, at: jobs[4].overwriteAt },
        ],
      },
      { checker: 'legal-transitions', valid: true, evidence: [] },
      { checker: 'running-set-consistent', valid: false, evidence: [{ message: `job ${jobs[1].jobId} is running but its task says ${jobs[1].state}`, jobId: jobs[1].jobId }] },
    ];
    return makeRun({ index, jobs, faults, verdicts, shrinking });
  };
  const shrunkFaults = [STANDARD_FAULTS[0]];
  const records = [...passing, failingRun(2, STANDARD_FAULTS, false), failingRun(3, STANDARD_FAULTS.slice(0, 2), true), failingRun(4, shrunkFaults, true)];
  return {
    scenario: name,
    verdict: 'fail',
    runs: records.length,
    failedRuns: 3,
    unknownRuns: 0,
    goals: [{ name: 'stale event rejected', metInRuns: 2 }, { name: 'fault while in flight', metInRuns: 3 }],
    seed,
    durationMs: records.reduce((n, r) => n + r.durationMs, 0),
    failure: { path: '2:0:0', numShrinks: 2, run: records[4] },
    records,
  };
}

/** A scenario whose runs passed without ever meeting one of its goals. */
export function vacuousScenario(name: string): ScenarioResult {
  const s = passingScenario(name, { runs: 3, seed: 9 });
  return { ...s, verdict: 'vacuous', goals: [{ name: 'job reclaimed after crash', metInRuns: 0 }, { name: 'fault while in flight', metInRuns: 3 }] };
}

export const UNKNOWN_EVIDENCE = 'no snapshot entry: lost, recovered and unexpected jobs cannot be told';

/**
 * A scenario no checker found a violation in, but whose runs 1 and 3 could not be decided:
 * totalQueue returned unknown (no snapshot), once next to an undecided runningSetConsistent.
 * Run 3's settle hit its cap.
 */
export function unknownScenario(name: string, opts: { seed?: number } = {}): ScenarioResult {
  const seed = opts.seed ?? 13;
  const undecided = (checkers: string[]): Verdict[] => [
    ...VALID.filter((v) => !checkers.includes(v.checker)),
    ...checkers.map((checker) => ({ checker, valid: 'unknown' as const, evidence: [{ message: checker === 'total-queue' ? UNKNOWN_EVIDENCE : 'no snapshot entry: the run never settled' }] })),
  ];
  const records = [0, 1, 2, 3].map((index) => {
    const jobs = planJobs(16, { seed: seed + index, faults: STANDARD_FAULTS });
    jobs[2].staleAt = jobs[2].doneAt + 30;
    const verdicts = index === 1 ? undecided(['total-queue']) : index === 3 ? undecided(['total-queue', 'running-set-consistent']) : undefined;
    return makeRun({
      index, jobs, faults: STANDARD_FAULTS, verdicts, keepHistory: index === 0,
      settleTookMs: [350, 900, 500, 30_000][index], settleCapped: index === 3,
    });
  });
  return {
    scenario: name,
    verdict: 'unknown',
    runs: records.length,
    failedRuns: 0,
    unknownRuns: 2,
    goals: [{ name: 'stale event rejected', metInRuns: 4 }],
    seed,
    durationMs: records.reduce((n, r) => n + r.durationMs, 0),
    records,
  };
}

/** A scenario an environment error cut short after two runs. */
export function incompleteScenario(name: string): ScenarioResult {
  const s = passingScenario(name, { runs: 2, seed: 11 });
  return { ...s, verdict: 'incomplete', goals: s.goals.map((g) => ({ ...g, metInRuns: 0 })), error: 'redis-server exited with code 1' };
}

export function makeSuite(scenarios: ScenarioResult[], opts: { seed?: number; bugs?: string[]; complete?: boolean } = {}): SuiteResult {
  return {
    seed: opts.seed ?? 1234,
    bugs: opts.bugs ?? [],
    scenarios,
    durationMs: scenarios.reduce((n, s) => n + s.durationMs, 0) + 1500,
    complete: opts.complete ?? scenarios.every((s) => s.verdict !== 'incomplete'),
  };
}
