// Schedule and workload arbitraries: pure, checked on many samples.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeStep, faultArb, scheduleArb, scheduleOf, schedulePer, stepArb, type Fault, type FaultKind, type FaultStep } from '../../harness/nemesis/index.ts';
import { workloadArb } from '../../harness/workload/workload.ts';
import { reorder } from '../../scenarios/reorder.ts';
import { SCENARIOS } from '../../scenarios/index.ts';

const targets = { links: ['worker-1', 'worker-2', 'keeper-1'], processes: ['orchestrator', 'worker-1', 'worker-2', 'keeper-1'], workers: ['worker-1', 'worker-2'] };
const ctx = { workers: ['worker-1', 'worker-2'], keepers: ['keeper-1'], frontDoor: 'orchestrator', leaseMs: 2000, simulated: false, targets };
const linkOf = (s: FaultStep) => (s.fault as { link?: string }).link ?? '';

// The test's own statement of which faults share something that one step's heal would undo for
// another (a link's enabled flag, a process, redis-server); toxics are each their own toxic.
function sharedResource(f: Fault): string | undefined {
  switch (f.kind) {
    case 'down': return `link ${f.link}`;
    case 'kill': case 'pause': case 'restart': case 'crash-point': return `process ${f.process}`;
    case 'kill-executor': return `process ${f.worker}`;
    case 'redis-restart': return 'redis';
    default: return undefined;
  }
}
/** a kill-executor's heal undoes nothing: it holds its worker only at the instant it strikes (unless a second stop follows it) */
const held = (s: FaultStep) => ((s.fault.kind === 'kill-executor' || (s.fault.kind === 'crash-point' && s.fault.action === 'kill-executor')) && !s.fault.then ? 0 : s.durationMs);
/** two steps on one resource whose windows [atMs, atMs + held] meet (closed: a heal and an inject at the same ms race) */
function clashes(s: readonly FaultStep[]): string[] {
  const out: string[] = [];
  s.forEach((a, i) => s.slice(i + 1).forEach((b) => {
    const r = sharedResource(a.fault);
    if (r !== undefined && r === sharedResource(b.fault) && a.atMs <= b.atMs + held(b) && b.atMs <= a.atMs + held(a)) {
      out.push(`${describeStep(a)} / ${describeStep(b)}`);
    }
  }));
  return out;
}

describe('scheduleOf', () => {
  const latency = stepArb(fc.record({ kind: fc.constant('latency' as const), link: fc.constantFrom('worker-1', 'worker-2'), stream: fc.constant('upstream' as const), latencyMs: fc.constant(100), jitterMs: fc.constant(0) }), { fromMs: 0, windowMs: 500, minDurationMs: 100, maxDurationMs: 200 });

  it('gives 1..maxSteps steps ordered by start', () => {
    fc.assert(fc.property(scheduleOf(latency, 4), (s) => {
      expect(s.length).toBeGreaterThanOrEqual(1);
      expect(s.length).toBeLessThanOrEqual(4);
      expect(s.map((x) => x.atMs)).toEqual([...s.map((x) => x.atMs)].sort((a, b) => a - b));
    }));
  });

  it('a failing schedule shrinks to the one step that matters, wherever it sits', () => {
    // "fails" whenever any step is on worker-1: the minimal counterexample is that one step
    for (let seed = 1; seed <= 30; seed++) {
      const out = fc.check(fc.property(scheduleOf(latency, 4), (s) => !s.some((x) => linkOf(x) === 'worker-1')), { seed, numRuns: 200 });
      expect(out.failed).toBe(true);
      const [minimal] = out.counterexample! as [FaultStep[]];
      expect(minimal.map(linkOf), `seed ${seed}`).toEqual(['worker-1']);
    }
  });

  it('schedulePer: at most one step per key, usually all of them, and shrinks to the one that matters', () => {
    const per = schedulePer(['worker-1', 'worker-2', 'keeper-1'], (link) => stepArb(fc.record({ kind: fc.constant('down' as const), link: fc.constant(link) }), { fromMs: 0, windowMs: 500, minDurationMs: 100, maxDurationMs: 200 }));
    const samples = fc.sample(per, { seed: 5, numRuns: 200 });
    for (const s of samples) expect(new Set(s.map(linkOf)).size).toBe(s.length);
    expect(samples.filter((s) => s.length === 3).length).toBeGreaterThan(100);
    const out = fc.check(fc.property(per, (s) => !s.some((x) => linkOf(x) === 'worker-2')), { seed: 5 });
    expect((out.counterexample![0] as FaultStep[]).map(linkOf)).toEqual(['worker-2']);
  });

  it('scheduleArb keeps starts and durations within the options', () => {
    fc.assert(fc.property(scheduleArb(['latency', 'down'], targets, { fromMs: 200, windowMs: 1200, minDurationMs: 200, maxDurationMs: 1500, maxSteps: 3 }), (s) => {
      for (const step of s) {
        expect(step.atMs).toBeGreaterThanOrEqual(200);
        expect(step.atMs).toBeLessThanOrEqual(1200);
        expect(step.durationMs).toBeGreaterThanOrEqual(200);
        expect(step.durationMs).toBeLessThanOrEqual(1500);
      }
    }));
  });
});

