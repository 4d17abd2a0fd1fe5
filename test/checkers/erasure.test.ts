// What a step that erases Redis (effect `erases`: redis-wipe) excuses, checker by checker, on
// hand-made histories. What was submitted before the erasure began (acknowledged, or in flight
// across it) may be gone; what was submitted after it began is owed in full. The excuse is read
// from the step's effect: a kind of a config's own that erases excuses the same, a restart
// (`ends`) or an erasure whose injection was empty excuses nothing.
import { describe, expect, it } from 'vitest';
import { Erasures, erasuresOf, redisMayHaveLostUntil } from '../../harness/checkers/erasure.ts';
import { observe } from '../../harness/checkers/observations.ts';
import { legalTransitions } from '../../harness/checkers/legalTransitions.ts';
import { reexecution } from '../../harness/checkers/reexecution.ts';
import { runningSetConsistent } from '../../harness/checkers/runningSetConsistent.ts';
import { snapshotStable } from '../../harness/checkers/snapshotStable.ts';
import { terminalStable } from '../../harness/checkers/terminalStable.ts';
import { totalQueue } from '../../harness/checkers/totalQueue.ts';
import type { ClientEntry, NemesisEntry } from '../../harness/history/types.ts';
import { HistoryBuilder, job, payload, shapeEntry, task } from './build.ts';

const done = (id: string) => job(id, 'completed', { exitCode: 0, output: 'x\n', reason: null });

/** the erasure: Redis killed at 1000, back empty at 2000 */
function wipe(h: HistoryBuilder, o: { fault?: string; effect?: NemesisEntry['effect']; outcome?: NemesisEntry['outcome'] } = {}): void {
  const fault = o.fault ?? 'redis-wipe';
  h.nemesis(1000, 'start', 0, fault, 'redis', { family: 'redis', effect: o.effect ?? 'erases', outcome: o.outcome ?? 'ok', detail: { kind: fault } });
  h.nemesis(2000, 'end', 0, fault, 'redis');
}

/** a 404 read of a task */
function notFound(h: HistoryBuilder, taskId: string, t: number): void {
  const invoke: ClientEntry = { kind: 'client', t, type: 'invoke', process: 'client-2', opId: 900 + t, f: 'read', value: { taskId } };
  const fail: ClientEntry = { kind: 'client', t: t + 2, type: 'fail', process: 'client-2', opId: 900 + t, f: 'read', value: { status: 404, error: `unknown task ${taskId}` } };
  h.entries.push(invoke, fail);
}

/**
 * Before the erasure: task A (key k-a) acknowledged, its job A-1 finished and read so; task F
 * (key k-f) in flight across it (invoked before, no answer until after). After it began: task B
 * acknowledged after the heal and finished. The final snapshot holds B, and F (made again from a
 * resent command, its job left queued). A is gone, read back 404.
 */
function beforeAndAfter(o: { simulated?: boolean } = {}): HistoryBuilder {
  const h = new HistoryBuilder();
  h.entries.push(shapeEntry({ simulated: o.simulated }));
  h.submit({ t: 100, key: 'k-a', payloads: [payload(['x'])], taskId: 'T-A', jobIds: ['A-1'] });
  h.transition('A-1', 'queued', 'running', { t: 150, source: 'worker' });
  h.transition('A-1', 'running', 'completed', { t: 200, output: 'x\n', exitCode: 0 });
  h.read(task('T-A', 'k-a', 'completed', [done('A-1')]), 250);
  h.submit({ t: 950, key: 'k-f', payloads: [payload(['f'])], outcome: 'info', okT: 1400 });
  wipe(h);
  h.submit({ t: 2500, key: 'k-b', payloads: [payload(['x'])], taskId: 'T-B', jobIds: ['B-1'] });
  h.transition('B-1', 'queued', 'running', { t: 2550, source: 'worker' });
  h.transition('B-1', 'running', 'completed', { t: 2600, output: 'x\n', exitCode: 0 });
  notFound(h, 'T-A', 2700);
  h.read(task('T-B', 'k-b', 'completed', [done('B-1')]), 2800);
  return h;
}

const finalSnapshot = (h: HistoryBuilder, extra: ReturnType<typeof task>[] = []) =>
  h.snapshot(10_000, [task('T-B', 'k-b', 'completed', [done('B-1')]), task('T-F', 'k-f', 'queued', [job('F-1', 'queued')]), ...extra]);

