// summary.json: the machine-readable report. It extends summaryJson (what `--json` prints) with
// the figures a regression gate compares (latency quantiles, stats totals, planted-bug rows)
// and is validated with zod when read back, so a gate never compares a malformed file.

import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { coverageCounts } from '../checkers/coverage.ts';
import { describeStep } from '../nemesis/index.ts';
import { replayCommand, type ReplayOptions } from '../config/options.ts';
import type { RunRecord, ScenarioResult } from '../runner/property.ts';
import type { SuiteResult } from '../runner/suite.ts';
import { faultsHit, scenarioLatency, settleDistribution, statsTotals } from './series.ts';

/** Evidence messages kept per undecided checker (per run in a run's record, per scenario in the aggregate). */
const UNKNOWN_EVIDENCE_LIMIT = 10;

export function violationsOf(result: ScenarioResult): number {
  return result.records.filter((r) => r.outcome === 'fail').reduce((n, r) => n + r.verdicts.filter((v) => v.valid === false).reduce((k, v) => k + v.evidence.length, 0), 0);
}

/** One checker that could not decide in a scenario's unknown runs: which runs, and why (unique evidence messages). */
export interface Undecided {
  checker: string;
  runs: number[];
  evidence: string[];
}

/** The checkers that returned unknown in the runs whose outcome was unknown, in checker order of first appearance. */
export function undecidedOf(result: Pick<ScenarioResult, 'records'>): Undecided[] {
  const byChecker = new Map<string, Undecided>();
  for (const r of result.records) {
    if (r.outcome !== 'unknown') continue;
    for (const v of r.verdicts) {
      if (v.valid !== 'unknown') continue;
      let u = byChecker.get(v.checker);
      if (!u) byChecker.set(v.checker, (u = { checker: v.checker, runs: [], evidence: [] }));
      u.runs.push(r.index);
      for (const e of v.evidence) {
        if (u.evidence.length < UNKNOWN_EVIDENCE_LIMIT && !u.evidence.includes(e.message)) u.evidence.push(e.message);
      }
    }
  }
  return [...byChecker.values()];
}

/** to 0.1 ms: performance.now() differences carry float noise */
const ms1 = (ms: number) => Math.round(ms * 10) / 10;

/** One run in summary.json: its outcome, settle time, its statistics, and the checkers that failed or could not decide. */
export function runJson(r: RunRecord) {
  return {
    index: r.index,
    outcome: r.outcome,
    shrinking: r.shrinking,
    durationMs: ms1(r.durationMs),
    settleTookMs: ms1(r.settleTookMs),
    settleCapped: r.settleCapped,
    // what the run exercised: how many faults bit and on what, what each judgment had to judge
    stats: coverageCounts(r.stats),
    faultsHit: r.stats.faultsHit,
    failed: r.verdicts.filter((v) => v.valid === false).map((v) => v.checker),
    unknown: r.verdicts.filter((v) => v.valid === 'unknown').map((v) => ({ checker: v.checker, evidence: v.evidence.slice(0, UNKNOWN_EVIDENCE_LIMIT).map((e) => e.message) })),
  };
}

/** Machine-readable summary: what `--json` prints; the report's summary.json builds on the same figures. */
export function summaryJson(result: SuiteResult, options: ReplayOptions) {
  // a replay names the system and the Redis settings the runs had
  const o = { ...options, system: result.system?.name, redisConfig: result.redisConfig };
  return {
    seed: result.seed,
    bugs: result.bugs,
    ...(result.system ? { system: result.system } : {}),
    redisConfig: result.redisConfig ?? [],
    complete: result.complete,
    durationMs: result.durationMs,
    scenarios: result.scenarios.map((s) => ({
      scenario: s.scenario,
      verdict: s.verdict,
      runs: s.runs,
      failedRuns: s.failedRuns,
      unknownRuns: s.unknownRuns,
      violations: violationsOf(s),
      goals: s.goals,
      durationMs: s.durationMs,
      /** checkers that could not decide in the unknown runs */
      unknown: undecidedOf(s),
      settle: settleDistribution(s.records),
      ...(s.error ? { error: s.error } : {}),
      ...(s.failure ? {
        failure: {
          schedule: s.failure.run.schedule.map(describeStep),
          violations: s.failure.run.verdicts.filter((v) => v.valid === false).map((v) => ({ checker: v.checker, evidence: v.evidence.map((e) => e.message) })),
          replay: replayCommand(o, s.scenario, s.seed, s.failure.path),
        },
      } : {}),
      records: s.records.map(runJson),
      ...(s.recordsOmitted ? { recordsOmitted: s.recordsOmitted } : {}),
    })),
  };
}