describe('no two steps on one resource overlap', () => {
  // one link, one process, one worker: with short windows nearly every pair of steps would overlap
  const one = { links: ['worker-1'], processes: ['worker-1'], workers: ['worker-1'] };
  const exclusive: FaultKind[] = ['kill', 'kill-executor', 'pause', 'restart', 'down', 'redis-restart'];
  const tight = { fromMs: 0, windowMs: 300, minDurationMs: 0, maxDurationMs: 400 };

  it('scheduleArb with kill, pause, restart, kill-executor, down and redis-restart', () => {
    fc.assert(fc.property(scheduleArb(exclusive, one, { ...tight, maxSteps: 6 }), (s) => {
      expect(clashes(s)).toEqual([]);
      expect(s.length).toBeGreaterThanOrEqual(1);
      expect(s.map((x) => x.atMs)).toEqual([...s.map((x) => x.atMs)].sort((a, b) => a - b));
    }), { numRuns: 500 });
  });

  it('scheduleOf, every step a pause of the same process', () => {
    const pauses = stepArb(fc.record({ kind: fc.constant('pause' as const), process: fc.constant('worker-1') }), tight);
    fc.assert(fc.property(scheduleOf(pauses, 4), (s) => {
      expect(clashes(s)).toEqual([]);
    }), { numRuns: 500 });
  });

  it('schedulePer, every key\'s step a kill of the same process or a down of the same link', () => {
    const per = schedulePer(['a', 'b', 'c', 'd'], (key) => stepArb(key < 'c'
      ? fc.record({ kind: fc.constant('kill' as const), process: fc.constant('worker-1') })
      : fc.record({ kind: fc.constant('down' as const), link: fc.constant('worker-1') }), tight));
    fc.assert(fc.property(per, (s) => {
      expect(clashes(s)).toEqual([]);
    }), { numRuns: 500 });
  });

  it('every scenario\'s schedules', () => {
    for (const scenario of SCENARIOS) {
      for (const s of fc.sample(scenario.schedule(ctx), { seed: 3, numRuns: 200 })) expect(clashes(s), scenario.name).toEqual([]);
    }
  });

  it('toxics on one link still overlap (each is its own toxic): nothing is dropped for them', () => {
    const toxics = scheduleArb(['latency', 'bandwidth', 'slicer', 'limit_data'], one, { ...tight, maxSteps: 4 });
    const overlapping = (s: FaultStep[]) => s.some((a, i) => s.slice(i + 1).some((b) => b.atMs <= a.atMs + a.durationMs));
    const samples = fc.sample(toxics, { seed: 9, numRuns: 200 });
    expect(samples.filter(overlapping).length).toBeGreaterThan(100);
  });

  it('a failing schedule of exclusive faults still shrinks to the one step that matters', () => {
    // "fails" whenever a pause is in it: the minimal counterexample is one pause
    for (let seed = 1; seed <= 20; seed++) {
      const out = fc.check(fc.property(scheduleArb(exclusive, one, { ...tight, maxSteps: 4 }), (s) => !s.some((x) => x.fault.kind === 'pause')), { seed, numRuns: 200 });
      expect(out.failed).toBe(true);
      const [minimal] = out.counterexample! as [FaultStep[]];
      expect(minimal.map((x) => x.fault.kind), `seed ${seed}`).toEqual(['pause']);
    }
  });
});

