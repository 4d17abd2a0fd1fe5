// Shard results and their merge. A sharded `chaos --shard K/N` writes, next to summary.json, a
// results.json: the SuiteResult its report was written from (records with stats, verdicts,
// schedules, workloads and kept histories), the shard and the options that define the run.
// `chaos merge DIR...` reads them back, checks that they are the N shards of one run, and
// rebuilds the SuiteResult an unsharded run would have produced (scenarios in canonical order),
// from which the one report is written as usual.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { SuiteResult } from '../runner/suite.ts';
import { shardLabel, shardOf, type Shard } from '../config/shard.ts';
import type { VerifyRow } from '../runner/verify.ts';

export const SHARD_RESULTS_FORMAT = 'chaos-shard-results/1';
export const SHARD_RESULTS_FILE = 'results.json';

/** What defines a run's work: shards of one run agree on all of it. */
export interface RunKey {
  seed: number;
  bugs: string[];
  /** the whole run's scenario selection, in canonical order (before the split) */
  scenarios: string[];
  runs?: number;
  budgetMs?: number;
  workers?: number;
  keepers?: number;
  /** the system under test, when not the reference system, and --redis-config */
  system?: string;
  redisConfig?: string[];
  /** verify only */
  controlRuns?: number;
}

export interface ShardResults {
  format: typeof SHARD_RESULTS_FORMAT;
  kind: 'chaos' | 'verify';
  shard: Shard;
  run: RunKey;
  result: SuiteResult;
  /** verify: the planted-bug rows of this shard's bugs (the whole run's bug list is run.bugs) */
  verify?: VerifyRow[];
  /** verify: this shard's correct-system verdict (false when a bug escaped or the control failed) */
  ok?: boolean;
}

export class MergeError extends Error {}

const int = z.number().int();
const fileSchema = z.looseObject({
  format: z.literal(SHARD_RESULTS_FORMAT),
  kind: z.enum(['chaos', 'verify']),
  shard: z.object({ index: int.min(1), count: int.min(1) }),
  run: z.looseObject({
    seed: int, bugs: z.array(z.string()), scenarios: z.array(z.string()),
    runs: int.optional(), budgetMs: z.number().optional(), workers: int.optional(), keepers: int.optional(), controlRuns: int.optional(),
  }),
  result: z.looseObject({
    seed: int, bugs: z.array(z.string()), durationMs: z.number(), complete: z.boolean(),
    scenarios: z.array(z.looseObject({ scenario: z.string(), verdict: z.string(), records: z.array(z.unknown()) })),
  }),
  verify: z.array(z.looseObject({ bug: z.string() })).optional(),
  ok: z.boolean().optional(),
});

export function shardResults(kind: ShardResults['kind'], shard: Shard, run: RunKey, result: SuiteResult, extra: Pick<ShardResults, 'verify' | 'ok'> = {}): ShardResults {
  return { format: SHARD_RESULTS_FORMAT, kind, shard, run: normalRun(run), result, ...extra };
}

/** undefined fields dropped, so that JSON round trips compare equal */
function normalRun(run: RunKey): RunKey {
  return JSON.parse(JSON.stringify(run)) as RunKey;
}

export interface LoadedShard {
  /** the directory as given */
  dir: string;
  file: ShardResults;
}

/**
 * Where DIR's shard results are: DIR/results.json (a report directory); else, DIR being a
 * --report-dir root, the report its `latest` names (a symlink, or a text file naming the run where
 * symlinks failed), or its only report (an artifact download may drop or copy the symlink).
 */
export async function findShardResults(dir: string): Promise<string> {
  const exists = (p: string) => stat(p).then((x) => x.isFile(), () => false);
  const direct = join(dir, SHARD_RESULTS_FILE);
  if (await exists(direct)) return direct;
  const viaLatest = join(dir, 'latest', SHARD_RESULTS_FILE);
  if (await exists(viaLatest)) return viaLatest;
  const named = await readFile(join(dir, 'latest'), 'utf8').then((t) => t.trim(), () => '');
  if (named && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(named) && (await exists(join(dir, named, SHARD_RESULTS_FILE)))) return join(dir, named, SHARD_RESULTS_FILE);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const reports: string[] = [];
  for (const e of entries) if (e.isDirectory() && e.name !== 'latest' && (await exists(join(dir, e.name, SHARD_RESULTS_FILE)))) reports.push(e.name);
  if (reports.length === 1) return join(dir, reports[0], SHARD_RESULTS_FILE);
  if (reports.length > 1) throw new MergeError(`${dir} holds ${reports.length} reports (${reports.sort().join(', ')}) and no latest: name the shard's report directory`);
  return direct;
}

