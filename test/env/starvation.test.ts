// Measured CPU starvation (harness/env/starvation.ts): a role's processes waiting on the run
// queue become a measured step the checkers read like a pause; a role that did not wait does not.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isMeasured } from '../../harness/checkers/effects.ts';
import { watchStarvation, STARVED, MEASURED_STEP_BASE } from '../../harness/env/starvation.ts';
import { HistoryRecorder } from '../../harness/history/recorder.ts';
import type { NemesisEntry } from '../../harness/history/types.ts';

const steps = (h: HistoryRecorder) => h.entries.filter((e): e is NemesisEntry => e.kind === 'nemesis');

describe('watchStarvation on counters', () => {
  afterEach(() => vi.useRealTimers());

  it('records a period in which a role waited, with the wait, and none for a role that ran', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const h = new HistoryRecorder();
    const waitNs = new Map<number, number>([[10, 0], [11, 0], [20, 0]]);
    // worker-1 (pid 10) has an executor (pid 11); keeper-1 is pid 20
    const children = new Map<number, number[]>([[10, [11]]]);
    const watch = watchStarvation(h, () => new Map([['worker-1', 10], ['keeper-1', 20]]), {
      readWaitNs: (pid) => waitNs.get(pid),
      childrenOf: (pid) => children.get(pid) ?? [],
    });
    const tick = (waits: Record<number, number>) => {
      for (const [pid, ms] of Object.entries(waits)) waitNs.set(Number(pid), waitNs.get(Number(pid))! + ms * 1e6);
      vi.advanceTimersByTime(100);
    };
    tick({ 10: 5, 20: 5 }); // 0–100: both ran
    tick({ 11: 80, 20: 2 }); // 100–200: the executor waited 80 of 100 ms
    tick({ 10: 90, 11: 90 }); // 200–300: worker and executor waited (the role's wait is the most starved one's)
    tick({ 10: 80 }); // 300–400: 250 ms in all, the minimum
    tick({ 10: 1 }); // 400–500: ran again
    tick({ 20: 30 }); // 500–600: the keeper waited 30 ms once: a period below the minimum
    const n = watch.stop();
    expect(n).toBe(1);
    const [start, end] = steps(h);
    expect(start).toMatchObject({ type: 'start', fault: STARVED, target: 'worker-1', stepId: MEASURED_STEP_BASE, family: 'process', effect: 'freezes', outcome: 'ok' });
    expect(start!.detail).toEqual({ kind: STARVED, process: 'worker-1', measured: true, waitMs: 250 });
    expect(start!.t).toBe(100);
    expect(end).toMatchObject({ type: 'end', stepId: MEASURED_STEP_BASE, t: 400 });
    expect(isMeasured(start!)).toBe(true);
    expect(steps(h).length).toBe(2);
  });

  it('a process that is gone or a role that is down counts as no wait', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const h = new HistoryRecorder();
    let pid: number | undefined = 10;
    const watch = watchStarvation(h, () => new Map([['worker-1', pid]]), { readWaitNs: () => undefined, childrenOf: () => [] });
    vi.advanceTimersByTime(300);
    pid = undefined;
    vi.advanceTimersByTime(300);
    expect(watch.stop()).toBe(0);
    expect(steps(h)).toEqual([]);
  });
});

describe('watchStarvation on real processes', () => {
  const spawned: ChildProcess[] = [];
  afterEach(() => {
    for (const c of spawned.splice(0)) c.kill('SIGKILL');
  });
  const busy = () => {
    // three busy loops on one CPU: each runs a third of the time and waits the rest
    const c = spawn('taskset', ['-c', '0', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' });
    spawned.push(c);
    return c;
  };

  it('a process sharing one CPU with two busy loops is starved; a sleeping one is not', async () => {
    const h = new HistoryRecorder();
    const loops = [busy(), busy(), busy()];
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    spawned.push(sleeper);
    const watch = watchStarvation(h, () => new Map([['worker-1', loops[0]!.pid], ['keeper-1', sleeper.pid]]));
    await new Promise((r) => setTimeout(r, 1500));
    watch.stop();
    const starved = steps(h).filter((n) => n.type === 'start');
    expect(starved.map((n) => n.target)).toContain('worker-1');
    expect(starved.map((n) => n.target)).not.toContain('keeper-1');
    const total = starved.filter((n) => n.target === 'worker-1').reduce((s, n) => s + (n.detail!.waitMs as number), 0);
    expect(total).toBeGreaterThan(500);
  });
});
