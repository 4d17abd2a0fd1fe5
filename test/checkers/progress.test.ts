// progress on hand-made histories: every worker up when probing began (the probe entry) must
// start and finish a job within the probe's bound; roles and executors come from the shape entry.
import { describe, expect, it } from 'vitest';
import { progress } from '../../harness/checkers/progress.ts';
import { checkRun } from '../../harness/checkers/index.ts';
import { parseHistory, serializeEntry } from '../../harness/history/jsonl.ts';
import type { History, ProbeEntry } from '../../harness/history/types.ts';
import { HistoryBuilder, healthyRun, shapeEntry } from './build.ts';

/** probing began at t=1000 with a 5 s bound; both workers up */
function probe(o: Partial<ProbeEntry> = {}): ProbeEntry {
  return { kind: 'probe', t: 1000, boundMs: 5000, pickupMs: 1000, workers: ['worker-1', 'worker-2'], down: [], rounds: 1, keys: ['run-probe-0', 'run-probe-1'], taskIds: ['P-0', 'P-1'], frontDoorUp: true, endedAt: 1400, ...o };
}

/** job `jobId` started by `executor` at `start` and reported (its outcome event, from that executor) at `end` */
function ran(h: HistoryBuilder, jobId: string, executor: string, start: number, end?: number): HistoryBuilder {
  h.execution(jobId, 1, start, executor);
  if (end !== undefined) h.transition(jobId, 'running', 'completed', { t: end, source: 'executor', sourceId: executor });
  return h;
}

function reference(build: (h: HistoryBuilder) => void, p: ProbeEntry = probe()): History {
  const h = new HistoryBuilder();
  h.entries.push(shapeEntry(), p);
  build(h);
  return h.build();
}

