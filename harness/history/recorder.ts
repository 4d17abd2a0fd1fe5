import { performance } from 'node:perf_hooks';
import type { HistoryEntry } from './types.ts';

/** Collects one run's history on one timeline: milliseconds since the run started. */
export class HistoryRecorder {
  readonly entries: HistoryEntry[] = [];
  /** wall clock at run start: Redis stream ids (ms) are placed on the timeline with it */
  readonly startWallMs = Date.now();
  private readonly startMono = performance.now();

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