describe('crash points', () => {
  const withExecutors = {
    ...targets,
    executors: { 'worker-1': 'worker-1-executor', 'worker-2': 'worker-2-executor' },
    commands: { 'worker-1': ['XACK'], 'worker-2': ['XACK'], 'worker-1-executor': ['XADD'], 'worker-2-executor': ['XADD'], 'keeper-1': ['EVALSHA'], orchestrator: ['EXEC'] },
  };

  it('watch the process itself or its executor, count any command or one the watched role sends, and act on the process', () => {
    const faults = fc.sample(scheduleArb(['crash-point'], withExecutors, { windowMs: 1000, minDurationMs: 100, maxDurationMs: 500, maxSteps: 3 }), { seed: 5, numRuns: 300 }).flat().map((s) => s.fault);
    const actions = new Set<string>();
    for (const f of faults) {
      if (f.kind !== 'crash-point') throw new Error(`not a crash point: ${f.kind}`);
      expect([f.process, withExecutors.executors[f.process as 'worker-1']]).toContain(f.watch);
      if (f.command !== '*') expect(withExecutors.commands[f.watch as 'worker-1']).toContain(f.command);
      expect(f.nth).toBeGreaterThanOrEqual(1);
      // only a worker has an executor to kill; only a kill comes back as someone
      if (f.action === 'kill-executor') expect(targets.workers).toContain(f.process);
      expect(f.rejoin !== undefined).toBe(f.action === 'kill' || f.then?.action === 'kill');
      actions.add(f.action);
    }
    expect([...actions].sort()).toEqual(['kill', 'kill-executor', 'pause']);
    // a second stop while the worker recovers comes only after an executor kill, and sometimes
    const points = fc.sample(scheduleArb(['crash-point'], { ...targets, executors: { 'worker-1': 'worker-1-executor', 'worker-2': 'worker-2-executor' } }, { windowMs: 1000, minDurationMs: 100, maxDurationMs: 500, maxSteps: 3 }), { seed: 2, numRuns: 300 })
      .flat().map((s) => s.fault).filter((f): f is Extract<Fault, { kind: 'crash-point' }> => f.kind === 'crash-point');
    expect(points.some((f) => f.then !== undefined)).toBe(true);
    for (const f of points.filter((x) => x.then)) {
      expect(f.action).toBe('kill-executor');
      expect(['kill', 'pause']).toContain(f.then!.action);
      expect([f.process, `${f.process}-executor`]).toContain(f.then!.watch);
    }
    expect(faults.some((f) => f.kind === 'crash-point' && f.watch.endsWith('-executor'))).toBe(true);
    expect(faults.some((f) => f.kind === 'crash-point' && f.command === '*')).toBe(true);
  });

  it('an executor kill carries a second stop only in simulation, half the time, at a step of the worker\'s recovery', () => {
    const withExecutors = { ...targets, executors: { 'worker-1': 'worker-1-executor', 'worker-2': 'worker-2-executor' } };
    const kills = (t: typeof withExecutors & { simulated?: boolean }) => fc.sample(scheduleArb(['kill-executor'], t, { windowMs: 1000, minDurationMs: 100, maxDurationMs: 500, maxSteps: 3 }), { seed: 4, numRuns: 300 })
      .flat().map((s) => s.fault).filter((f): f is Extract<Fault, { kind: 'kill-executor' }> => f.kind === 'kill-executor');
    expect(kills(withExecutors).every((f) => f.then === undefined)).toBe(true);
    const sim = kills({ ...withExecutors, simulated: true });
    // live draws the same executor kills from a seed, without their second stops (a simulated run's live twin)
    const one = (t: typeof withExecutors & { simulated?: boolean }) => fc.sample(faultArb('kill-executor', t), { seed: 4, numRuns: 200 });
    expect(one({ ...withExecutors, simulated: true }).map((f) => ({ ...f, then: undefined }))).toEqual(one(withExecutors).map((f) => ({ ...f, then: undefined })));
    const followed = sim.filter((f) => f.then);
    expect(followed.length).toBeGreaterThan(sim.length * 0.3);
    expect(followed.length).toBeLessThan(sim.length * 0.7);
    for (const f of followed) {
      expect(['kill', 'pause']).toContain(f.then!.action);
      expect([f.worker, `${f.worker}-executor`]).toContain(f.then!.watch);
      expect(f.then!.nth).toBeGreaterThanOrEqual(1);
    }
    // with a second stop it holds its worker for its window, as the stop may land anywhere in it
    expect(fc.sample(scheduleArb(['kill-executor', 'kill', 'pause'], { ...withExecutors, simulated: true }, { windowMs: 1000, minDurationMs: 100, maxDurationMs: 500, maxSteps: 4 }), { seed: 6, numRuns: 300 }).flatMap(clashes)).toEqual([]);
    expect(describeStep({ atMs: 10, durationMs: 400, fault: { kind: 'kill-executor', worker: 'worker-1', then: { watch: 'worker-1', command: 'XACK', nth: 1, action: 'kill' } } }))
      .toBe('at 10 ms for 400 ms: kill-executor on executor of worker-1 (then=(watch=worker-1 command=XACK nth=1 action=kill))');
  });

  it('print their trigger in the schedule', () => {
    const step: FaultStep = { atMs: 100, durationMs: 900, fault: { kind: 'crash-point', process: 'worker-1', watch: 'worker-1', command: 'XACK', nth: 1, action: 'kill-executor' } };
    expect(describeStep(step)).toBe('at 100 ms for 900 ms: crash-point on worker-1 (watch=worker-1 command=XACK nth=1 action=kill-executor)');
  });
});

