import { describe, expect, it } from 'vitest';
import { runStats } from '../../harness/checkers/coverage.ts';
import { reexecution } from '../../harness/checkers/reexecution.ts';
import { HistoryBuilder, healthyRun, payload, shapeEntry } from './build.ts';

/** J-1 started by worker-1's executor at 100, started again by worker-2's at 2500 (attempt 2) */
function runTwice(h = new HistoryBuilder()): HistoryBuilder {
  h.execution('J-1', 1, 100, 'worker-1-executor');
  h.execution('J-1', 2, 2500, 'worker-2-executor');
  h.transition('J-1', 'running', 'completed', { t: 3000, source: 'executor', sourceId: 'worker-2-executor', attempt: 2 });
  return h;
}

describe('reexecution', () => {
  it('accepts a run in which every job ran once', () => {
    const v = reexecution(healthyRun().build());
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ reexecutions: 0 });
  });

  it('rejects a job run again with no fault at all, naming both starts', () => {
    const v = reexecution(runTwice().build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0].jobId).toBe('J-1');
    expect(v.evidence[0].message).toMatch(/run again as attempt 2 by worker-2-executor at t=2500ms after attempt 1 by worker-1-executor began at t=100ms, with no fault on worker-1/);
  });

  it.each([
    ['kill', 'worker-1', { kind: 'kill', process: 'worker-1' }],
    ['pause', 'worker-1', { kind: 'pause', process: 'worker-1' }],
    ['kill-executor', 'executor of worker-1', { kind: 'kill-executor', worker: 'worker-1' }],
    ['latency', 'link worker-1', { kind: 'latency', link: 'worker-1' }],
    ['down', 'link executor', { kind: 'down', link: 'executor' }],
    ['redis-restart', 'redis', { kind: 'redis-restart' }],
  ])('accepts it when a %s on %s came between the two starts', (fault, target, detail) => {
    const h = new HistoryBuilder();
    h.nemesis(500, 'start', 0, fault, target, { detail });
    h.nemesis(1500, 'end', 0, fault, target);
    const v = reexecution(runTwice(h).build());
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ reexecutions: 1, explained: 1 });
  });

  it('judges a fault kind of a config\'s own by the family and effect its module declares, not by its name', () => {
    const flap = (extra: Partial<Parameters<HistoryBuilder['nemesis']>[5]>) => {
      const h = new HistoryBuilder();
      h.nemesis(500, 'start', 0, 'acme:link-flap', 'link worker-1', { detail: { kind: 'acme:link-flap', link: 'worker-1' }, ...extra });
      h.nemesis(1500, 'end', 0, 'acme:link-flap', 'link worker-1');
      return reexecution(runTwice(h).build());
    };
    // it cuts the link: a command in flight may be resent, so the job may run again
    expect(flap({ family: 'link', effect: 'cuts' })).toMatchObject({ valid: true, stats: { explained: 1 } });
    // it declares nothing a rerun could come of: not excused
    expect(flap({ family: 'link', effect: 'none' }).valid).toBe(false);
    expect(flap({ family: 'link' }).valid).toBe(false);
    // a built-in kind's name with another effect recorded: the record wins
    const h = new HistoryBuilder();
    h.nemesis(500, 'start', 0, 'down', 'link worker-1', { family: 'link', effect: 'none', detail: { kind: 'down', link: 'worker-1' } });
    h.nemesis(1500, 'end', 0, 'down', 'link worker-1');
    expect(reexecution(runTwice(h).build()).valid).toBe(false);
  });

  it('rejects it when the only faults hit another worker, a keeper, or came after the second start, or hit nothing', () => {
    const h = new HistoryBuilder();
    // worker-3 neither ran nor runs it (a fault on worker-2, which runs it again, could have
    // left it holding the job: see the next test but one)
    h.nemesis(500, 'start', 0, 'kill', 'worker-3', { detail: { kind: 'kill', process: 'worker-3' } });
    h.nemesis(600, 'end', 0, 'kill', 'worker-3');
    h.nemesis(500, 'start', 1, 'pause', 'keeper-1', { detail: { kind: 'pause', process: 'keeper-1' } });
    h.nemesis(900, 'end', 1, 'pause', 'keeper-1');
    h.nemesis(2600, 'start', 2, 'kill', 'worker-1', { detail: { kind: 'kill', process: 'worker-1' } });
    h.nemesis(2700, 'end', 2, 'kill', 'worker-1');
    h.nemesis(700, 'start', 3, 'kill-executor', 'executor of worker-1', { outcome: 'empty', detail: { kind: 'kill-executor', worker: 'worker-1', why: 'no executor' } });
    h.nemesis(700, 'end', 3, 'kill-executor', 'executor of worker-1');
    expect(reexecution(runTwice(h).build()).valid).toBe(false);
  });

  it('holds the log to its millisecond: a fault that began within the ms of the second start (logged floored) explains it, one after does not', () => {
    // found by the simulation's soak: kill-executor began at 724.6 ms, and the worker re-ran the
    // job at once; the executions log says 724 (the stream id's ms)
    const at = (faultT: number) => {
      const h = new HistoryBuilder();
      h.execution('J-1', 1, 0, 'worker-1-executor');
      h.nemesis(faultT, 'start', 0, 'kill-executor', 'executor of worker-1', { detail: { kind: 'kill-executor', worker: 'worker-1' } });
      h.nemesis(faultT + 1000, 'end', 0, 'kill-executor', 'executor of worker-1');
      h.execution('J-1', 2, 724, 'worker-1-executor');
      return reexecution(h.build()).valid;
    };
    expect(at(724.6)).toBe(true);
    expect(at(725)).toBe(false);
  });

  it('accepts a rerun by a worker whose link was cut while the job was delivered to it, before another worker reclaimed and ran it', () => {
    // found by the simulation (explore, seed 1): worker-1's link reset by limit_data until
    // 3566 ms lost the reply that delivered the job; worker-2 reclaimed and ran it at 3573;
    // worker-1, reconnected, ran it at 3749
    const run = (faultFrom: number, faultUntil: number) => {
      const h = new HistoryBuilder();
      h.submit({ t: 1000, key: 'k', payloads: [payload(['x'])], taskId: 'T', jobIds: ['J-1'], okT: 1005 });
      h.nemesis(faultFrom, 'start', 0, 'limit_data', 'link worker-1', { detail: { kind: 'limit_data', link: 'worker-1' } });
      h.nemesis(faultUntil, 'end', 0, 'limit_data', 'link worker-1');
      h.execution('J-1', 1, 3573, 'worker-2-executor');
      h.execution('J-1', 2, 3749, 'worker-1-executor');
      return reexecution(h.build());
    };
    expect(run(1341, 3566).valid).toBe(true);
    // a fault on that worker that was over before the job existed explains nothing
    const early = run(100, 500);
    expect(early.valid).toBe(false);
    expect(early.evidence[0].message).toMatch(/run again as attempt 2 by worker-1-executor/);
  });

  it('accepts attempts that started out of order: a worker paused while holding the job starts it on waking, after another worker ran it', () => {
    // found by the simulation's soak (pause, seed 2026, run 418)
    const run = (pauseUntil: number) => {
      const h = new HistoryBuilder();
      h.submit({ t: 100, key: 'k', payloads: [payload(['x'])], taskId: 'T', jobIds: ['J-1'], okT: 105 });
      h.nemesis(590, 'start', 0, 'pause', 'worker-1', { detail: { kind: 'pause', process: 'worker-1' } });
      h.nemesis(pauseUntil, 'end', 0, 'pause', 'worker-1');
      h.execution('J-1', 2, 3088, 'worker-2-executor');
      h.execution('J-1', 1, 3595, 'worker-1-executor');
      return reexecution(h.build()).valid;
    };
    expect(run(3593)).toBe(true);
    // the same starts with the pause over before the job was submitted: nothing explains them
    const h = new HistoryBuilder();
    h.nemesis(10, 'start', 0, 'pause', 'worker-1', { detail: { kind: 'pause', process: 'worker-1' } });
    h.nemesis(50, 'end', 0, 'pause', 'worker-1');
    h.submit({ t: 100, key: 'k', payloads: [payload(['x'])], taskId: 'T', jobIds: ['J-1'], okT: 105 });
    h.execution('J-1', 2, 3088, 'worker-2-executor');
    h.execution('J-1', 1, 3595, 'worker-1-executor');
    expect(reexecution(h.build()).valid).toBe(false);
  });

  it('counts the same attempt logged twice (a resent XADD) as one start', () => {
    const h = new HistoryBuilder();
    h.execution('J-1', 1, 100, 'worker-1-executor');
    h.execution('J-1', 1, 130, 'worker-1-executor');
    expect(reexecution(h.build()).valid).toBe(true);
  });

  it('measures the longest payload run for the long-jobs goal', () => {
    expect(runStats(runTwice().build()).longestRunMs).toBe(500);
  });

  describe('scales the excuse to the fault, keys starts by executor, and trusts its own record of starts', () => {
    /** a run with a shape (lease 2000 ms): J-1 started by worker-1's executor at 5000, again by worker-2's at 9000 */
    function leased(extra: (h: HistoryBuilder) => void = () => undefined): HistoryBuilder {
      const h = new HistoryBuilder();
      h.entries.push({ ...shapeEntry({ simulated: true }), leaseMs: 2000 });
      h.submit({ t: 100, key: 'k', payloads: [payload(['x'])], taskId: 'T', jobIds: ['J-1'], okT: 105 });
      extra(h);
      return h;
    }
    const latency = (h: HistoryBuilder, link: string, from: number, until: number, latencyMs: number) => {
      h.nemesis(from, 'start', h.entries.length, 'latency', `link ${link}`, { detail: { kind: 'latency', link, latencyMs, jitterMs: 0 } });
      h.nemesis(until, 'end', h.entries.length - 1, 'latency', `link ${link}`);
    };
    const twice = (h: HistoryBuilder) => {
      h.execution('J-1', 1, 5000, 'worker-1-executor');
      h.execution('J-1', 2, 9000, 'worker-2-executor');
    };

    it('rejects a rerun whose only fault is a 10 ms latency on its worker\'s link long before', () => {
      const v = reexecution(leased((h) => { latency(h, 'worker-1', 200, 210, 10); twice(h); }).build());
      expect(v.valid).toBe(false);
    });

    it('rejects a rerun explained only by a latency far shorter than the lease, accepts one comparable to it', () => {
      expect(reexecution(leased((h) => { latency(h, 'worker-1', 5500, 7000, 50); twice(h); }).build()).valid).toBe(false);
      expect(reexecution(leased((h) => { latency(h, 'worker-1', 5500, 7000, 1500); twice(h); }).build()).valid).toBe(true);
      // found by the simulated soak (latency, seed 1428170289, path 5): 998 ms on a 2 s lease, stacked over two round trips
      expect(reexecution(leased((h) => { latency(h, 'worker-1', 5500, 7000, 998); twice(h); }).build()).valid).toBe(true);
      expect(reexecution(leased((h) => { latency(h, 'worker-1', 5500, 7000, 400); twice(h); }).build()).valid).toBe(false);
    });

    it('adds up latencies nested on one link at one moment, not ones on one link at other times or on other links', () => {
      // found by the simulated soak (compound, seed -549017036, path 9:2:2): two 379 + 19 ms latencies on one worker's link let a 2 s lease lapse
      expect(reexecution(leased((h) => { latency(h, 'worker-1', 4000, 7000, 400); latency(h, 'worker-1', 4500, 7000, 400); twice(h); }).build()).valid).toBe(true);
      expect(reexecution(leased((h) => { latency(h, 'worker-1', 4000, 4400, 400); latency(h, 'worker-1', 4500, 7000, 400); twice(h); }).build()).valid).toBe(false);
      expect(reexecution(leased((h) => { latency(h, 'worker-1', 4000, 7000, 400); latency(h, 'keeper-1', 4500, 7000, 400); twice(h); }).build()).valid).toBe(false);
    });

    it('accepts a fault on the shared executors\' link only while the attempts were under way, not seconds before', () => {
      const cut = (h: HistoryBuilder, from: number, until: number) => {
        h.nemesis(from, 'start', h.entries.length, 'down', 'link executor', { detail: { kind: 'down', link: 'executor' } });
        h.nemesis(until, 'end', h.entries.length - 1, 'down', 'link executor');
      };
      expect(reexecution(leased((h) => { cut(h, 300, 400); twice(h); }).build()).valid).toBe(false);
      expect(reexecution(leased((h) => { cut(h, 5200, 5600); twice(h); }).build()).valid).toBe(true);
    });

    it('rejects a rerun of a healthy worker\'s job by a worker restarted after its own crash (the crash began after the first start)', () => {
      const kill = (h: HistoryBuilder, from: number, until: number) => {
        h.nemesis(from, 'start', h.entries.length, 'kill', 'worker-2', { detail: { kind: 'kill', process: 'worker-2' } });
        h.nemesis(until, 'end', h.entries.length - 1, 'kill', 'worker-2');
      };
      expect(reexecution(leased((h) => { kill(h, 6000, 8500); twice(h); }).build()).valid).toBe(false);
      // held by worker-2 before worker-1 ran it: worker-2's fault explains worker-1's takeover and its own late start
      expect(reexecution(leased((h) => { kill(h, 4000, 4500); twice(h); }).build()).valid).toBe(true);
    });

    it("rejects a takeover of a retry whose only fault is its executor's death before the retry: the worker kept the lease", () => {
      const retriedThenTaken = (fault: string, target: string, detail: Record<string, unknown>, end = 6000) => leased((h) => {
        h.execution('J-1', 1, 5000, 'worker-1-executor');
        h.nemesis(5500, 'start', h.entries.length, fault, target, { detail });
        h.nemesis(end, 'end', h.entries.length - 1, fault, target);
        h.execution('J-1', 2, 6200, 'worker-1-executor'); // its worker runs it again on a new executor
        h.execution('J-1', 3, 9000, 'worker-2-executor'); // and another worker takes it over meanwhile
      }).build();
      const v = reexecution(retriedThenTaken('kill-executor', 'executor of worker-1', { kind: 'kill-executor', worker: 'worker-1' }));
      expect(v.valid).toBe(false);
      expect(v.stats).toMatchObject({ reexecutions: 2, explained: 1 });
      expect(v.evidence[0]!.message).toMatch(/run again as attempt 3 by worker-2-executor at t=9000ms after attempt 2 by worker-1-executor began at t=6200ms/);
      // the worker itself killed: its lease may have lapsed while it was down
      expect(reexecution(retriedThenTaken('kill', 'worker-1', { kind: 'kill', process: 'worker-1' })).valid).toBe(true);
      // an executor still paused when the retry began could strike it (as before); one resumed before it, not
      expect(reexecution(retriedThenTaken('pause', 'executor of worker-1', { kind: 'pause', worker: 'worker-1' }, 6500)).valid).toBe(true);
      expect(reexecution(retriedThenTaken('pause', 'executor of worker-1', { kind: 'pause', worker: 'worker-1' })).valid).toBe(false);
    });

    it('counts two executors starting the same attempt as a rerun', () => {
      const v = reexecution(leased((h) => {
        h.execution('J-1', 1, 5000, 'worker-1-executor');
        h.execution('J-1', 1, 5300, 'worker-2-executor');
      }).build());
      expect(v.valid).toBe(false);
      expect(v.stats).toMatchObject({ reexecutions: 1 });
    });

    it('judges the starts the harness saw itself: an executor that logs only a job\'s first attempt hides no rerun', () => {
      const v = reexecution(leased((h) => {
        h.execution('J-1', 1, 5000, 'worker-1-executor');
        h.entries.push({ kind: 'payload', t: 5000, jobId: 'J-1', attempt: 1, executorId: 'worker-1-executor' });
        h.entries.push({ kind: 'payload', t: 9000, jobId: 'J-1', attempt: 2, executorId: 'worker-2-executor' });
      }).build());
      expect(v.valid).toBe(false);
      expect(v.stats).toMatchObject({ reexecutions: 1, unlogged: 1, harnessWitness: 1 });
      expect(v.evidence.map((e) => e.message).join('\n')).toMatch(/the harness saw worker-2-executor start attempt 2 at t=9000ms, but the system's executions log has no such start/);
    });

    it('accepts a start the log lacks when Redis was restarted around it', () => {
      const v = reexecution(leased((h) => {
        h.nemesis(8000, 'start', 90, 'redis-restart', 'redis', { detail: { kind: 'redis-restart' } });
        h.nemesis(8500, 'end', 90, 'redis-restart', 'redis');
        h.execution('J-1', 1, 5000, 'worker-1-executor');
        h.entries.push({ kind: 'payload', t: 5000, jobId: 'J-1', attempt: 1, executorId: 'worker-1-executor' });
        h.entries.push({ kind: 'payload', t: 9000, jobId: 'J-1', attempt: 2, executorId: 'worker-2-executor' });
      }).build());
      expect(v.valid).toBe(true);
      expect(v.stats).toMatchObject({ reexecutions: 1, explained: 1, unlogged: 0 });
    });
  });

  describe('a system that gives every start its own attempt (attemptPerStart)', () => {
    /** J-1 started twice as attempt 1 (the harness saw both), by worker-1's executor at 1000 and worker-2's at 6000; a kill of worker-1 between */
    function sharedAttempt(o: { attemptPerStart: boolean; redisFault?: boolean }) {
      const h = new HistoryBuilder();
      h.entries.push({ ...shapeEntry({ simulated: true }), leaseMs: 2000, ...(o.attemptPerStart ? { attemptPerStart: true } : {}) });
      h.submit({ t: 100, key: 'k', payloads: [payload(['x'])], taskId: 'T', jobIds: ['J-1'], okT: 105 });
      h.nemesis(1500, 'start', 0, 'kill', 'worker-1', { detail: { kind: 'kill', process: 'worker-1' } });
      h.nemesis(1800, 'end', 0, 'kill', 'worker-1');
      if (o.redisFault) {
        h.nemesis(3000, 'start', 1, 'redis-wipe', 'redis', { detail: { kind: 'redis-wipe' } });
        h.nemesis(3200, 'end', 1, 'redis-wipe', 'redis');
      }
      for (const [t, executorId] of [[1000, 'worker-1-executor'], [6000, 'worker-2-executor']] as const) {
        h.entries.push({ kind: 'payload', t, jobId: 'J-1', attempt: 1, executorId });
        h.execution('J-1', 1, t, executorId);
      }
      return h.build();
    }

    it('rejects two starts under one attempt even when a fault explains the rerun itself', () => {
      const v = reexecution(sharedAttempt({ attemptPerStart: true }));
      expect(v.valid).toBe(false);
      expect(v.stats).toMatchObject({ sharedAttempts: 1, reexecutions: 1, explained: 1 });
      expect(v.evidence[0]!.message).toContain('attempt 1 started twice, by worker-1-executor at t=1000ms and by worker-2-executor at t=6000ms');
    });

    it('accepts them for a system that makes no such promise', () => {
      expect(reexecution(sharedAttempt({ attemptPerStart: false })).valid).toBe(true);
    });

    it('accepts them when Redis was wiped or restarted between the two starts (the counter may be gone)', () => {
      expect(reexecution(sharedAttempt({ attemptPerStart: true, redisFault: true })).valid).toBe(true);
    });
  });

  describe('a job no answered submit lists (its submit\'s answer was lost)', () => {
    /** J-9 first seen at 13,500 (worker-1, attempt 1) and run again at 13,515 (worker-2, attempt 2); Redis restarted from 1,000 to 13,000 */
    function lostAnswer(o: { unansweredSubmit: boolean }) {
      const h = new HistoryBuilder();
      h.entries.push({ ...shapeEntry({ simulated: true }), leaseMs: 2000 });
      if (o.unansweredSubmit) h.submit({ t: 100, key: null, payloads: [payload(['x'])], outcome: 'info', okT: 3100 });
      h.nemesis(1000, 'start', 0, 'redis-restart', 'redis', { detail: { kind: 'redis-restart' } });
      h.nemesis(13_000, 'end', 0, 'redis-restart', 'redis');
      for (const [t, attempt, executorId] of [[13_500, 1, 'worker-1-executor'], [13_515, 2, 'worker-2-executor']] as const) {
        h.entries.push({ kind: 'payload', t, jobId: 'J-9', attempt, executorId });
        h.execution('J-9', attempt, t, executorId);
      }
      return h.build();
    }

    it('dates its life from the earliest unanswered submit before it was seen: a Redis restart then explains the rerun', () => {
      expect(reexecution(lostAnswer({ unansweredSubmit: true })).valid).toBe(true);
    });

    it('still rejects the rerun when no unanswered submit came before (the job was seen only after the restart)', () => {
      expect(reexecution(lostAnswer({ unansweredSubmit: false })).valid).toBe(false);
    });
  });
});
