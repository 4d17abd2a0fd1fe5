import type { HistoryEntry } from './types.ts';

// `performance` and `Date` are looked up on the global object at each call: the simulation puts
// a virtual clock there, and a run's history then lives on it.

/** Collects one run's history on one timeline: milliseconds since the run started. */
export class HistoryRecorder {
  readonly entries: HistoryEntry[] = [];
  /** wall clock at run start: Redis stream ids (ms) are placed on the timeline with it */
  readonly startWallMs = Date.now();
  private readonly startMono = performance.now();
  private lastOpId = 0;

  /** a client operation's id, unique in this history (a run's ids do not depend on the runs before it) */
  nextOpId(): number {
    return ++this.lastOpId;
  }

  now(): number {
    return Math.round((performance.now() - this.startMono) * 1000) / 1000;
  }

  /** A wall-clock time (e.g. a Redis stream id's ms part) on this run's timeline. */
  fromWall(ms: number): number {
    return ms - this.startWallMs;
  }

  add(entry: HistoryEntry): void {
    this.entries.push(entry);
  }
}
