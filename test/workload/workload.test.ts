// The workload's draw of keyless submissions (TaskPlan.keyless): both kinds come out, a keyless one
// is only ever one attempt, and the draw replays from its seed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { workloadArb } from '../../harness/workload/workload.ts';

describe('workloadArb: submissions with and without an Idempotency-Key', () => {
  const tasks = fc.sample(workloadArb({ minTasks: 5, maxTasks: 10 }), { seed: 7, numRuns: 100 }).flatMap((w) => w.tasks);

  it('draws both, keyless ones a quarter to a half of the tasks', () => {
    const keyless = tasks.filter((t) => t.keyless).length;
    expect(keyless / tasks.length).toBeGreaterThan(0.25);
    expect(keyless / tasks.length).toBeLessThan(0.45);
    expect(tasks.every((t) => t.keyless === undefined || t.keyless === true)).toBe(true);
  });

  it('sends a keyless task as one attempt: patient or impatient, never hedged or from two clients', () => {
    const styles = new Set(tasks.filter((t) => t.keyless).map((t) => t.submit?.kind ?? 'patient'));
    expect([...styles].sort()).toEqual(['impatient', 'patient']);
    const keyed = new Set(tasks.filter((t) => !t.keyless).map((t) => t.submit?.kind ?? 'patient'));
    expect([...keyed].sort()).toEqual(['hedged', 'impatient', 'patient', 'two-clients']);
  });

  it('replays the same draw from the same seed', () => {
    const again = fc.sample(workloadArb({ minTasks: 5, maxTasks: 10 }), { seed: 7, numRuns: 100 }).flatMap((w) => w.tasks);
    expect(again).toEqual(tasks);
  });

  it('keylessWeight 0 sends every task with a key; without clientBehaviours a keyless one is patient', () => {
    const none = fc.sample(workloadArb({ keylessWeight: 0 }), { seed: 7, numRuns: 50 }).flatMap((w) => w.tasks);
    expect(none.some((t) => t.keyless)).toBe(false);
    const plain = fc.sample(workloadArb({ clientBehaviours: false }), { seed: 7, numRuns: 50 }).flatMap((w) => w.tasks);
    expect(plain.some((t) => t.keyless)).toBe(true);
    expect(plain.every((t) => (t.submit?.kind ?? 'patient') === 'patient')).toBe(true);
  });

  it('shrinks a keyless task toward one with a key', () => {
    // a property that fails on any keyless task shrinks to one task, keyless (it cannot drop the
    // flag and still fail), and a property failing on any task at all shrinks to a keyed one
    const onKeyless = fc.check(fc.property(workloadArb({ minTasks: 1, maxTasks: 4 }), (w) => !w.tasks.some((t) => t.keyless)), { seed: 3 });
    expect(onKeyless.failed).toBe(true);
    expect(onKeyless.counterexample![0].tasks.filter((t) => t.keyless)).toHaveLength(1);
    const onAny = fc.check(fc.property(workloadArb({ minTasks: 1, maxTasks: 4 }), (w) => w.tasks.length === 0), { seed: 3 });
    expect(onAny.counterexample![0].tasks).toHaveLength(1);
    expect(onAny.counterexample![0].tasks[0]!.keyless).toBeUndefined();
  });
});
