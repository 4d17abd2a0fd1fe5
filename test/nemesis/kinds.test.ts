// Fault kinds as modules (issue 22, item 3): every built-in kind is one module of the interface a
// config's own kinds have (FaultKindModule), listed in harness/nemesis/kinds/index.ts, and every
// place that needs a kind (targets, resources, holds, inject/heal, arbitraries, the longest delay,
// the family the checkers read, the report's colour) reads it from there, for a config's kind too.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LinkControl, RunEnvironment } from '../../harness/env/surface.ts';
import { HistoryRecorder } from '../../harness/history/recorder.ts';
import type { NemesisEntry } from '../../harness/history/types.ts';
import {
  BUILTIN_FAULT_KINDS, faultArb, findFaultKind, holdMs, maxDelayMs, playSchedule, registerFaultKinds, resourceOf, scheduleArb, targetOf,
  type CustomFault, type FaultKind, type FaultKindModule,
} from '../../harness/nemesis/index.ts';

// the test's own list of the built-in kinds (FaultKind): the table must hold each once
const KINDS: FaultKind[] = ['latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data', 'down', 'kill', 'kill-executor', 'pause', 'restart', 'redis-restart', 'redis-wipe', 'crash-point', 'lost-reply', 'poison-job'];
const targets = {
  links: ['worker-1', 'keeper-1'], processes: ['orchestrator', 'worker-1', 'keeper-1'], workers: ['worker-1'],
  executors: { 'worker-1': 'worker-1-executor' },
};