/** One planted bug of a verify run: which scenario and checker caught it, and how fast. */
export type VerifyRow = {
  bug: string;
  /** scenario that caught it; null when the bug escaped */
  caughtBy: string | null;
  checker: string | null;
  runs: number;
  timeToDetectMs: number | null;
  /** steps of the shrunk schedule */
  scheduleSize: number | null;
  replay: string | null;
};

/** shard K of N: its index, the number of shards, and the scenario selection of the whole run */
export type ShardInfo = { index: number; count: number; scenarios: string[] };
/** a report merged from N shards: the shard directories it was merged from, in shard order */
export type MergedInfo = { shards: number; from: string[] };

export type HeadlineVerdict = 'PASS' | 'FAIL' | 'UNKNOWN' | 'INCOMPLETE';

const count = z.number().int().nonnegative();
const quantilesSchema = z.object({ p50: z.number(), p95: z.number(), p99: z.number(), samples: count });

const statsSchema = z.object({
  transitionsApplied: count,
  transitionsIgnored: count,
  staleIgnored: count,
  duplicateExecutions: count,
  jobsSplitAcrossKeepers: count,
  reclaimedJobs: count,
  faults: count,
  // counted since the nemesis records failed and empty fault steps; absent from older summaries
  faultsFailed: count.optional(),
  faultsEmpty: count.optional(),
  faultsWhileInFlight: count,
  jobsCompleted: count,
  jobsFailed: count,
  jobsCancelled: count,
  submitsOk: count,
  submitsIndeterminate: count,
  // counted since payloadOutcome judges outcomes; absent from older summaries
  outcomesJudged: count.optional(),
  failuresJudged: count.optional(),
  timeoutsJudged: count.optional(),
  stalledOut: count.optional(),
  longestRunMs: z.number().optional(),
  // counted since the workload's clients retry, hedge and send one key twice; absent from older summaries
  reexecutionsJudged: count.optional(),
  jobTakeovers: count.optional(),
  keeperTakeovers: count.optional(),
  jobsAfterHeal: count.optional(),
  outcomesBeforeAck: count.optional(),
  sameKeyOverlaps: count.optional(),
  keylessSubmitsCut: count.optional(),
  cancelsDuringFaults: count.optional(),
  readsDuringFaults: count.optional(),
  cancelsAcrossOutage: count.optional(),
});

const verifyRowSchema = z.looseObject({
  bug: z.string(),
  caughtBy: z.string().nullable(),
  checker: z.string().nullable(),
  runs: count,
  timeToDetectMs: z.number().nullable(),
  scheduleSize: count.nullable(),
  replay: z.string().nullable(),
});

/** one run: its outcome, how long its settle took, the checkers that failed or could not decide */
const runSchema = z.looseObject({
  index: count,
  outcome: z.enum(['pass', 'fail', 'unknown']),
  shrinking: z.boolean(),
  durationMs: z.number(),
  settleTookMs: z.number(),
  settleCapped: z.boolean(),
  failed: z.array(z.string()),
  unknown: z.array(z.object({ checker: z.string(), evidence: z.array(z.string()) })),
});

const settleSchema = z.object({ minMs: z.number(), p50Ms: z.number(), p95Ms: z.number(), maxMs: z.number(), runs: count, capped: count });

// Fields added after the first baselines were committed are optional, so an older summary.json
// still loads as a baseline.
const scenarioSchema = z.looseObject({
  scenario: z.string(),
  verdict: z.enum(['pass', 'fail', 'unknown', 'vacuous', 'incomplete']),
  runs: count,
  failedRuns: count,
  /** runs in which no checker found a violation but one could not decide */
  unknownRuns: count.optional(),
  /** the undecided checkers of those runs, their run indices and evidence */
  unknown: z.array(z.object({ checker: z.string(), runs: z.array(count), evidence: z.array(z.string()) })).optional(),
  /** settle time over all runs; null when no run finished */
  settle: settleSchema.nullable().optional(),
  records: z.array(runSchema).optional(),
  /** a budgeted search's passing runs left out of records (and of the figures drawn from them) */
  recordsOmitted: count.optional(),
  violations: count,
  goals: z.array(z.object({ name: z.string(), metInRuns: count })),
  durationMs: z.number(),
  error: z.string().optional(),
  failure: z.object({
    schedule: z.array(z.string()),
    violations: z.array(z.object({ checker: z.string(), evidence: z.array(z.string()) })),
    replay: z.string(),
  }).optional(),
  /** job latency over all runs; null when no job reached a terminal state */
  latency: quantilesSchema.nullable(),
  stats: statsSchema,
  /** fault steps that bit, by `kind → role` (coverage.ts roleOf), over all runs */
  faultsHit: z.record(z.string(), count).optional(),
  /** histories of failing and unknown runs, relative to the report directory */
  histories: z.array(z.string()),
  /** what each system process wrote in those runs (stdout and stderr), relative to the report directory; absent in older summaries */
  logs: z.array(z.string()).optional(),
});