describe('Erasures', () => {
  it('lists only steps that erased (effect, not name) and whose injection did it; a submit invoked before one began (within the clock margin) may be erased', () => {
    const h = beforeAndAfter();
    h.nemesis(3000, 'start', 1, 'redis-restart', 'redis', { family: 'redis', effect: 'ends', outcome: 'ok' });
    h.nemesis(3100, 'end', 1, 'redis-restart', 'redis');
    h.nemesis(4000, 'start', 2, 'redis-wipe', 'redis', { family: 'redis', effect: 'erases', outcome: 'empty' });
    h.nemesis(4100, 'end', 2, 'redis-wipe', 'redis');
    h.nemesis(5000, 'start', 3, 'acme:flushall', 'redis', { effect: 'erases', outcome: 'ok' });
    const obs = observe(h.build());
    expect(erasuresOf(obs.nemesis)).toEqual([{ stepId: 0, start: 1000, end: 2000 }, { stepId: 3, start: 5000, end: Infinity }]);
    const e = new Erasures(obs);
    const submit = (key: string) => obs.submitsByKey.get(key)![0];
    // A before the first; B after it, but before the config's own erasure (no end: it may have taken B too)
    expect(e.of(submit('k-a')).map((x) => x.stepId)).toEqual([0, 3]);
    expect(e.of(submit('k-b')).map((x) => x.stepId)).toEqual([3]);
    // within the live margin (100 ms) of the start: may have reached Redis before the kill
    const m = new HistoryBuilder();
    m.entries.push(shapeEntry());
    m.submit({ t: 1080, key: 'k-m', payloads: [payload(['x'])], taskId: 'T-M', jobIds: ['M-1'] });
    m.submit({ t: 1150, key: 'k-n', payloads: [payload(['x'])], taskId: 'T-N', jobIds: ['N-1'] });
    wipe(m);
    const mo = observe(m.build());
    const me = new Erasures(mo);
    expect(me.mayErase(mo.submitsByKey.get('k-m')![0])).toBe(true);
    expect(me.mayErase(mo.submitsByKey.get('k-n')![0])).toBe(false);
  });
});

describe('redisMayHaveLostUntil (a liveness judgment\'s wider question)', () => {
  it('is the heal of the last restart or erasure of Redis whose injection did it, a start when it never healed, -Infinity when there was none', () => {
    const h = new HistoryBuilder();
    h.entries.push(shapeEntry());
    expect(redisMayHaveLostUntil(observe(h.build()).nemesis)).toBe(-Infinity);
    wipe(h);
    expect(redisMayHaveLostUntil(observe(h.build()).nemesis)).toBe(2000);
    h.nemesis(3000, 'start', 1, 'redis-restart', 'redis', { family: 'redis', effect: 'ends', outcome: 'ok' });
    h.nemesis(3100, 'end', 1, 'redis-restart', 'redis');
    // an empty injection and a link's cut lose nothing of Redis
    h.nemesis(4000, 'start', 2, 'redis-restart', 'redis', { family: 'redis', effect: 'ends', outcome: 'empty' });
    h.nemesis(4100, 'end', 2, 'redis-restart', 'redis');
    h.nemesis(4200, 'start', 3, 'down', 'worker-1', { family: 'link', effect: 'cuts', outcome: 'ok' });
    h.nemesis(4300, 'end', 3, 'down', 'worker-1');
    expect(redisMayHaveLostUntil(observe(h.build()).nemesis)).toBe(3100);
    h.nemesis(5000, 'start', 4, 'redis-restart', 'redis', { family: 'redis', effect: 'ends', outcome: 'ok' });
    expect(redisMayHaveLostUntil(observe(h.build()).nemesis)).toBe(5000);
  });
});

