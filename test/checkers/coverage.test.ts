import { describe, expect, it } from 'vitest';
import { coverageCounts, runStats } from '../../harness/checkers/coverage.ts';
import { partOf } from '../../harness/checkers/faultReach.ts';
import { rolesOf } from '../../harness/checkers/roles.ts';
import type { NemesisEntry } from '../../harness/history/types.ts';
import { HistoryBuilder, healthyRun, payload, shapeEntry } from './build.ts';

describe('runStats', () => {
  it('counts applied transitions, final states and latency of a correct run', () => {
    const s = runStats(healthyRun().build());
    expect(s).toMatchObject({ transitionsApplied: 4, transitionsIgnored: 1, staleIgnored: 0, jobsCompleted: 1, jobsFailed: 1, jobsCancelled: 0, submitsOk: 1 });
    // submit ok at t=105; J-1 completed at 130, J-2 failed at 150
    expect(s.latencies).toEqual([
      { jobId: 'J-1', taskId: 'T-1', submittedAt: 105, terminalAt: 130, ms: 25, state: 'completed' },
      { jobId: 'J-2', taskId: 'T-1', submittedAt: 105, terminalAt: 150, ms: 45, state: 'failed' },
    ]);
  });

  it('counts stale events rejected, reclaimed jobs and duplicate executions', () => {
    const h = new HistoryBuilder();
    h.execution('J-1', 1, 10, 'worker-1');
    h.transition('J-1', 'queued', 'running', { t: 11 });
    h.execution('J-1', 2, 40, 'worker-2'); // reclaimed after worker-1 was killed
    h.transition('J-1', 'running', 'completed', { t: 50, attempt: 2, sourceId: 'worker-2' });
    h.transition('J-1', 'completed', 'completed', { t: 60, decision: 'ignored', reason: 'stale-terminal' });
    h.execution('J-2', 1, 10);
    h.execution('J-2', 1, 12); // the same attempt twice is not a duplicate execution
    const s = runStats(h.build());
    expect(s).toMatchObject({ staleIgnored: 1, reclaimedJobs: 1, duplicateExecutions: 1, jobsCompleted: 1, reexecutionsJudged: 1 });
  });

  it('counts a fault on a worker only while that worker held a job', () => {
    const h = new HistoryBuilder();
    h.nemesis(5, 'start', 1); // before anything ran
    h.transition('J-1', 'queued', 'running', { t: 10, source: 'worker', sourceId: 'worker-1' });
    h.execution('J-1', 1, 12, 'worker-1-executor');
    h.nemesis(20, 'start', 2); // worker-1 holds J-1
    h.nemesis(25, 'end', 2);
    h.transition('J-1', 'running', 'completed', { t: 30, source: 'executor', sourceId: 'worker-1-executor' });
    h.nemesis(30, 'start', 3); // J-1 finished at 30
    h.transition('J-2', 'queued', 'running', { t: 40, source: 'worker', sourceId: 'worker-1' });
    h.nemesis(99, 'start', 4); // J-2 never finished
    const s = runStats(h.build());
    expect(s.faults).toBe(4);
    expect(s.faultsWhileInFlight).toBe(2);
  });

  it('does not count a kill of an idle worker while another worker holds a long job (an anchor)', () => {
    const h = new HistoryBuilder();
    h.transition('A', 'queued', 'running', { t: 10, source: 'worker', sourceId: 'worker-1' });
    h.nemesis(50, 'start', 1, 'kill', 'worker-2', { detail: { kind: 'kill', process: 'worker-2' } });
    h.nemesis(60, 'end', 1, 'kill', 'worker-2');
    h.nemesis(70, 'start', 2, 'kill-executor', 'executor of worker-1', { detail: { kind: 'kill-executor', worker: 'worker-1' } });
    h.nemesis(70, 'end', 2, 'kill-executor', 'executor of worker-1');
    const s = runStats(h.build());
    expect(s.faults).toBe(2);
    expect(s.faultsWhileInFlight).toBe(1); // only the executor kill on worker-1, which held A
  });

  it('counts a failed or empty injection as no fault at all', () => {
    const h = new HistoryBuilder();
    h.transition('A', 'queued', 'running', { t: 10, source: 'worker', sourceId: 'worker-1' });
    h.nemesis(20, 'start', 1, 'kill-executor', 'executor of worker-1', { outcome: 'empty', detail: { kind: 'kill-executor', worker: 'worker-1', why: 'no executor' } });
    h.nemesis(30, 'start', 2, 'pause', 'worker-1', { outcome: 'failed', detail: { kind: 'pause', process: 'worker-1', error: 'ESRCH' } });
    h.nemesis(40, 'end', 2, 'pause', 'worker-1');
    const s = runStats(h.build());
    expect(s).toMatchObject({ faults: 0, faultsFailed: 1, faultsEmpty: 1, faultsWhileInFlight: 0 });
  });

  it('counts a slowed worker link only when the worker held a job during the window', () => {
    const h = new HistoryBuilder();
    h.nemesis(0, 'start', 1, 'latency', 'link worker-1', { detail: { kind: 'latency', link: 'worker-1' } });
    h.nemesis(100, 'end', 1, 'latency', 'link worker-1');
    h.nemesis(0, 'start', 2, 'latency', 'link worker-2', { detail: { kind: 'latency', link: 'worker-2' } });
    h.nemesis(100, 'end', 2, 'latency', 'link worker-2');
    h.transition('J', 'queued', 'running', { t: 90, source: 'worker', sourceId: 'worker-1' });
    h.transition('J', 'running', 'completed', { t: 150, source: 'executor', sourceId: 'worker-1-executor' });
    expect(runStats(h.build()).faultsWhileInFlight).toBe(1);
  });

  it('counts a keeper fault only when events came while it was hit, an orchestrator fault only with a submit or cancel in flight', () => {
    const h = new HistoryBuilder();
    h.nemesis(0, 'start', 1, 'pause', 'keeper-1', { detail: { kind: 'pause', process: 'keeper-1' } });
    h.nemesis(50, 'end', 1, 'pause', 'keeper-1');
    h.nemesis(0, 'start', 2, 'kill', 'orchestrator', { detail: { kind: 'kill', process: 'orchestrator' } });
    h.nemesis(50, 'end', 2, 'kill', 'orchestrator');
    expect(runStats(h.build()).faultsWhileInFlight).toBe(0);
    h.submit({ t: 40, key: 'k', payloads: [payload(['a'])], outcome: 'info', okT: 3040 });
    h.transition('J', 'queued', 'running', { t: 45, source: 'worker', sourceId: 'worker-1' });
    expect(runStats(h.build()).faultsWhileInFlight).toBe(2);
  });

  it('is all zero for an empty history', () => {
    const counts = coverageCounts(runStats([]));
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
    expect('latencies' in counts).toBe(false);
  });

  it('measures latency from the acknowledging submit only', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 0, key: 'k', payloads: [payload(['a'])], outcome: 'info' });
    h.submit({ t: 100, key: 'k', payloads: [payload(['a'])], taskId: 'T', jobIds: ['J'], okT: 110 });
    h.transition('J', 'queued', 'running', { t: 120 });
    h.transition('J', 'running', 'completed', { t: 150 });
    expect(runStats(h.build()).latencies.map((l) => l.ms)).toEqual([40]);
  });

  it('counts keys sent by two submits in flight at once: a retry beside its first attempt, a second client, an attempt never answered', () => {
    const h = new HistoryBuilder();
    const p = [payload(['a'])];
    // a: the second client's attempt begins while the first is in flight
    h.submit({ t: 0, key: 'a', payloads: p, taskId: 'T-a', jobIds: ['J-a'], okT: 50 });
    h.submit({ t: 20, key: 'a', payloads: p, taskId: 'T-a', jobIds: ['J-a'], okT: 30, process: 'client-0' });
    // b: a retry after the first attempt answered is not concurrent
    h.submit({ t: 0, key: 'b', payloads: p, outcome: 'info', okT: 10 });
    h.submit({ t: 20, key: 'b', payloads: p, taskId: 'T-b', jobIds: ['J-b'], okT: 30 });
    expect(runStats(h.build()).sameKeyOverlaps).toBe(1);
    // c: an attempt that never returned is in flight until the end, so a later one overlaps it
    h.submit({ t: 100, key: 'c', payloads: p, outcome: 'none' });
    h.submit({ t: 5000, key: 'c', payloads: p, taskId: 'T-c', jobIds: ['J-c'], okT: 5010 });
    expect(runStats(h.build()).sameKeyOverlaps).toBe(2);
  });

  it('counts cancels and reads begun inside an effective fault window only', () => {
    const h = new HistoryBuilder();
    h.nemesis(100, 'start', 1, 'down', 'link client', { detail: { kind: 'down', link: 'client' } });
    h.nemesis(200, 'end', 1, 'down', 'link client');
    h.nemesis(300, 'start', 2, 'kill', 'orchestrator', { outcome: 'empty' }); // hit nothing: not a fault
    h.nemesis(400, 'end', 2, 'kill', 'orchestrator');
    const cancel = (t: number, opId: number) => h.entries.push({ kind: 'client', t, type: 'invoke', process: 'client-0', opId, f: 'cancel', value: { jobId: 'J' } });
    cancel(50, 901);
    cancel(150, 902);
    cancel(350, 903);
    h.read({ taskId: 'T', jobs: [] }, 120);
    h.read({ taskId: 'T', jobs: [] }, 250);
    // measured CPU starvation is a step the schedule did not choose: what falls in it is not counted
    h.nemesis(500, 'start', 1_000_000, 'cpu-starved', 'worker-1', { detail: { kind: 'cpu-starved', process: 'worker-1', measured: true } });
    h.nemesis(700, 'end', 1_000_000, 'cpu-starved', 'worker-1');
    cancel(600, 904);
    h.read({ taskId: 'T', jobs: [] }, 650);
    const s = runStats(h.build());
    expect(s.cancelsDuringFaults).toBe(1);
    expect(s.readsDuringFaults).toBe(1);
  });

  it('labels each fault that bit with its kind and the kind of part it hit', () => {
    const h = new HistoryBuilder();
    h.transition('J-1', 'queued', 'running', { t: 10, source: 'worker', sourceId: 'worker-2' });
    h.nemesis(20, 'start', 1, 'kill', 'worker-2', { detail: { kind: 'kill', process: 'worker-2' } });
    h.nemesis(30, 'end', 1, 'kill', 'worker-2');
    h.nemesis(20, 'start', 2, 'latency', 'link worker-2', { detail: { kind: 'latency', link: 'worker-2' } });
    h.nemesis(40, 'end', 2, 'latency', 'link worker-2');
    h.nemesis(20, 'start', 3, 'pause', 'worker-1', { detail: { kind: 'pause', process: 'worker-1' } }); // worker-1 held nothing
    h.nemesis(40, 'end', 3, 'pause', 'worker-1');
    expect(runStats(h.build()).faultsHit.sort()).toEqual(['kill → worker', 'latency → worker link']);
    const roles = rolesOf([shapeEntry({ keepers: ['keeper-1', 'keeper-2'] })]);
    const step = (fault: string, target: string, detail: Record<string, unknown>): NemesisEntry => ({ kind: 'nemesis', t: 0, type: 'start', stepId: 0, fault, target, detail });
    expect([
      partOf(step('kill', 'keeper-2', { process: 'keeper-2' }), roles),
      partOf(step('down', 'link keeper-1', { link: 'keeper-1' }), roles),
      partOf(step('kill-executor', 'executor of worker-2', { worker: 'worker-2' }), roles),
      partOf(step('latency', 'link executor', { link: 'executor' }), roles),
      partOf(step('down', 'link client', { link: 'client' }), roles),
      partOf(step('redis-restart', 'redis', {}), roles),
      partOf(step('pause', 'orchestrator', { process: 'orchestrator' }), roles),
    ]).toEqual(['keeper', 'keeper link', 'executor', 'executor link', 'client link', 'redis', 'front-door']);
  });

  it("counts a kill of a library system's front door (not named orchestrator) during an in-flight submit as biting", () => {
    const h = new HistoryBuilder();
    h.entries.push(shapeEntry({ frontDoor: 'producer', keepers: [], inProcess: true }));
    h.submit({ t: 10, key: 'k-1', payloads: [payload(['a'])], outcome: 'info', okT: 200 });
    h.nemesis(50, 'start', 1, 'kill', 'producer', { detail: { kind: 'kill', process: 'producer' } });
    h.nemesis(60, 'end', 1, 'kill', 'producer');
    expect(runStats(h.build()).faultsHit).toEqual(['kill → front-door']);
  });
});
