import { describe, expect, it } from 'vitest';
import { faultWindows, quantiles, representativeRun, timeSeries, windowLength } from '../../harness/report/series.ts';
import { jobTimeline, jobsNamedIn } from '../../harness/report/timeline.ts';
import { HOSTILE, STANDARD_FAULTS, failingScenario, makeHistory, makeRun, passingScenario, planJobs } from './fixtures.ts';

describe('quantiles', () => {
  it('are nearest-rank: every quantile is an observed value', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantiles(values)).toEqual({ p50: 50, p95: 95, p99: 99, samples: 100 });
    expect(quantiles([7])).toEqual({ p50: 7, p95: 7, p99: 7, samples: 1 });
    expect(quantiles([])).toBeNull();
  });
});

describe('faultWindows', () => {
  it('pairs nemesis start and end entries by stepId', () => {
    const history = makeHistory(planJobs(4), STANDARD_FAULTS);
    expect(faultWindows(history)).toEqual([
      { stepId: 0, fault: 'latency', target: 'link keeper-1', start: 600, end: 1300, healed: true },
      { stepId: 1, fault: 'kill', target: 'worker-2', start: 1100, end: 1500, healed: true },
      { stepId: 2, fault: 'down', target: 'link worker-1', start: 2100, end: 2500, healed: true },
    ]);
  });

  it('runs a step that never healed to the end of the history', () => {
    const history = makeHistory(planJobs(4), [{ stepId: 3, fault: { kind: 'pause', process: 'keeper-1' }, start: 900 }]);
    const last = Math.max(...history.map((e) => e.t));
    expect(faultWindows(history)).toEqual([{ stepId: 3, fault: 'pause', target: 'keeper-1', start: 900, end: last, healed: false }]);
  });

  it('says why a step whose injection hit nothing was no fault', () => {
    const history = [
      { kind: 'nemesis' as const, t: 10, type: 'start' as const, stepId: 0, fault: 'kill-executor', target: 'executor of worker-1', outcome: 'empty' as const, detail: { kind: 'kill-executor', worker: 'worker-1', why: 'worker-1 has no executor' } },
      { kind: 'nemesis' as const, t: 10, type: 'end' as const, stepId: 0, fault: 'kill-executor', target: 'executor of worker-1' },
    ];
    expect(faultWindows(history)[0]!.error).toBe('hit nothing: worker-1 has no executor');
  });
});

describe('timeSeries', () => {
  it('counts completions per window and takes latency quantiles of the jobs finishing in it', () => {
    const jobs = planJobs(10, { spanMs: 2000 });
    const run = makeRun({ index: 0, jobs, keepHistory: true });
    const series = timeSeries({ ...run, history: run.history! });
    expect(series.windowMs).toBe(windowLength(series.spanMs));
    const completed = series.completedPerSec.reduce((n, r) => n + (r * series.windowMs) / 1000, 0);
    expect(completed).toBeCloseTo(jobs.filter((j) => j.state === 'completed').length);
    const samples = series.latency.reduce((n, q) => n + (q?.samples ?? 0), 0);
    expect(samples).toBe(jobs.length);
    const firstDone = Math.min(...jobs.map((j) => j.doneAt));
    expect(series.latency[Math.floor(firstDone / series.windowMs)]).not.toBeNull();
  });

  it('picks a round window giving at most 40 windows', () => {
    expect(windowLength(2500)).toBe(100);
    expect(windowLength(60_000)).toBe(2000);
  });
});

describe('representativeRun', () => {
  it('is the shrunk counterexample of a failing scenario, else the kept passing run', () => {
    const failing = failingScenario('worker-crash');
    expect(representativeRun(failing)).toBe(failing.failure!.run);
    const passing = passingScenario('reorder');
    expect(representativeRun(passing)).toBe(passing.records[0]);
    expect(representativeRun({ ...passing, records: passing.records.slice(1) })).toBeUndefined();
  });
});

describe('job timelines', () => {
  it('name the jobs the failing checkers cite, once each, in order', () => {
    const run = failingScenario('worker-crash').failure!.run;
    expect(jobsNamedIn(run.verdicts)).toEqual(['job-2', 'job-5']);
  });

  it('list every event of the job with source, attempt and applied or ignored with the reason', () => {
    const jobs = planJobs(3);
    jobs[0].staleAt = jobs[0].doneAt + 40;
    const history = makeHistory(jobs, [{ stepId: 0, fault: { kind: 'kill', process: 'worker-1' }, start: jobs[0].runningAt + 1, end: jobs[0].doneAt - 1 }]);
    const t = jobTimeline(history, 'job-1');
    expect(t).toMatchObject({ jobId: 'job-1', taskId: 'task-1', taskDescription: 'evaluate submission', jobDescription: 'evaluate submission', omitted: 0 });
    expect(t.rows.map((r) => [r.source, r.event, r.attempt, r.outcome])).toEqual([
      ['client-0', 'submit invoke', null, ''],
      ['orchestrator/orchestrator', 'queued: none → queued', 1, 'applied by keeper-1'],
      ['client-0', 'submit ok: task task-1', null, 'acknowledged'],
      ['executor-worker-1', 'payload started', 1, ''],
      ['worker/worker-1', 'running: queued → running', 1, 'applied by keeper-1'],
      ['nemesis', 'fault begins: kill on worker-1 (step 0)', null, ''],
      ['nemesis', 'fault heals: kill on worker-1 (step 0)', null, ''],
      ['executor/executor-worker-1', 'completed: running → completed', 1, 'applied by keeper-1'],
      ['client-1', 'read: completed', 1, 'ok'],
      ['executor/executor-worker-2', 'completed: completed → completed', 2, 'ignored by keeper-1 (stale-terminal)'],
      ['snapshot', 'final state: completed', 1, 'not in running set'],
    ]);
    expect(t.rows.filter((r) => r.ignored)).toHaveLength(1);
  });

  it('carry a hostile description as plain data', () => {
    const run = failingScenario('worker-crash').failure!.run;
    expect(jobTimeline(run.history!, 'job-2').taskDescription).toBe(HOSTILE);
  });
});
