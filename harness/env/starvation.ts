// CPU starvation of the system's processes, measured: on a busy machine (two cores, a dozen
// Node processes starting at once) a process can wait on the run queue for seconds, and to the
// system that is a pause nobody injected: a worker that waited out its lease between a delivery
// and its start lets another worker run the job again, and a correct system is blamed for a
// rerun "with no fault" (found by the live soak). The kernel counts each process's time spent
// runnable but not running (/proc/<pid>/schedstat, its second field, in ns). This samples that
// for each role's processes (the role and what it started: its executor, its payload) and
// records a period in which a role was starved as a step the checkers read like a pause of it
// (family `process`, effect `freezes`), marked `measured`: the harness did not inject it, so it
// counts towards no coverage goal, and a replay does not repeat it.

import { readFileSync } from 'node:fs';
import type { HistoryRecorder } from '../history/recorder.ts';
import type { NemesisEntry } from '../history/types.ts';
import { childPids } from './processes.ts';

/** the fault name of a measured starvation step */
export const STARVED = 'cpu-starved';
/** measured steps' ids start here: a schedule never has this many steps */
export const MEASURED_STEP_BASE = 1_000_000;

export interface StarvationOptions {
  /** how often the counters are read (default 100 ms) */
  intervalMs?: number;
  /** an interval counts as starved when a process of the role waited at least this share of it (default 0.25) */
  share?: number;
  /** a starved period is recorded when its processes waited at least this long in it, in total (default 250 ms) */
  minWaitMs?: number;
  /** reads a process's run-queue wait in ns (default /proc/<pid>/schedstat); undefined when it is gone */
  readWaitNs?: (pid: number) => number | undefined;
  /** a process's children (default /proc/<pid>/task/<pid>/children) */
  childrenOf?: (pid: number) => number[];
}

function procWaitNs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/);
    const ns = Number(fields[1]);
    return Number.isFinite(ns) ? ns : undefined;
  } catch {
    return undefined;
  }
}

const procChildren = (pid: number): number[] => childPids(pid) ?? [];

interface Period {
  fromT: number;
  toT: number;
  waitMs: number;
}

/**
 * Watches the roles `roles()` names (id → its pid, undefined while it is down) from now until
 * `stop`, which adds each starved period to the history as a measured step pair and returns how
 * many it added.
 */
export function watchStarvation(
  history: HistoryRecorder,
  roles: () => ReadonlyMap<string, number | undefined>,
  opts: StarvationOptions = {},
): { stop(): number } {
  const intervalMs = opts.intervalMs ?? 100;
  const share = opts.share ?? 0.25;
  const minWaitMs = opts.minWaitMs ?? 250;
  const readWait = opts.readWaitNs ?? procWaitNs;
  const childrenOf = opts.childrenOf ?? procChildren;
  /** last reading per pid (pids are not reused within a run's seconds, and a reused one only reads as new) */
  const last = new Map<number, number>();
  const open = new Map<string, Period>();
  const closed: { id: string; period: Period }[] = [];
  let lastT = history.now();

  const treeOf = (pid: number): number[] => {
    const out: number[] = [];
    const todo = [pid];
    while (todo.length > 0 && out.length < 64) {
      const p = todo.pop()!;
      out.push(p);
      todo.push(...childrenOf(p));
    }
    return out;
  };

  const close = (id: string) => {
    const period = open.get(id);
    open.delete(id);
    if (period && period.waitMs >= minWaitMs) closed.push({ id, period });
  };

  const sample = (first: boolean) => {
    const t = history.now();
    const span = t - lastT;
    lastT = t;
    for (const [id, pid] of roles()) {
      // the most starved of the role's processes: a worker waiting, or its executor, holds the job
      let waitedMs = 0;
      if (pid !== undefined) {
        for (const p of treeOf(pid)) {
          const ns = readWait(p);
          if (ns === undefined) continue;
          const before = last.get(p);
          last.set(p, ns);
          // a process first seen now was born since the last reading (or this is the first): its whole wait is new
          const delta = (ns - (before ?? (first ? ns : 0))) / 1e6;
          waitedMs = Math.max(waitedMs, delta);
        }
      }
      if (!first && span > 0 && waitedMs >= share * span) {
        const period = open.get(id) ?? { fromT: t - span, toT: t, waitMs: 0 };
        period.toT = t;
        period.waitMs += waitedMs;
        open.set(id, period);
      } else {
        close(id);
      }
    }
  };

  sample(true);
  const timer = setInterval(() => sample(false), intervalMs);
  timer.unref();

  return {
    stop() {
      clearInterval(timer);
      sample(false);
      for (const id of [...open.keys()]) close(id);
      closed.sort((a, b) => a.period.fromT - b.period.fromT);
      closed.forEach(({ id, period }, i) => {
        const stepId = MEASURED_STEP_BASE + i;
        const base = { kind: 'nemesis' as const, stepId, fault: STARVED, target: id };
        history.add({
          ...base,
          t: Math.round(period.fromT * 1000) / 1000,
          type: 'start',
          outcome: 'ok',
          family: 'process',
          effect: 'freezes',
          detail: { kind: STARVED, process: id, measured: true, waitMs: Math.round(period.waitMs) },
        });
        history.add({ ...base, t: Math.round(period.toT * 1000) / 1000, type: 'end' });
      });
      return closed.length;
    },
  };
}