describe('the built-in fault kinds', () => {
  it('are one module each, of the config\'s interface, with a family, an arbitrary and a colour', () => {
    expect(BUILTIN_FAULT_KINDS.map((k) => k.kind).sort()).toEqual([...KINDS].sort());
    for (const k of BUILTIN_FAULT_KINDS) {
      expect(k.summary, k.kind).toMatch(/\w/);
      expect(['link', 'process', 'redis'], k.kind).toContain(k.family);
      expect(k.colour, k.kind).toMatch(/^#[0-9a-f]{6}$/);
      for (const f of [k.target, k.inject, k.heal, k.arbitrary]) expect(typeof f, k.kind).toBe('function');
      expect(findFaultKind(k.kind)).toBe(k);
    }
  });

  it('draw faults of their own kind, which target and hold what their family says', () => {
    for (const kind of KINDS) {
      const k = findFaultKind(kind)!;
      for (const f of fc.sample(faultArb(kind, targets), { seed: 5, numRuns: 20 })) {
        expect(f.kind).toBe(kind);
        const target = targetOf(f);
        const resource = resourceOf(f);
        if (k.family === 'link') expect(target).toMatch(/^link (worker-1|keeper-1)$/);
        if (k.family === 'redis') expect([target, resource]).toEqual(['redis', 'redis']);
        // a poison job strikes whichever worker runs its job: it holds a resource of its own
        if (k.family === 'process') expect(resource).toMatch(kind === 'poison-job' ? /^poison-job$/ : /^process (orchestrator|worker-1|keeper-1)$/);
        // toxics nest: they hold nothing; a link down (and a lost reply's) holds the link
        expect(resource === undefined).toBe(k.family === 'link' && kind !== 'down' && kind !== 'lost-reply');
      }
    }
  });

  it('say how long a step holds and delays: an executor kill holds its worker an instant, a toxic delays by its parameters', () => {
    expect(holdMs({ atMs: 0, durationMs: 500, fault: { kind: 'kill-executor', worker: 'worker-1' } })).toBe(0);
    // unless a second stop may follow it within its window
    expect(holdMs({ atMs: 0, durationMs: 500, fault: { kind: 'kill-executor', worker: 'worker-1', then: { watch: 'worker-1', command: '*', nth: 1, action: 'kill' } } })).toBe(500);
    expect(holdMs({ atMs: 0, durationMs: 500, fault: { kind: 'kill', process: 'worker-1' } })).toBe(500);
    expect(maxDelayMs({ kind: 'latency', link: 'l', stream: 'upstream', latencyMs: 300, jitterMs: 20 }, 1024)).toBe(320);
    expect(maxDelayMs({ kind: 'bandwidth', link: 'l', stream: 'upstream', rateKBps: 4 }, 1024)).toBe(250);
    expect(maxDelayMs({ kind: 'slicer', link: 'l', stream: 'upstream', averageSize: 10, sizeVariation: 0, delayUs: 1000 }, 1024)).toBe(103);
    // what cuts delays nothing
    expect(maxDelayMs({ kind: 'timeout', link: 'l', stream: 'upstream', timeoutMs: 100 }, 1024)).toBe(0);
    expect(maxDelayMs({ kind: 'down', link: 'l' }, 1024)).toBe(0);
  });
});

/** An environment with links only, recording what the nemesis does to it. */
function fakeEnv() {
  const calls: string[] = [];
  const env = {
    linkControl: (name: string): LinkControl => ({
      addToxic: async (t) => void calls.push(`add ${name} ${t.name} ${t.type} ${JSON.stringify(t.attributes)}`),
      removeToxic: async (toxic) => void calls.push(`remove ${name} ${toxic}`),
      setEnabled: async (enabled) => void calls.push(`${enabled ? 'enable' : 'disable'} ${name}`),
    }),
  } as unknown as RunEnvironment;
  return { env, calls };
}

interface Stall extends CustomFault {
  kind: 'kinds-test:stall';
  link: string;
  ms: number;
}

/** a config's kind that says everything a built-in does */
const stall: FaultKindModule<Stall> = {
  kind: 'kinds-test:stall', summary: 'a link stalled for ms',
  target: (f) => `link ${f.link}`, resource: (f) => `link ${f.link}`,
  family: 'link', colour: '#123456',
  arbitrary: (t) => fc.record({ kind: fc.constant('kinds-test:stall' as const), link: fc.constantFrom(...t.links), ms: fc.integer({ min: 1, max: 9 }) }),
  holdMs: (step) => Math.min(step.durationMs, 10),
  maxDelayMs: (f) => f.ms,
  async inject(env, f) { await env.linkControl(f.link).setEnabled(false); },
  async heal(env, f) { await env.linkControl(f.link).setEnabled(true); },
};
/** one that says only what it must */
const bare: FaultKindModule = {
  kind: 'kinds-test:bare', summary: 'nothing', target: () => 'redis',
  async inject() {}, async heal() {},
};
registerFaultKinds([stall, bare] as FaultKindModule[]);

describe("a config's fault kind", () => {
  it('is drawn by the search, held and delayed as its module says', () => {
    const schedules = fc.sample(scheduleArb(['kinds-test:stall', 'latency'], targets, { windowMs: 500, minDurationMs: 50, maxDurationMs: 100, maxSteps: 3 }), { seed: 3, numRuns: 30 });
    const stalls = schedules.flat().filter((s) => s.fault.kind === 'kinds-test:stall');
    expect(stalls.length).toBeGreaterThan(0);
    for (const s of stalls) {
      expect(holdMs(s)).toBe(10);
      expect(maxDelayMs(s.fault, 1024)).toBe((s.fault as Stall).ms);
    }
    expect(() => faultArb('kinds-test:bare', targets)).toThrow(/kinds-test:bare.*no arbitrary/);
    expect(() => faultArb('kinds-test:nope', targets)).toThrow(/no fault kind "kinds-test:nope"/);
    expect(holdMs({ atMs: 0, durationMs: 70, fault: { kind: 'kinds-test:bare' } })).toBe(70);
    expect(maxDelayMs({ kind: 'kinds-test:bare' }, 1024)).toBe(0);
  });
});

describe('playSchedule', () => {
  it("records each step's family on its start entry (none for a kind that names none), and plays a toxic with its attributes", async () => {
    const { env, calls } = fakeEnv();
    const history = new HistoryRecorder();
    await playSchedule(env, [
      { atMs: 0, durationMs: 20, fault: { kind: 'latency', link: 'worker-1', stream: 'upstream', latencyMs: 40, jitterMs: 5 } },
      { atMs: 0, durationMs: 20, fault: { kind: 'kinds-test:stall', link: 'keeper-1', ms: 3 } },
      { atMs: 0, durationMs: 20, fault: { kind: 'kinds-test:bare' } },
    ], history);
    const starts = history.entries.filter((e): e is NemesisEntry => e.kind === 'nemesis' && e.type === 'start');
    expect(starts.map((s) => [s.fault, s.target, s.family])).toEqual([
      ['latency', 'link worker-1', 'link'],
      ['kinds-test:stall', 'link keeper-1', 'link'],
      ['kinds-test:bare', 'redis', undefined],
    ]);
    expect(starts.every((s) => s.outcome === 'ok')).toBe(true);
    expect(history.entries.filter((e) => e.kind === 'nemesis' && e.type === 'end').every((e) => !('family' in e))).toBe(true);
    expect(calls).toContain('add worker-1 step-0-latency latency {"latency":40,"jitter":5}');
    expect(calls).toContain('disable keeper-1');
    expect(calls).toContain('remove worker-1 step-0-latency');
    expect(calls).toContain('enable keeper-1');
  });

  it('records a triggered step as what it did when only its trigger could say, ended early when that is over, and each further fault with its own end', async () => {
    const { env, calls } = fakeEnv();
    const history = new HistoryRecorder();
    const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    // strikes a process known only when the trigger fires, back 10 ms later; two more strikes under the same step
    const strikes: FaultKindModule = {
      kind: 'kinds-test:strikes', summary: 'three strikes', target: () => 'whoever', family: 'process',
      async inject(_env, _f, _id, window) {
        await wait(5);
        calls.push('strike 1');
        const ended = wait(10);
        void (async () => {
          for (const n of [2, 3]) {
            await wait(15);
            const record = window.also!({ kind: 'kill', process: `worker-${n}` }, { strike: n });
            await wait(n === 2 ? 10 : 1000);
            record.end();
          }
        })();
        return { fired: true, as: { fault: { kind: 'kill', process: 'worker-1' }, detail: { strike: 1 }, ended } };
      },
      async heal() { calls.push('heal'); },
    };
    registerFaultKinds([strikes]);
    await playSchedule(env, [{ atMs: 0, durationMs: 300, fault: { kind: 'kinds-test:strikes' } }], history);
    const entries = history.entries.filter((e): e is NemesisEntry => e.kind === 'nemesis');
    const seen = entries.map((e) => [e.stepId, e.type, e.fault, e.target, e.type === 'start' ? e.detail?.strike : undefined]);
    expect(seen).toEqual([
      [0, 'start', 'kill', 'worker-1', 1],
      [0, 'end', 'kill', 'worker-1', undefined],
      [1, 'start', 'kill', 'worker-2', 2],
      [1, 'end', 'kill', 'worker-2', undefined],
      [2, 'start', 'kill', 'worker-3', 3],
      // the third was not over by the heal: it ends there
      [2, 'end', 'kill', 'worker-3', undefined],
    ]);
    const at = (id: number, type: string) => entries.find((e) => e.stepId === id && e.type === type)!.t;
    // the first strike starts when it fired, recorded with the kill's family, and ends with what it did (10 ms), before the next starts;
    // the third was still in place at the heal (300 ms)
    expect(entries[0]!.family).toBe('process');
    expect(at(0, 'start')).toBeGreaterThanOrEqual(4);
    expect(at(0, 'end') - at(0, 'start')).toBeGreaterThanOrEqual(9);
    expect(at(2, 'end')).toBeGreaterThanOrEqual(299);
    expect(calls).toEqual(['strike 1', 'heal']);
  });
});