describe('totalQueue after an erasure', () => {
  it('passes: a job acknowledged before it missing at the end, its task read back 404, a task in flight across it left unfinished', () => {
    const h = beforeAndAfter();
    finalSnapshot(h);
    const v = totalQueue(h.build());
    expect(v.evidence).toEqual([]);
    expect(v).toMatchObject({ valid: true, stats: { lost: 0, readsNotFound: 0, erasedExcused: 2 } });
  });

  it('fails: a job acknowledged after the heal and never run is still lost', () => {
    const h = beforeAndAfter();
    h.submit({ t: 2900, key: 'k-c', payloads: [payload(['x'])], taskId: 'T-C', jobIds: ['C-1'] });
    finalSnapshot(h, [task('T-C', 'k-c', 'queued', [job('C-1', 'queued')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ lost: 1 });
    expect(v.evidence.map((e) => e.jobId)).toEqual(['C-1']);
  });

  it('fails: a job submitted while Redis was down (after the kill, answered after the heal) and never run is lost (the group-created-at-tail mistake)', () => {
    const h = beforeAndAfter();
    h.submit({ t: 1500, key: 'k-d', payloads: [payload(['x'])], taskId: 'T-D', jobIds: ['D-1'], okT: 2100 });
    finalSnapshot(h, [task('T-D', 'k-d', 'queued', [job('D-1', 'queued')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence.map((e) => e.jobId)).toEqual(['D-1']);
  });

  it('fails: a task acknowledged after the heal read back 404, or missing at the end', () => {
    const h = beforeAndAfter();
    notFound(h, 'T-B', 2900);
    h.snapshot(10_000, [task('T-F', 'k-f', 'queued', [job('F-1', 'queued')])]);
    const v = totalQueue(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ lost: 1, readsNotFound: 1 });
  });

  it('passes: a key first sent before the erasure and retried after it makes a second task; fails: a key first sent after it doing so', () => {
    const h = beforeAndAfter();
    h.submit({ t: 2510, key: 'k-a', payloads: [payload(['x'])], taskId: 'T-A2', jobIds: ['A2-1'] });
    finalSnapshot(h, [task('T-A2', 'k-a', 'completed', [done('A2-1')])]);
    expect(totalQueue(h.build()).valid).toBe(true);

    const g = beforeAndAfter();
    g.submit({ t: 2510, key: 'k-b', payloads: [payload(['x'])], taskId: 'T-B2', jobIds: ['B2-1'] });
    finalSnapshot(g, [task('T-B2', 'k-b', 'completed', [done('B2-1')])]);
    const v = totalQueue(g.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ duplicated: 1 });
  });

  it('passes: a job hash of a task acknowledged before it, made again by a late write with no task (an orphan); fails: an orphan of a task acknowledged after', () => {
    const orphan = (jobId: string) => ({ key: `sut:job:${jobId}`, jobId, state: 'running' });
    const h = beforeAndAfter();
    finalSnapshot(h).orphans = [orphan('A-1')];
    expect(totalQueue(h.build()).valid).toBe(true);
    const g = beforeAndAfter();
    g.submit({ t: 2900, key: 'k-c', payloads: [payload(['x'])], taskId: 'T-C', jobIds: ['C-1'] });
    finalSnapshot(g).orphans = [orphan('C-1')];
    const v = totalQueue(g.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ orphans: 1 });
  });

  it('excuses nothing when the step only restarted Redis (ends) or its injection was empty; a kind of its own that erases excuses the same', () => {
    for (const [o, valid] of [[{ effect: 'ends', fault: 'redis-restart' }, false], [{ outcome: 'empty' }, false], [{ fault: 'acme:flushall' }, true]] as const) {
      const h = new HistoryBuilder();
      h.entries.push(shapeEntry());
      h.submit({ t: 100, key: 'k-a', payloads: [payload(['x'])], taskId: 'T-A', jobIds: ['A-1'] });
      wipe(h, o);
      h.snapshot(10_000, []);
      expect(totalQueue(h.build()).valid, JSON.stringify(o)).toBe(valid);
    }
  });

  it('in simulation (no clock margin) a submit invoked just after the start is judged in full', () => {
    const h = beforeAndAfter({ simulated: true });
    h.submit({ t: 1001, key: 'k-e', payloads: [payload(['x'])], taskId: 'T-E', jobIds: ['E-1'], okT: 2050 });
    finalSnapshot(h);
    expect(totalQueue(h.build()).evidence.map((e) => e.jobId)).toEqual(['E-1']);
  });
});

describe('terminalStable after an erasure', () => {
  it('passes: a job read completed before it, and completed in the log then, missing from the final snapshot', () => {
    const h = beforeAndAfter();
    finalSnapshot(h);
    const v = terminalStable(h.build());
    expect(v.evidence).toEqual([]);
    expect(v).toMatchObject({ valid: true, stats: { erasedExcused: 2 } });
  });

  it('fails: a job submitted after it, read completed, then queued in the final snapshot', () => {
    const h = beforeAndAfter();
    h.snapshot(10_000, [task('T-B', 'k-b', 'queued', [job('B-1', 'queued')]), task('T-F', 'k-f', 'queued', [job('F-1', 'queued')])]);
    const v = terminalStable(h.build());
    expect(v.valid).toBe(false);
    expect(new Set(v.evidence.map((e) => e.jobId))).toEqual(new Set(['B-1']));
  });

  it('fails: a job of a submit in flight across it, seen completed after the heal (it was in the Redis that came back), then missing', () => {
    const h = beforeAndAfter();
    h.transition('F-1', 'queued', 'running', { t: 2600, source: 'worker' });
    h.transition('F-1', 'running', 'completed', { t: 2650, output: 'f\n', exitCode: 0 });
    h.read(task('T-F', 'k-f', 'completed', [done('F-1')]), 2700);
    h.snapshot(10_000, [task('T-B', 'k-b', 'completed', [done('B-1')])]);
    const v = terminalStable(h.build());
    expect(v.valid).toBe(false);
    expect(new Set(v.evidence.map((e) => e.jobId))).toEqual(new Set(['F-1']));
  });
});

describe('terminalStable: reads and log decisions across an erasure', () => {
  it('passes: a read begun before it and answered after shows a job read completed before it as queued (made again by a resent submit)', () => {
    const h = beforeAndAfter();
    h.read(task('T-A', 'k-a', 'queued', [job('A-1', 'queued')]), 900, 1500);
    finalSnapshot(h);
    const v = terminalStable(h.build());
    expect(v.evidence).toEqual([]);
    expect(v.valid).toBe(true);
  });

  it('passes: the log applies the job again after it (its terminal state was erased with the log)', () => {
    const h = beforeAndAfter();
    h.transition('A-1', 'queued', 'running', { t: 2300, source: 'worker' });
    h.transition('A-1', 'running', 'completed', { t: 2350, output: 'x\n', exitCode: 0 });
    h.read(task('T-A', 'k-a', 'running', [job('A-1', 'running')]), 2320);
    finalSnapshot(h, [task('T-A', 'k-a', 'completed', [done('A-1')])]);
    const v = terminalStable(h.build());
    expect(v.evidence).toEqual([]);
    expect(v.valid).toBe(true);
  });

  it('fails: the same overwrites with no erasure between them: a read answered before it began, and the log once the account began again', () => {
    const h = beforeAndAfter();
    // answered at 900, before the erasure began at 1000 (and its clock margin)
    h.read(task('T-A', 'k-a', 'queued', [job('A-1', 'queued')]), 350, 900);
    // completed again after the heal, then overwritten: the erasure lies before both
    h.transition('A-1', 'queued', 'running', { t: 2300, source: 'worker' });
    h.transition('A-1', 'running', 'completed', { t: 2350, output: 'x\n', exitCode: 0 });
    h.transition('A-1', 'completed', 'running', { t: 2400, source: 'worker' });
    h.read(task('T-A', 'k-a', 'running', [job('A-1', 'running')]), 2500);
    finalSnapshot(h, [task('T-A', 'k-a', 'running', [job('A-1', 'running')])]);
    const v = terminalStable(h.build());
    expect(v.valid).toBe(false);
    // the read at 350..900 against the read and the log before it; the read at 2500 against the
    // log's completion at 2350 (begun after it and the clock margin; the read of completed at 250 came before the erasure: excused)
    expect(v.stats).toMatchObject({ logOverwrites: 1, readOverwrites: 1, readsBehindLog: 2 });
  });
});

describe('the checkers an erasure excuses nothing in', () => {
  it('snapshotStable: both snapshots are taken after every heal; a job submitted before it that vanishes between them is still a violation', () => {
    const h = beforeAndAfter();
    const first = h.snapshot(9_000, [task('T-A', 'k-a', 'completed', [done('A-1')])]);
    first.first = true;
    h.snapshot(10_000, []);
    expect(snapshotStable(h.build())).toMatchObject({ valid: false, stats: { violations: 1 } });
  });

  it('legalTransitions: an illegal edge applied to a job submitted before it is still a violation (the log read back holds only what followed it)', () => {
    const h = beforeAndAfter();
    h.transition('A-1', 'completed', 'running', { t: 2200, source: 'worker' });
    finalSnapshot(h);
    expect(legalTransitions(h.build()).valid).toBe(false);
  });

  it('runningSetConsistent: the running set is read after the heal; a job of before it left there finished is still a violation', () => {
    const h = beforeAndAfter();
    h.snapshot(10_000, [task('T-A', 'k-a', 'completed', [done('A-1')])], ['A-1'], []);
    expect(runningSetConsistent(h.build()).valid).toBe(false);
  });

  it('reexecution: a start before it missing from the executions log is excused by the Redis fault, one after the heal is not', () => {
    const h = beforeAndAfter();
    h.entries.push({ kind: 'payload', t: 160, jobId: 'A-1', attempt: 1, executorId: 'worker-1-executor' });
    h.execution('B-1', 1, 2555, 'worker-1-executor');
    h.entries.push({ kind: 'payload', t: 2556, jobId: 'B-1', attempt: 1, executorId: 'worker-1-executor' });
    finalSnapshot(h);
    expect(reexecution(h.build()).valid).toBe(true);
    h.entries.push({ kind: 'payload', t: 2700, jobId: 'B-1', attempt: 2, executorId: 'worker-2-executor' });
    expect(reexecution(h.build()).valid).toBe(false);
  });
});