describe('progress', () => {
  it('accepts a run in which every worker up took a probe and finished it', () => {
    const v = progress(reference((h) => {
      ran(h, 'P-0-0', 'worker-1-executor', 1010, 1180);
      ran(h, 'P-1-0', 'worker-2-executor', 1012, 1185);
    }));
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ workersJudged: 2, workersLive: 2, violations: 0 });
  });

  it('rejects a worker that started nothing after probing began, naming it, the window and what it did last', () => {
    const v = progress(reference((h) => {
      ran(h, 'J-1', 'worker-2-executor', 200, 400); // worked before the heal, never after
      ran(h, 'P-0-0', 'worker-1-executor', 1010, 1180);
      ran(h, 'P-1-0', 'worker-1-executor', 1190, 1360);
      h.nemesis(300, 'start', 0, 'down', 'link worker-2', { detail: { link: 'worker-2' }, outcome: 'ok' });
    }));
    expect(v.valid).toBe(false);
    expect(v.evidence).toHaveLength(1);
    const m = v.evidence[0]!.message;
    expect(m).toMatch(/^worker-2 \(executor worker-2-executor\) started and finished no job between t=1000ms, when probing began, and t=6000ms/);
    expect(m).toMatch(/bound 5000 ms/);
    expect(m).toMatch(/its last start: job J-1 attempt 1 at t=200ms, finished at t=400ms/);
    expect(m).toMatch(/last fault on it: down on link worker-2 at t=300ms/);
    expect(v.evidence[0]!.entries?.[0]).toMatchObject({ kind: 'probe' });
  });

  it('rejects a worker that started a probe and never finished it (stuck in a job)', () => {
    const v = progress(reference((h) => {
      ran(h, 'P-0-0', 'worker-1-executor', 1010, 1180);
      ran(h, 'P-1-0', 'worker-2-executor', 1012); // no outcome ever
    }));
    expect(v.valid).toBe(false);
    expect(v.evidence[0]!.message).toMatch(/^worker-2 .*its last start: job P-1-0 attempt 1 at t=1012ms, never finished/);
  });

  it('rejects a worker whose start and finish came only after the bound', () => {
    const v = progress(reference((h) => {
      ran(h, 'P-0-0', 'worker-1-executor', 1010, 1180);
      ran(h, 'P-1-0', 'worker-2-executor', 5900, 6300); // started in time, finished after t=6000 (+ the 100 ms clock margin)
    }));
    expect(v.valid).toBe(false);
    expect(v.evidence[0]!.message).toMatch(/^worker-2 /);
  });

  it('does not judge a worker busy all through the window with a job it took before probing began (a payload hanging until its timeout)', () => {
    const v = progress(reference((h) => {
      ran(h, 'P-0-0', 'worker-1-executor', 1010, 1180);
      ran(h, 'J-long', 'worker-2-executor', 89, 30_536); // taken before probing, ended long after the bound
    }));
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ workersJudged: 2, workersLive: 1, workersBusy: 1 });
  });

  it('still rejects a worker whose job from before probing never ended (wedged in it)', () => {
    const v = progress(reference((h) => {
      ran(h, 'P-0-0', 'worker-1-executor', 1010, 1180);
      ran(h, 'J-long', 'worker-2-executor', 89); // no outcome ever
    }));
    expect(v.valid).toBe(false);
    expect(v.evidence[0]!.message).toMatch(/^worker-2 .*its last start: job J-long attempt 1 at t=89ms, never finished/);
  });

  it('does not count an outcome that came from another worker\'s executor', () => {
    const v = progress(reference((h) => {
      ran(h, 'P-0-0', 'worker-1-executor', 1010, 1180);
      h.execution('P-1-0', 1, 1012, 'worker-2-executor');
      h.transition('P-1-0', 'running', 'completed', { t: 1200, source: 'executor', sourceId: 'worker-1-executor' });
    }));
    expect(v.valid).toBe(false);
  });

  it('counts an outcome the keeper ignored (the worker finished it all the same)', () => {
    const v = progress(reference((h) => {
      ran(h, 'P-0-0', 'worker-1-executor', 1010, 1180);
      h.execution('P-1-0', 1, 1012, 'worker-2-executor');
      h.transition('P-1-0', 'completed', 'completed', { t: 1190, source: 'executor', sourceId: 'worker-2-executor', decision: 'ignored', reason: 'stale-terminal' });
    }));
    expect(v.valid).toBe(true);
  });

  it('does not judge a worker the schedule left down', () => {
    const v = progress(reference((h) => {
      ran(h, 'P-0-0', 'worker-1-executor', 1010, 1180);
    }, probe({ workers: ['worker-1'], down: ['worker-2'] })));
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ workersJudged: 1, workersNotJudged: 1 });
  });

  it('reads whose executor is whose from the shape entry, not from names', () => {
    const h = new HistoryBuilder();
    const shape = shapeEntry({ workers: ['alpha', 'beta'] });
    // executors named nothing like their workers
    shape.processes = shape.processes.map((p) => (p.id === 'alpha' ? { ...p, executor: 'x-7' } : p.id === 'beta' ? { ...p, executor: 'x-9' } : p));
    h.entries.push(shape, probe({ workers: ['alpha', 'beta'] }));
    ran(h, 'P-0-0', 'x-7', 1010, 1180);
    ran(h, 'P-1-0', 'beta-executor', 1012, 1185); // a name that looks like beta's, but is not its executor
    const v = progress(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0]!.message).toMatch(/^beta \(executor x-9\)/);
    h.entries.push(...reference((b) => ran(b, 'P-2-0', 'x-9', 1300, 1500)).filter((e) => e.kind === 'execution' || e.kind === 'transition'));
    expect(progress(h.build()).valid).toBe(true);
  });

  it('takes a library worker\'s finish from the end its execution log gives the start', () => {
    const h = new HistoryBuilder();
    h.entries.push(shapeEntry({ frontDoor: 'producer', keepers: [], inProcess: true, evidence: { executionsLog: 'app:executions' } }), probe());
    h.entries.push({ kind: 'execution', t: 1010, jobId: 'P-0-0', attempt: 1, executorId: 'worker-1', endedAt: 1170 });
    h.entries.push({ kind: 'execution', t: 1011, jobId: 'P-1-0', attempt: 1, executorId: 'worker-2' }); // started, never ended
    const v = progress(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0]!.message).toMatch(/^worker-2 \(executor worker-2\) .*never finished/);
    (h.entries[h.entries.length - 1] as { endedAt?: number }).endedAt = 1180;
    expect(progress(h.build()).valid).toBe(true);
  });

  it('takes a start from the harness\'s own record when the system\'s log lacks it', () => {
    const v = progress(reference((h) => {
      ran(h, 'P-0-0', 'worker-1-executor', 1010, 1180);
      h.entries.push({ kind: 'payload', t: 1012, jobId: 'P-1-0', attempt: 1, executorId: 'worker-2-executor' });
      h.transition('P-1-0', 'running', 'completed', { t: 1190, source: 'executor', sourceId: 'worker-2-executor' });
    }));
    expect(v.valid).toBe(true);
  });

  it('rejects a front door that was up and took no probe at all, with what it answered', () => {
    const v = progress(reference((h) => {
      h.submit({ t: 1001, key: 'run-probe-0', payloads: [], outcome: 'info' });
      h.submit({ t: 1002, key: 'run-probe-1', payloads: [], outcome: 'info', okT: 3000 });
    }, probe({ taskIds: [], rounds: 3, endedAt: 11_000 })));
    expect(v.valid).toBe(false);
    expect(v.evidence).toHaveLength(1);
    expect(v.evidence[0]!.message).toMatch(/^orchestrator took no new work after the heal: 2 probe submits between t=1000ms and t=11000ms \(3 rounds, bound 5000 ms\), none answered with a task; the last one's answer: info \{"error":"timeout"\}/);
  });

  it('judges nothing when the front door was left down (no work could be offered)', () => {
    const v = progress(reference(() => undefined, probe({ taskIds: [], rounds: 0, frontDoorUp: false })));
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ workersJudged: 0 });
  });

  it('is undecided, not violated, when the executions log could not be read', () => {
    const unreadable = progress(reference((h) => {
      ran(h, 'P-0-0', 'worker-1-executor', 1010, 1180);
      h.snapshot(7000, []).unreadable = [{ key: 'sut:executions', error: 'timeout' }];
    }));
    expect(unreadable.valid).toBe('unknown');
  });

  it('has nothing to judge in a history without a probe entry', () => {
    const v = progress(healthyRun().build());
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ workersJudged: 0 });
  });

  it('is one of the checkers a run is judged by, and its entry survives the JSONL format', () => {
    const history = reference((h) => ran(h, 'P-0-0', 'worker-1-executor', 1010, 1180));
    expect(checkRun(history).verdicts.find((v) => v.checker === 'progress')?.valid).toBe(false);
    const back = parseHistory(history.map(serializeEntry).join(''));
    expect(back.find((e) => e.kind === 'probe')).toEqual(probe());
  });
});
