// Shared pieces of `npm run bench`: the benchmark shape, small statistics, formatting,
// environments that are always stopped, CPU time of processes, JSON output.
//
// Speed targets are figures, never assertions: a benchmark reports its goal next to its
// figure and never fails because a goal was missed.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Environment, type EnvironmentOptions } from '../env/environment.ts';
import { reference } from '../systems/reference.ts';
import type { Registry } from '../registry/index.ts';
import type { Capability } from '../systems/types.ts';

export interface BenchContext {
  /** smoke-sized run: fewer runs, rounds, jobs */
  quick: boolean;
  /** runs-per-minute: only these scenarios */
  scenarios?: string[];
  seed: number;
  /** where live runs happen (runs-per-minute, time-to-detect): local processes or containers */
  env: 'local' | 'docker';
  /** the system under test (--system; benchmarks with anySystem) */
  system: string;
  /** the systems it may name: the built-ins and the working directory's config file's */
  registry: Registry;
  /** reports/bench */
  outDir: string;
  log: (line: string) => void;
}

/** A speed target printed next to its figure. `met` is informational only. */
export interface Goal {
  name: string;
  goal: string;
  figure: string;
  met: boolean | null;
}

export interface BenchOutput {
  /** the benchmark's figures, written as reports/bench/<name>.json */
  data: unknown;
  /** tables and lines printed after the benchmark */
  text: string[];
  goals: Goal[];
}

export interface Benchmark {
  name: string;
  summary: string;
  /** it can run its live runs in the docker environment (--env docker) */
  docker?: boolean;
  /** it measures whichever system --system names (the others measure the reference system) */
  anySystem?: boolean;
  /** what a system it measures must provide (with anySystem): `--system all` measures the systems that do, a system named that does not is refused */
  needs?: readonly Capability[];
  run(ctx: BenchContext): Promise<BenchOutput>;
  /**
   * After it ran for several systems in one bench run (`--system all` or a list): their figures
   * side by side, printed after the last, and the data written as reports/bench/<name>-systems.json.
   */
  combine?(runs: readonly { system: string; output: BenchOutput }[]): { data: unknown; text: string[] };
}

// ---------------------------------------------------------------------------------------
// statistics

export function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** Linear-interpolated percentile (p in [0, 100]); NaN for an empty list. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = sorted(xs);
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

export const median = (xs: readonly number[]): number => percentile(xs, 50);
export const mean = (xs: readonly number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
export const max = (xs: readonly number[]): number => (xs.length === 0 ? NaN : Math.max(...xs));
export const min = (xs: readonly number[]): number => (xs.length === 0 ? NaN : Math.min(...xs));
export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------------------------------
// formatting

export function secs(ms: number, digits = 1): string {
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(digits)}s` : '-';
}

export function millis(ms: number, digits = 0): string {
  return Number.isFinite(ms) ? `${ms.toFixed(digits)}ms` : '-';
}

export function num(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

export function pct(fraction: number, digits = 1): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)}%` : '-';
}

export function mib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(0)} MiB` : '-';
}

/** Rounds every float in a JSON value to 3 decimals (figures, not noise). */
export function roundDeep<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isInteger(x) ? Math.round(x * 1000) / 1000 : x))) as T;
}

export function writeJson(outDir: string, name: string, data: unknown): string {
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(roundDeep(data), null, 2) + '\n');
  return file;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// environments

/** Starts an Environment, runs fn, and stops the Environment whatever happens. */
export async function withEnvironment<T>(options: Partial<EnvironmentOptions>, fn: (env: Environment) => Promise<T>): Promise<T> {
  // the reference system unless the options name another
  const env = await Environment.start({ system: reference, ...options });
  try {
    return await fn(env);
  } finally {
    await env.stop();
  }
}

/** Runs async tasks with at most `limit` in flight, in order of the list. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(lanes);
  return out;
}

// ---------------------------------------------------------------------------------------
// CPU time of processes (Linux /proc), to say where the time of a 2-core machine goes

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** user + system CPU milliseconds of a process (and its reaped children), or NaN. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** CPU ms of this Node process (all threads). */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
