import { describe, expect, it } from 'vitest';
import { terminalStable } from '../../harness/checkers/terminalStable.ts';
import { LIVE_CLOCK_MARGIN_MS as CLOCK_MARGIN_MS } from '../../harness/checkers/roles.ts';
import { HistoryBuilder, healthyRun, job, payload, shapeEntry, task } from './build.ts';

function completedJob(h: HistoryBuilder) {
  h.submit({ t: 100, key: 'k-1', payloads: [payload(['hello'])], taskId: 'T-1', jobIds: ['J-1'] });
  const running = h.transition('J-1', 'queued', 'running', { t: 110, source: 'worker' });
  const completed = h.transition('J-1', 'running', 'completed', { t: 130, output: 'hello\n' });
  return { running, completed };
}

describe('terminalStable', () => {
  it('accepts a run in which every job stays in its terminal state', () => {
    const v = terminalStable(healthyRun().build());
    expect(v.valid).toBe(true);
    expect(v.evidence).toEqual([]);
  });

  it("rejects the seed's late running event overwriting completed, naming both transitions", () => {
    const h = new HistoryBuilder();
    const { completed } = completedJob(h);
    const late = h.transition('J-1', 'completed', 'running', { t: 140, source: 'worker', sourceId: 'worker-1', attempt: 1 });
    h.snapshot(200, [task('T-1', 'k-1', 'running', [job('J-1', 'running')])], ['J-1']);
    const v = terminalStable(h.build());
    expect(v.valid).toBe(false);
    const overwrite = v.evidence.find((e) => e.entries?.includes(late));
    expect(overwrite?.jobId).toBe('J-1');
    expect(overwrite?.entries).toEqual([completed, late]);
    expect(overwrite?.at).toBe(140);
    expect(overwrite?.message).toMatch(/job J-1: applied completed→running at t=140ms .* after terminal completed at t=130ms/);
    // the snapshot no longer shows the terminal state the log applied
    expect(v.evidence.some((e) => e.jobId === 'J-1' && /snapshot at t=200ms has running/.test(e.message))).toBe(true);
  });

  it('accepts a stale event the keeper ignored', () => {
    const h = new HistoryBuilder();
    completedJob(h);
    h.transition('J-1', 'completed', 'completed', { t: 140, source: 'worker', decision: 'ignored', reason: 'stale-terminal' });
    h.snapshot(200, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed', { output: 'hello\n' })])]);
    expect(terminalStable(h.build()).valid).toBe(true);
  });

  it('orders the log by stream id numerically: "9-0" comes before "10-0" (valid when numeric)', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 1, key: 'k-1', payloads: [payload(['x'])], taskId: 'T-1', jobIds: ['J-1'] });
    // recorded out of order; as strings "10-0" < "9-0" would put completed first
    h.transition('J-1', 'running', 'completed', { t: 10, logId: '10-0' });
    h.transition('J-1', 'queued', 'running', { t: 9, logId: '9-0' });
    expect(terminalStable(h.build()).valid).toBe(true);
  });

  it('orders the log by stream id numerically: an overwrite at "10-0" after terminal at "9-0" is caught', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 1, key: 'k-1', payloads: [payload(['x'])], taskId: 'T-1', jobIds: ['J-1'] });
    const late = h.transition('J-1', 'cancelled', 'running', { t: 10, logId: '10-0' });
    const cancel = h.transition('J-1', 'queued', 'cancelled', { t: 9, logId: '9-0', source: 'orchestrator' });
    const v = terminalStable(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0].jobId).toBe('J-1');
    expect(v.evidence[0].entries).toEqual([cancel, late]);
  });

  it('orders by the sequence part within one millisecond ("5-9" before "5-10")', () => {
    const h = new HistoryBuilder();
    const late = h.transition('J-1', 'completed', 'running', { t: 5, logId: '5-10' });
    const done = h.transition('J-1', 'running', 'completed', { t: 5, logId: '5-9' });
    const v = terminalStable(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0].entries).toEqual([done, late]);
  });

  it('rejects a read invoked after another read returned completed that shows running', () => {
    const h = new HistoryBuilder();
    const done = h.read(task('T-1', 'k-1', 'completed', [job('J-1', 'completed')]), 160, 162);
    const stale = h.read(task('T-1', 'k-1', 'running', [job('J-1', 'running')]), 170, 172);
    const v = terminalStable(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence).toHaveLength(1);
    expect(v.evidence[0].jobId).toBe('J-1');
    expect(v.evidence[0].taskId).toBe('T-1');
    expect(v.evidence[0].entries).toEqual([done.invoke, done.ok, stale.invoke, stale.ok]);
    expect(v.evidence[0].message).toMatch(/showed running after read .* showed terminal completed/);
  });

  it('accepts a read concurrent with the terminal read that still shows running', () => {
    const h = new HistoryBuilder();
    h.read(task('T-1', 'k-1', 'completed', [job('J-1', 'completed')]), 160, 165);
    // invoked at 164, before the terminal read returned at 165: may linearize before it
    h.read(task('T-1', 'k-1', 'running', [job('J-1', 'running')]), 164, 170);
    expect(terminalStable(h.build()).valid).toBe(true);
  });

  it('rejects reads of two different terminal states', () => {
    const h = new HistoryBuilder();
    h.read(task('T-1', 'k-1', 'failed', [job('J-1', 'failed')]), 160, 162);
    const second = h.read(task('T-1', 'k-1', 'cancelled', [job('J-1', 'cancelled')]), 170, 172);
    const v = terminalStable(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0].entries).toContain(second.ok);
  });

  it('rejects a snapshot that disagrees with a terminal state a client read', () => {
    const h = new HistoryBuilder();
    const done = h.read(task('T-1', 'k-1', 'completed', [job('J-1', 'completed')]), 160, 162);
    h.transition('J-1', 'queued', 'running', { t: 110, source: 'worker' });
    const snap = h.snapshot(300, [task('T-1', 'k-1', 'running', [job('J-1', 'running')])], ['J-1']);
    const v = terminalStable(h.build());
    expect(v.valid).toBe(false);
    // the log never applied completed (a write it does not record), so only the read tells
    expect(v.evidence).toHaveLength(1);
    expect(v.evidence[0].jobId).toBe('J-1');
    expect(v.evidence[0].at).toBe(300);
    expect(v.evidence[0].entries?.slice(0, 2)).toEqual([done.invoke, done.ok]);
    expect(v.evidence[0].entries?.[2]).toMatchObject({ kind: 'snapshot', t: snap.t, tasks: [{ taskId: 'T-1' }] });
  });

  describe('holds reads and the snapshot against the log, not only against each other', () => {
    it('rejects a read begun after the log applied completed that shows running (no other read showed completed)', () => {
      const h = new HistoryBuilder();
      const { completed } = completedJob(h);
      // the system wrote running outside the apply step: the log does not know
      const late = h.read(task('T-1', 'k-1', 'running', [job('J-1', 'running')]), 130 + CLOCK_MARGIN_MS + 50);
      h.snapshot(900, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed', { output: 'hello\n' })])]);
      const v = terminalStable(h.build());
      expect(v.valid).toBe(false);
      expect(v.stats).toMatchObject({ logOverwrites: 0, readOverwrites: 0, readsBehindLog: 1 });
      expect(v.evidence[0].entries).toEqual([completed, late.invoke, late.ok]);
      expect(v.evidence[0].message).toMatch(/showed running, begun after the log applied terminal running→completed at t=130ms/);
    });

    it('holds a simulated run\'s reads to the log with no clock margin (one virtual clock serves both)', () => {
      const h = new HistoryBuilder();
      h.entries.push(shapeEntry({ simulated: true }));
      completedJob(h);
      h.read(task('T-1', 'k-1', 'running', [job('J-1', 'running')]), 130 + 5);
      h.snapshot(900, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed', { output: 'hello\n' })])]);
      const v = terminalStable(h.build());
      expect(v.valid).toBe(false);
      expect(v.stats).toMatchObject({ readsBehindLog: 1 });
    });

    it('accepts a read begun within the clock margin of the decision that still shows running', () => {
      const h = new HistoryBuilder();
      completedJob(h);
      h.read(task('T-1', 'k-1', 'running', [job('J-1', 'running')]), 130 + CLOCK_MARGIN_MS - 1);
      h.snapshot(900, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed', { output: 'hello\n' })])]);
      expect(terminalStable(h.build()).valid).toBe(true);
    });

    it('rejects a snapshot that disagrees with the log\'s last applied state although the log never finished the job', () => {
      const h = new HistoryBuilder();
      h.submit({ t: 100, key: 'k-1', payloads: [payload(['hello'])], taskId: 'T-1', jobIds: ['J-1'] });
      const running = h.transition('J-1', 'queued', 'running', { t: 110, source: 'worker' });
      h.snapshot(900, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed', { output: 'hello\n' })])]);
      const v = terminalStable(h.build());
      expect(v.valid).toBe(false);
      expect(v.stats).toMatchObject({ logOverwrites: 0, snapshotDisagreements: 1 });
      expect(v.evidence[0].entries?.[0]).toBe(running);
      expect(v.evidence[0].message).toMatch(/snapshot at t=900ms has completed but the log's last applied state is queued→running .*: a write the log does not record/);
    });

    it("cannot decide a snapshot ahead of a log heard over pub/sub while the harness was not listening (logGaps), but still rejects an overwrite of a heard terminal state", () => {
      const ahead = new HistoryBuilder();
      ahead.submit({ t: 100, key: 'k-1', payloads: [payload(['hello'])], taskId: 'T-1', jobIds: ['J-1'] });
      ahead.transition('J-1', 'queued', 'running', { t: 110, source: 'worker' });
      const snap = ahead.snapshot(900, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed', { output: 'hello\n' })])]);
      snap.logGaps = [{ from: 300, to: 420 }];
      const v = terminalStable(ahead.build());
      expect(v.valid).toBe('unknown');
      expect(v.stats).toMatchObject({ snapshotDisagreements: 0, undecided: 1 });

      // nothing heard of the job at all (its one event fell into the gap): the same
      const unheard = new HistoryBuilder();
      unheard.submit({ t: 100, key: 'k-1', payloads: [payload(['hello'])], taskId: 'T-1', jobIds: ['J-1'] });
      unheard.snapshot(900, [task('T-1', 'k-1', 'failed', [job('J-1', 'failed', { reason: 'timeout', exitCode: null })])]).logGaps = [{ from: 300, to: 420 }];
      expect(terminalStable(unheard.build()).valid).toBe('unknown');
      unheard.entries.find((e) => e.kind === 'snapshot')!.logGaps = undefined;
      expect(terminalStable(unheard.build()).valid).toBe(false);
      expect(v.evidence.map((e) => e.message).join('\n')).toMatch(/not listening to the system's events from t=300 to 420ms/);

      const overwritten = new HistoryBuilder();
      overwritten.submit({ t: 100, key: 'k-1', payloads: [payload(['hello'])], taskId: 'T-1', jobIds: ['J-1'] });
      overwritten.transition('J-1', 'queued', 'running', { t: 110, source: 'worker' });
      overwritten.transition('J-1', 'running', 'completed', { t: 200, source: 'executor' });
      const snap2 = overwritten.snapshot(900, [task('T-1', 'k-1', 'failed', [job('J-1', 'failed', { reason: 'exit', exitCode: 1 })])]);
      snap2.logGaps = [{ from: 300, to: 420 }];
      expect(terminalStable(overwritten.build()).valid).toBe(false);
    });

    it('catches a terminal state overwritten outside the log (the heartbeat-status bug) from reads and the snapshot alone', () => {
      const h = new HistoryBuilder();
      completedJob(h);
      // the paused worker's stale event is logged as ignored; its heartbeat wrote running unlogged
      h.transition('J-1', 'completed', 'completed', { t: 4000, source: 'executor', attempt: 1, decision: 'ignored', reason: 'stale-terminal' });
      h.read(task('T-1', 'k-1', 'completed', [job('J-1', 'completed')]), 300);
      h.read(task('T-1', 'k-1', 'running', [job('J-1', 'running')]), 4100);
      h.snapshot(9000, [task('T-1', 'k-1', 'running', [job('J-1', 'running')])], ['J-1']);
      const v = terminalStable(h.build());
      expect(v.valid).toBe(false);
      expect(v.stats).toMatchObject({ logOverwrites: 0 });
      expect(v.stats!.readsBehindLog).toBeGreaterThan(0);
      expect(v.stats!.snapshotDisagreements).toBeGreaterThan(0);
    });

    it('says unknown, not violated, when a job the log finished is missing from a snapshot that could not read everything', () => {
      const h = new HistoryBuilder();
      completedJob(h);
      const snap = h.snapshot(900, []);
      snap.unreadable = [{ key: 'sut:task:T-1', taskId: 'T-1', error: 'WRONGTYPE' }];
      const v = terminalStable(h.build());
      expect(v.valid).toBe('unknown');
      expect(v.stats).toMatchObject({ undecided: 1 });
      expect(v.evidence[0].message).toMatch(/could not read sut:task:T-1: WRONGTYPE/);
      // with everything read, the same absence is a violation
      delete snap.unreadable;
      expect(terminalStable(h.build()).valid).toBe(false);
    });
  });

  describe('names its evidence as the history\'s shape entry does, not by key literals', () => {
    it('is undecided when the transition log the shape names could not be read', () => {
      const h = new HistoryBuilder();
      h.entries.push(shapeEntry({ evidence: { transitionLog: 'app:events' } }));
      h.submit({ t: 100, key: 'k-1', payloads: [payload(['hello'])], taskId: 'T-1', jobIds: ['J-1'] });
      const snap = h.snapshot(900, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed', { output: 'hello\n' })])]);
      snap.unreadable = [{ key: 'app:events', error: 'LOADING' }];
      expect(terminalStable(h.build()).valid).toBe('unknown');
    });

    it('does not call a run undecided for a key the system does not have', () => {
      const h = new HistoryBuilder();
      h.entries.push(shapeEntry({ evidence: { transitionLog: 'app:events' } }));
      completedJob(h);
      const snap = h.snapshot(900, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed', { output: 'hello\n' })])]);
      snap.unreadable = [{ key: 'sut:translog', error: 'LOADING' }];
      expect(terminalStable(h.build()).valid).toBe(true);
    });
  });
});

describe('terminalStable: a finished job keeps its result in client reads', () => {
  const done = (extra: Parameters<typeof job>[2]) => task('T-1', 'k-1', 'completed', [job('J-1', 'completed', { exitCode: 0, output: 'hello\n', reason: null, ...extra })]);

  it('rejects a later read of the same terminal state with another result (a late outcome rewrote its duration), naming both reads', () => {
    const h = new HistoryBuilder();
    completedJob(h);
    h.read(done({ durationMs: 20 }), 150);
    h.read(done({ durationMs: 20 }), 400);
    h.read(done({ durationMs: 312 }), 650);
    h.snapshot(900, [done({})]);
    const v = terminalStable(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ resultOverwrites: 1, readOverwrites: 0 });
    expect(v.evidence[0]!.message).toMatch(/job J-1 \(task T-1\): read .* showed completed with its durationMs from 20 to 312, after read .* showed it completed: a finished job's result was rewritten/);
  });

  it('rejects a rewritten output; compares only the fields both reads carry', () => {
    const h = new HistoryBuilder();
    completedJob(h);
    h.read(done({ durationMs: 20 }), 150);
    h.read(done({ output: 'partial' }), 400);
    expect(terminalStable(h.build()).stats).toMatchObject({ resultOverwrites: 1 });
    // a system whose reads show no duration (a queue library's), or only in some reads: nothing to compare
    const g = new HistoryBuilder();
    completedJob(g);
    g.read(task('T-1', 'k-1', 'completed', [job('J-1', 'completed', { output: 'hello\n' })]), 150);
    g.read(done({ durationMs: 20 }), 400);
    g.read(done({ durationMs: 20 }), 650);
    g.snapshot(900, [done({})]);
    expect(terminalStable(g.build())).toMatchObject({ valid: true, stats: { resultOverwrites: 0 } });
  });

  it('holds the snapshot to the result the first read of its terminal state showed, reporting a rewrite a read already showed once', () => {
    // rewritten after the client's last read: only the snapshot shows it
    const h = new HistoryBuilder();
    completedJob(h);
    h.read(done({ durationMs: 20 }), 150);
    h.snapshot(900, [done({ durationMs: 312 })]);
    const v = terminalStable(h.build());
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ resultOverwrites: 1, snapshotDisagreements: 0 });
    expect(v.evidence[0]!.message).toMatch(/job J-1 \(task T-1\): snapshot at t=900ms shows completed with its durationMs from 20 to 312, after read .* showed it completed: a finished job's result was rewritten/);
    // a read showed the rewrite first: one finding, the read's
    const r = new HistoryBuilder();
    completedJob(r);
    r.read(done({ durationMs: 20 }), 150);
    r.read(done({ durationMs: 312 }), 400);
    r.snapshot(900, [done({ durationMs: 312 })]);
    const w = terminalStable(r.build());
    expect(w.stats).toMatchObject({ resultOverwrites: 1 });
    expect(w.evidence).toHaveLength(1);
    expect(w.evidence[0]!.message).toMatch(/read .* showed completed with its durationMs from 20 to 312/);
    // the same result: nothing; a snapshot with no duration (a system that keeps none): nothing to compare
    const same = new HistoryBuilder();
    completedJob(same);
    same.read(done({ durationMs: 20 }), 150);
    same.snapshot(900, [done({ durationMs: 20 })]);
    expect(terminalStable(same.build())).toMatchObject({ valid: true, stats: { resultOverwrites: 0 } });
  });

  it('accepts reads of the same result, and excuses a change across an erasure of Redis', () => {
    const h = new HistoryBuilder();
    completedJob(h);
    h.read(done({ durationMs: 20 }), 150);
    h.read(done({ durationMs: 20 }), 400);
    h.snapshot(900, [done({})]);
    expect(terminalStable(h.build())).toMatchObject({ valid: true, stats: { resultOverwrites: 0 } });
    const e = new HistoryBuilder();
    completedJob(e);
    e.read(done({ durationMs: 20 }), 150);
    e.nemesis(200, 'start', 0, 'redis-wipe', 'redis', { family: 'redis', effect: 'erases', outcome: 'ok' });
    e.nemesis(300, 'end', 0, 'redis-wipe', 'redis');
    e.read(done({ durationMs: 25 }), 650);
    expect(terminalStable(e.build())).toMatchObject({ valid: true, stats: { resultOverwrites: 0 } });
  });
});