export const summarySchema = z.looseObject({
  runId: z.string(),
  createdAt: z.string(),
  verdict: z.enum(['PASS', 'FAIL', 'UNKNOWN', 'INCOMPLETE']),
  seed: z.number().int(),
  bugs: z.array(z.string()),
  complete: z.boolean(),
  incomplete: z.boolean(),
  durationMs: z.number(),
  workers: z.number().int().optional(),
  keepers: z.number().int().optional(),
  /** the system under test (absent in reports written before systems were named: the reference system) */
  system: z.object({ name: z.string(), label: z.string(), settings: z.string() }).optional(),
  /** redis-server settings given with --redis-config */
  redisConfig: z.array(z.string()).optional(),
  scenarios: z.array(scenarioSchema),
  verify: z.array(verifyRowSchema).optional(),
  /** set on the report of one shard of a sharded run */
  shard: z.object({ index: count, count, scenarios: z.array(z.string()) }).optional(),
  /** set on a report merged from shards */
  merged: z.object({ shards: count, from: z.array(z.string()) }).optional(),
});

export type ReportSummary = z.infer<typeof summarySchema>;
export type ScenarioSummary = ReportSummary['scenarios'][number];

export interface SummaryInput {
  runId: string;
  createdAt: Date;
  bugs: string[];
  workers?: number;
  keepers?: number;
  /** simulated runs: replay commands carry --sim */
  sim?: boolean;
  /** the rest of what the run's replay commands carry (--concurrency, --fault-duration, --no-guidance, --config, ...) */
  replay?: Partial<ReplayOptions>;
  incomplete?: boolean;
  verify?: VerifyRow[];
  /** scenario name → history files written for its failing and unknown runs */
  histories?: ReadonlyMap<string, string[]>;
  /** scenario name → process logs written for its failing and unknown runs */
  logs?: ReadonlyMap<string, string[]>;
  shard?: ShardInfo;
  merged?: MergedInfo;
}

/**
 * What the runs that finished found outranks a cut-short suite: FAIL (a violation or a vacuous
 * scenario), else UNKNOWN (a checker could not decide), else INCOMPLETE, else PASS.
 */
export function headlineVerdict(result: SuiteResult, incomplete: boolean): HeadlineVerdict {
  if (result.scenarios.some((s) => s.verdict === 'fail' || s.verdict === 'vacuous')) return 'FAIL';
  if (result.scenarios.some((s) => s.verdict === 'unknown')) return 'UNKNOWN';
  if (incomplete || result.scenarios.some((s) => s.verdict === 'incomplete')) return 'INCOMPLETE';
  return 'PASS';
}

export function isIncomplete(result: SuiteResult, flagged = false): boolean {
  return flagged || !result.complete || result.scenarios.some((s) => s.verdict === 'incomplete');
}

export function reportSummary(result: SuiteResult, input: SummaryInput): ReportSummary {
  const base = summaryJson(result, { ...input.replay, bugs: input.bugs, workers: input.workers, keepers: input.keepers, sim: input.sim });
  const incomplete = isIncomplete(result, input.incomplete);
  return {
    runId: input.runId,
    createdAt: input.createdAt.toISOString(),
    verdict: headlineVerdict(result, incomplete),
    ...base,
    complete: !incomplete,
    incomplete,
    ...(input.workers !== undefined ? { workers: input.workers } : {}),
    ...(input.keepers !== undefined ? { keepers: input.keepers } : {}),
    scenarios: base.scenarios.map((s, i) => ({
      ...s,
      latency: scenarioLatency(result.scenarios[i]),
      stats: statsTotals(result.scenarios[i].records),
      faultsHit: faultsHit(result.scenarios[i].records),
      histories: input.histories?.get(s.scenario) ?? [],
      logs: input.logs?.get(s.scenario) ?? [],
    })),
    ...(input.verify ? { verify: input.verify } : {}),
    ...(input.shard ? { shard: input.shard } : {}),
    ...(input.merged ? { merged: input.merged } : {}),
  };
}

/** "scenarios[0].verdict: Invalid option: expected one of ..." */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})` : '';
  return `${path ? `${path}: ` : ''}${issue.message}${more}`;
}

/** Reads and validates a summary.json; throws an Error with one readable line naming the file. */
export async function loadSummary(path: string): Promise<ReportSummary> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${path}: cannot read summary (${code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not JSON: ${(err as Error).message}`);
  }
  const parsed = summarySchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path}: not a report summary: ${describeIssue(parsed.error)}`);
  return parsed.data;
}