/** Reads a shard's results (see findShardResults for where). */
export async function loadShard(dir: string): Promise<LoadedShard> {
  const path = await findShardResults(dir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new MergeError(`${dir}: no shard results (${(err as NodeJS.ErrnoException).code ?? 'unreadable'} ${path}; was it written by chaos --shard K/N?)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new MergeError(`${path}: not JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MergeError(`${path}: not shard results: ${issue.path.join('.')}${issue.path.length ? ': ' : ''}${issue.message}`);
  }
  return { dir, file: parsed.data as unknown as ShardResults };
}

const show = (v: unknown) => (v === undefined ? '(default)' : Array.isArray(v) ? (v.length ? v.join(',') : '(none)') : String(v));

const RUN_OPTIONS: { key: keyof RunKey; name: string }[] = [
  { key: 'bugs', name: 'bugs' },
  { key: 'scenarios', name: 'scenarios' },
  { key: 'runs', name: 'runs' },
  { key: 'budgetMs', name: 'budget (ms)' },
  { key: 'workers', name: 'workers' },
  { key: 'keepers', name: 'keepers' },
  { key: 'system', name: 'system' },
  { key: 'redisConfig', name: 'redis-config' },
  { key: 'controlRuns', name: 'control-runs' },
];

export interface Merged {
  kind: ShardResults['kind'];
  run: RunKey;
  count: number;
  /** the shard directories as given, in shard order */
  from: string[];
  result: SuiteResult;
  /** verify: every shard's planted-bug rows, in the run's bug order */
  verify?: VerifyRow[];
  ok?: boolean;
}

/**
 * Checks that the shards are the N shards of one run (same kind, seed, options and N; each of
 * 1..N exactly once; each holding only its own part) and merges them. Throws MergeError with one
 * line naming the problem.
 */
export function mergeShards(shards: readonly LoadedShard[]): Merged {
  if (shards.length === 0) throw new MergeError('merge needs the report directories of the shards: chaos merge DIR...');
  const [first, ...rest] = shards;
  const a = first.file;
  for (const s of rest) {
    const b = s.file;
    if (b.kind !== a.kind) throw new MergeError(`${s.dir} is a ${b.kind} shard but ${first.dir} is a ${a.kind} shard: not the same run`);
    if (b.run.seed !== a.run.seed) throw new MergeError(`${s.dir} ran seed ${b.run.seed} but ${first.dir} ran seed ${a.run.seed}: not the same run`);
    for (const { key, name } of RUN_OPTIONS) {
      if (JSON.stringify(b.run[key]) !== JSON.stringify(a.run[key])) {
        throw new MergeError(`${s.dir} ran with ${name} ${show(b.run[key])} but ${first.dir} with ${name} ${show(a.run[key])}: not the same run`);
      }
    }
    if (b.shard.count !== a.shard.count) throw new MergeError(`${s.dir} is shard ${shardLabel(b.shard)} but ${first.dir} is shard ${shardLabel(a.shard)}: not the same number of shards`);
  }
  const count = a.shard.count;
  const byIndex = new Map<number, LoadedShard>();
  for (const s of shards) {
    const seen = byIndex.get(s.file.shard.index);
    if (seen) throw new MergeError(`shard ${shardLabel(s.file.shard)} given twice: ${seen.dir} and ${s.dir}`);
    byIndex.set(s.file.shard.index, s);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((k) => !byIndex.has(k));
  if (missing.length) {
    throw new MergeError(`shard${missing.length === 1 ? '' : 's'} ${missing.map((k) => `${k}/${count}`).join(', ')} missing (given: ${[...byIndex.keys()].sort((x, y) => x - y).map((k) => `${k}/${count}`).join(', ')})`);
  }

  const run = a.run;
  const canonical = a.kind === 'verify' ? undefined : run.scenarios;
  // chaos: each scenario comes from the shard that was dealt it
  const scenarios: SuiteResult['scenarios'] = [];
  if (canonical) {
    for (const s of shards) {
      for (const r of s.file.result.scenarios) {
        const i = canonical.indexOf(r.scenario);
        if (i < 0) throw new MergeError(`${s.dir} holds scenario ${r.scenario}, which the run did not select`);
        if (shardOf(i, count) !== s.file.shard.index) throw new MergeError(`${s.dir} (shard ${shardLabel(s.file.shard)}) holds scenario ${r.scenario}, which shard ${shardOf(i, count)}/${count} runs`);
      }
    }
    canonical.forEach((name, i) => {
      const r = byIndex.get(shardOf(i, count))!.file.result.scenarios.find((x) => x.scenario === name);
      if (r) scenarios.push(r);
    });
  } else {
    // verify: the control scenarios, each from the one shard that ran it, in canonical order
    const seen = new Map<string, string>();
    for (const s of shards) {
      for (const r of s.file.result.scenarios) {
        if (seen.has(r.scenario)) throw new MergeError(`scenario ${r.scenario} is in two shards: ${seen.get(r.scenario)} and ${s.dir}`);
        seen.set(r.scenario, s.dir);
      }
    }
    for (const name of run.scenarios) {
      for (const s of shards) {
        const r = s.file.result.scenarios.find((x) => x.scenario === name);
        if (r) scenarios.push(r);
      }
    }
  }
  const sorted = [...byIndex.entries()].sort(([x], [y]) => x - y).map(([, s]) => s);
  const ordered = sorted.map((s) => s.file);
  const from = sorted.map((s) => s.dir);
  const result: SuiteResult = {
    seed: run.seed,
    bugs: a.result.bugs,
    scenarios,
    // the shards ran side by side: the run took as long as its slowest shard
    durationMs: Math.max(...ordered.map((f) => f.result.durationMs)),
    complete: ordered.every((f) => f.result.complete),
    ...(a.result.system ? { system: a.result.system } : {}),
    ...(a.result.redisConfig ? { redisConfig: a.result.redisConfig } : {}),
  };
  if (a.kind === 'verify') {
    const rows = ordered.flatMap((f) => f.verify ?? []);
    const verify = run.bugs.flatMap((b) => rows.filter((r) => r.bug === b));
    return { kind: a.kind, run, count, from, result, verify, ok: ordered.every((f) => f.ok === true) };
  }
  return { kind: a.kind, run, count, from, result };
}