describe('reorder schedule', () => {
  it('slows one worker link, for 5 × latency + 250 ms or more', () => {
    fc.assert(fc.property(reorder.schedule(ctx), (s) => {
      expect(s).toHaveLength(1);
      expect(ctx.workers).toContain(linkOf(s[0]!));
      for (const step of s) {
        const f = step.fault as { kind: string; latencyMs: number; stream: string };
        expect(f.kind).toBe('latency');
        expect(f.stream).toBe('upstream');
        expect(step.durationMs).toBeGreaterThanOrEqual(250 + 5 * f.latencyMs);
      }
    }));
  });
});

describe('workloadArb', () => {
  it('without an anchor, only generated tasks within the window', () => {
    fc.assert(fc.property(workloadArb({ minTasks: 2, maxTasks: 5, fromMs: 100, windowMs: 900 }), (w) => {
      expect(w.tasks.length).toBeGreaterThanOrEqual(2);
      expect(w.tasks.length).toBeLessThanOrEqual(5);
      for (const t of w.tasks) {
        expect(t.atMs).toBeGreaterThanOrEqual(100);
        expect(t.atMs).toBeLessThanOrEqual(900);
        expect(t.description.startsWith('anchor')).toBe(false);
      }
    }));
  });

  it('sends tasks the ways real clients do: patient mostly, impatient, hedged, from two clients, cancels twice', () => {
    const tasks = fc.sample(workloadArb({ minTasks: 5, maxTasks: 10 }), { seed: 3, numRuns: 100 }).flatMap((w) => w.tasks);
    const kinds = new Map<string, number>();
    for (const t of tasks) kinds.set(t.submit?.kind ?? 'patient', (kinds.get(t.submit?.kind ?? 'patient') ?? 0) + 1);
    expect([...kinds.keys()].sort()).toEqual(['hedged', 'impatient', 'patient', 'two-clients']);
    expect(kinds.get('patient')! / tasks.length).toBeGreaterThan(0.4);
    expect(tasks.some((t) => t.cancel?.twice)).toBe(true);
    for (const t of tasks) {
      if (t.submit?.kind === 'impatient') expect(t.submit.timeoutMs).toBeGreaterThanOrEqual(50);
      if (t.submit?.kind === 'two-clients') expect(t.submit.skewMs).toBeLessThanOrEqual(5);
    }
  });

  it('without clientBehaviours, one patient client', () => {
    const tasks = fc.sample(workloadArb({ clientBehaviours: false }), { seed: 3, numRuns: 50 }).flatMap((w) => w.tasks);
    expect(tasks.every((t) => (t.submit?.kind ?? 'patient') === 'patient' && !t.cancel?.twice)).toBe(true);
  });

  it('with anchorMs, one more task first: one plain job that runs that long', () => {
    fc.assert(fc.property(workloadArb({ minTasks: 2, maxTasks: 5, fromMs: 0, windowMs: 900, anchorMs: 1600 }), (w) => {
      const anchors = w.tasks.filter((t) => t.description.startsWith('anchor'));
      expect(anchors).toHaveLength(1);
      expect(w.tasks[0]!.atMs).toBe(0);
      const [job] = anchors[0]!.jobs;
      expect(anchors[0]!.jobs).toHaveLength(1);
      expect(job!.payload).toMatchObject({ durationMs: 1600, exitCode: 0 });
      expect(job!.timeoutMs).toBeGreaterThan(1600);
      expect(anchors[0]!.cancel).toBeUndefined();
    }));
  });

  it('every scenario whose goal needs a fault while a job runs keeps a job running past its last fault start', () => {
    // explore is the exception by design: random timing, no anchor; a run may miss, and the
    // scenario is vacuous only when none of its runs hit anything. So are crash-points and
    // lost-reply: their steps begin when a role's n-th command runs, not at their start time
    for (const scenario of SCENARIOS.filter((s) => !['explore', 'crash-points', 'lost-reply'].includes(s.name) && s.goals.some((g) => g.name === 'a fault hit a part while it had work in hand'))) {
      const samples = fc.sample(fc.tuple(scenario.workload(ctx), scenario.schedule(ctx)), { seed: 11, numRuns: 50 });
      for (const [w, s] of samples) {
        const anchor = w.tasks.find((t) => t.description.startsWith('anchor'));
        expect(anchor, scenario.name).toBeDefined();
        const lastStart = Math.max(...s.map((x) => x.atMs));
        expect(anchor!.atMs + anchor!.jobs[0]!.payload.durationMs, scenario.name).toBeGreaterThan(lastStart + 300);
      }
    }
  });
});
