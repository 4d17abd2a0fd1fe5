// `chaos bench` (`npm run bench`; its options: harness/cli/bench.ts): speed figures of the
// harness and of the reference system. Each benchmark writes reports/bench/<name>.json and prints
// a table; goals are printed next to the figures and never fail the run. Exit 0 when every benchmark ran, 1 when one failed with an error or left a
// process behind, 2 on a usage or environment error.
//
//   npm run bench                                  every benchmark (long: tens of minutes on 2 cores)
//   npm run bench -- --only scaling,vs-bullmq      some of them
//   npm run bench -- --quick                       smoke-sized
//   npm run bench -- --only mutants --mutant a,b --seeds 1,2,3   the mutants benchmark, some mutants, other seeds
//   npm run bench -- --only sim-runs-per-minute --system all      one benchmark for every system it applies to (or --system bullmq,bull)
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import Table from 'cli-table3';
import { PROJECT_ROOT } from '../env/binaries.ts';
import { EnvironmentError } from '../env/errors.ts';
import { oneLine } from '../text/oneLine.ts';
import { listProcesses, OWNER_VAR } from '../env/processes.ts';
import { writeJson, secs, sum, type BenchContext, type BenchOutput, type Benchmark, type Goal } from './common.ts';
import type { Scenario } from '../runner/scenario.ts';
import { checkSystem, UsageError } from '../config/options.ts';
import { loadConfig } from '../config/load.ts';
import { buildRegistry } from '../registry/build.ts';
import { providing, systemNamed, type Registry } from '../registry/index.ts';
import { harnessOverheadBench } from './harness-overhead.ts';
import { listMutants, mutantsBench, type MutantBenchContext } from './mutants.ts';
import { runsPerMinuteBench } from './runs-per-minute.ts';
import { scalingBench } from './scaling.ts';
import { simRunsPerMinuteBench } from './sim.ts';
import { timeToDetectBench } from './time-to-detect.ts';
import { vsBullmqBench } from './vs-bullmq.ts';

export const BENCHMARKS: readonly Benchmark[] = [
  runsPerMinuteBench(),
  timeToDetectBench(),
  harnessOverheadBench(),
  scalingBench(),
  vsBullmqBench(),
  simRunsPerMinuteBench(),
  timeToDetectBench({ sim: true }),
  mutantsBench(),
];

const log = (s: string) => process.stderr.write(s + '\n');

interface BenchOptions {
  only: Benchmark[];
  env: 'local' | 'docker';
  /** the systems each benchmark measures, by its name (one, the reference system, for a benchmark that is not anySystem) */
  systems: Record<string, string[]>;
  quick: boolean;
  scenarios?: string[];
  seed: number;
  out: string;
  /** mutants: --mutant, --seeds, --unguided */
  mutants?: string[];
  seeds?: number[];
  unguided?: boolean;
}

/** What `chaos bench` parsed (harness/cli/bench.ts declares the options). */
export interface BenchArgs {
  only?: string; quick?: boolean; scenario?: readonly Scenario[]; seed: number; out: string; env: 'local' | 'docker'; system: string;
  mutant?: string; seeds?: string; unguided?: boolean;
}

/** --system as bench takes it: one system, a comma-separated list, or `all` (every system each benchmark applies to). */
export function parseBenchSystems(text: string, registry: Registry): string[] | 'all' {
  if (text.trim() === 'all') return 'all';
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError('--system names no system');
  for (const n of names) if (!systemNamed(registry, n)) throw new UsageError(`--system must be all or one or more of ${registry.systems.map((s) => s.name).join(', ')}, got "${n}"`);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new UsageError(`--system names ${twice} twice`);
  return names;
}

/** whether a system provides what a benchmark needs of the systems it measures */
const fits = (b: Benchmark, system: string, registry: Registry) => (b.needs ?? []).every((c) => systemNamed(registry, system)!.provides.capabilities.includes(c));

/** The parsed options, checked against the benchmarks, the systems and each other (UsageError, one line). */
export function benchOptions(o: BenchArgs, registry: Registry): BenchOptions {
  const { env } = o;
  const named = parseBenchSystems(o.system, registry);
  const scenarios = o.scenario?.map((s) => s.name);
  let only = [...BENCHMARKS];
  if (o.only !== undefined) {
    const names = o.only.split(',').map((s) => s.trim()).filter(Boolean);
    if (names.length === 0) throw new UsageError('--only names no benchmark');
    only = names.map((n) => {
      const b = BENCHMARKS.find((x) => x.name === n);
      if (!b) throw new UsageError(`unknown benchmark "${n}" (known: ${BENCHMARKS.map((x) => x.name).join(', ')})`);
      return b;
    });
  }
  if (env === 'docker') {
    // the benchmarks that measure the docker environment; the others measure local processes and the simulation
    if (o.only === undefined) only = only.filter((b) => b.docker);
    const local = only.find((b) => !b.docker);
    if (local) throw new UsageError(`${local.name} runs on local processes only; with --env docker: ${BENCHMARKS.filter((b) => b.docker).map((b) => b.name).join(', ')}`);
  }
  if (named === 'all' || named.some((s) => s !== 'reference')) {
    // the benchmarks that measure any system; the others measure the reference system
    if (o.only === undefined) only = only.filter((b) => b.anySystem);
    const fixed = only.find((b) => !b.anySystem);
    if (fixed) throw new UsageError(`${fixed.name} measures the reference system only; with --system ${o.system}: ${BENCHMARKS.filter((b) => b.anySystem).map((b) => b.name).join(', ')}`);
  }
  if (named !== 'all') {
    // a benchmark that needs what a named system lacks: left out of the default set, refused when asked for
    const lacking = (b: Benchmark) => named.find((s) => b.anySystem && !fits(b, s, registry));
    if (o.only === undefined) only = only.filter((b) => !lacking(b));
    for (const b of only) {
      const s = lacking(b);
      if (s) throw new UsageError(`${b.name} needs a system with ${b.needs!.join(' and ')} (${b.needs!.map((c) => providing(registry, c).join(', ')).join('; ') || 'none'}): ${s} has none`);
    }
  }
  if (only.length === 0) throw new UsageError(`no benchmark measures --system ${o.system}`);
  const systems: Record<string, string[]> = {};
  for (const b of only) {
    // all: the systems that provide what it needs (and images, with --env docker)
    const all = () => registry.systems.filter((s) => fits(b, s.name, registry) && (env !== 'docker' || s.provides.capabilities.includes('containers'))).map((s) => s.name);
    systems[b.name] = !b.anySystem ? ['reference'] : named === 'all' ? all() : named;
    if (systems[b.name]!.length === 0) throw new UsageError(`${b.name} applies to no system: it needs ${b.needs!.join(' and ')}`);
  }
  // the same refusals as chaos --system (docker, a scenario that does not apply), for every system measured
  for (const system of new Set(Object.values(systems).flat())) checkSystem({ system, env, scenarios: o.scenario }, registry);
  const { mutants, seeds } = mutantOptions(o, only);
  if (o.unguided && !only.some((b) => b.name === 'mutants')) throw new UsageError('--unguided applies to the mutants benchmark (--only mutants)');
  return { only, env, systems, quick: Boolean(o.quick), ...(scenarios ? { scenarios } : {}), seed: o.seed, out: path.resolve(o.out), mutants, seeds, ...(o.unguided ? { unguided: true } : {}) };
}

/** --mutant and --seeds: known mutants, integer seeds, and only with the mutants benchmark. */
function mutantOptions(o: { mutant?: string; seeds?: string }, only: readonly Benchmark[]): { mutants?: string[]; seeds?: number[] } {
  if (o.mutant === undefined && o.seeds === undefined) return {};
  if (!only.some((b) => b.name === 'mutants')) throw new UsageError('--mutant and --seeds apply to the mutants benchmark (--only mutants)');
  let mutants: string[] | undefined;
  if (o.mutant !== undefined) {
    mutants = o.mutant.split(',').map((s) => s.trim()).filter(Boolean);
    const known = listMutants().map((m) => m.name);
    if (mutants.length === 0) throw new UsageError('--mutant names no mutant');
    const unknown = mutants.find((n) => !known.includes(n));
    if (unknown) throw new UsageError(`unknown mutant "${unknown}" (known: ${known.join(', ')})`);
  }
  let seeds: number[] | undefined;
  if (o.seeds !== undefined) {
    const parts = o.seeds.split(',').map((s) => s.trim()).filter(Boolean);
    if (parts.length === 0 || parts.some((t) => !/^-?\d+$/.test(t))) throw new UsageError(`--seeds takes comma-separated integers, got "${o.seeds}"`);
    seeds = parts.map(Number);
  }
  return { mutants, seeds };
}


// ---------------------------------------------------------------------------------------
// no server or SUT process may outlive the bench

const PATTERN = 'redis-server|toxiproxy-server|system-under-test/main.ts|examples/|harness/bench/bullmq-worker.ts|harness/bench/scaling-child.ts';

// every process this bench starts inherits the tag (other runs on the machine do not carry it)
const owner = process.env[OWNER_VAR] ?? `bench-${randomUUID()}`;
process.env[OWNER_VAR] = owner;
const harnessProcesses = () => listProcesses(PATTERN);

async function leftovers(before: Map<number, string>): Promise<{ ours: string[]; others: string[] }> {
  let ours: string[] = [];
  let others: string[] = [];
  for (let i = 0; i < 20; i++) {
    const now = [...harnessProcesses()].filter(([pid]) => !before.has(pid));
    const mine = listProcesses(PATTERN, owner);
    ours = now.filter(([pid]) => mine.has(pid)).map(([pid, cmd]) => `${pid} ${cmd}`);
    others = now.filter(([pid]) => !mine.has(pid)).map(([pid, cmd]) => `${pid} ${cmd}`);
    if (ours.length === 0 && others.length === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return { ours, others };
}

// ---------------------------------------------------------------------------------------

function goalTable(rows: { bench: string; goal: Goal }[]): string {
  const t = new Table({ head: ['benchmark', 'figure', 'value', 'goal', ''], style: { head: [], border: [] } });
  for (const { bench, goal } of rows) t.push([bench, goal.name, goal.figure, goal.goal, goal.met === null ? '' : goal.met ? 'met' : 'missed']);
  return t.toString();
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/** `chaos bench` (`npm run bench`): runs the chosen benchmarks; 0 when every one ran, 1 when one failed or left a process behind. */
export async function runBench(args: BenchArgs): Promise<number> {
  // the systems it knows: the built-ins and the working directory's config file's (this repository's adds its examples)
  const { registry } = await buildRegistry(await loadConfig(undefined));
  const o = benchOptions(args, registry);
  const before = harnessProcesses();
  const ctx: MutantBenchContext = { registry, quick: o.quick, scenarios: o.scenarios, seed: o.seed, env: o.env, system: 'reference', outDir: o.out, log, mutants: o.mutants, seeds: o.seeds, unguided: o.unguided };
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', memoryBytes: os.totalmem(), node: process.version, platform: `${os.platform()} ${os.release()}` };
  const measured = (b: Benchmark) => (b.anySystem ? ` (${o.systems[b.name]!.join(', ')})` : '');
  log(`bench: ${o.only.map((b) => b.name + measured(b)).join(', ')}${o.quick ? ' (quick)' : ''}, seed ${o.seed}, ${machine.cpus} CPUs, Node ${machine.node}`);
  const allGoals: { bench: string; goal: Goal }[] = [];
  const failed: string[] = [];
  try {
    await runBenches(o, ctx, machine, before, allGoals, failed);
  } finally {
    // a dockerd the docker environment started, and its containers, do not outlive the bench
    if (o.env === 'docker') await (await import('../env/docker/engine.ts')).stopEngine();
  }
  if (sum(o.only.map((b) => o.systems[b.name]!.length)) > 1 && allGoals.length) process.stdout.write(`\ngoals (figures, never assertions)\n${goalTable(allGoals)}\n`);
  const left = await leftovers(before);
  if (left.others.length) log(`bench: processes that appeared meanwhile but were not started by this bench:\n  ${left.others.join('\n  ')}`);
  if (left.ours.length) log(`bench: LEFT RUNNING:\n  ${left.ours.join('\n  ')}`);
  if (failed.length) log(`bench: failed: ${failed.join(', ')}`);
  return failed.length || left.ours.length ? 1 : 0;
}

async function runBenches(o: BenchOptions, ctx: BenchContext, machine: object, before: Map<number, string>, allGoals: { bench: string; goal: Goal }[], failed: string[]): Promise<void> {
  for (const bench of o.only) {
    const systems = o.systems[bench.name]!;
    const ran: { system: string; output: BenchOutput }[] = [];
    for (const system of systems) {
      const output = await runOne(bench, system, o, { ...ctx, system }, machine, before, allGoals, failed);
      if (output) ran.push({ system, output });
    }
    // several systems in one bench run: their figures side by side
    if (bench.combine && systems.length > 1 && ran.length > 0) {
      const { data, text } = bench.combine(ran);
      process.stdout.write(`\n${bench.name}: ${ran.map((r) => r.system).join(', ')}\n${text.join('\n')}\n`);
      const file = writeJson(o.out, `${bench.name}-systems`, { benchmark: bench.name, quick: o.quick, seed: o.seed, commit: gitCommit(), machine, systems: ran.map((r) => r.system), data });
      log(`${bench.name}: ${path.relative(process.cwd(), file)}`);
    }
  }
}

/** One benchmark on one system: its JSON written and its text printed; its output, or undefined when it failed. */
async function runOne(bench: Benchmark, system: string, o: BenchOptions, ctx: BenchContext, machine: object, before: Map<number, string>, allGoals: { bench: string; goal: Goal }[], failed: string[]): Promise<BenchOutput | undefined> {
  const title = bench.anySystem && system !== 'reference' ? `${bench.name}-${system}` : bench.name;
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const foreign = () => [...harnessProcesses()].filter(([pid]) => !before.has(pid) && !listProcesses(PATTERN, owner).has(pid)).length;
  const othersBefore = foreign();
  log(`\n== ${bench.name}${bench.anySystem ? ` (${system})` : ''}: ${bench.summary} (load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')})`);
  try {
    const result = await bench.run(ctx);
    const finishedAt = new Date();
    const file = writeJson(o.out, title, {
      benchmark: bench.name, ...(bench.anySystem ? { system } : {}), quick: o.quick, seed: o.seed, startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(), commit: gitCommit(), machine,
      // other activity on the machine distorts figures: the load before and after, and servers/SUT processes not ours
      loadAverage: { before: loadBefore, after: os.loadavg() },
      foreignHarnessProcesses: { before: othersBefore, after: foreign() },
      goals: result.goals, data: result.data,
    });
    process.stdout.write(`\n${title} (${startedAt.toISOString()}, ${secs(finishedAt.getTime() - startedAt.getTime())})\n${result.text.join('\n')}\n`);
    if (result.goals.length) process.stdout.write(goalTable(result.goals.map((goal) => ({ bench: bench.name, goal }))) + '\n');
    log(`${bench.name}: ${path.relative(process.cwd(), file)}`);
    allGoals.push(...result.goals.map((goal) => ({ bench: bench.name, goal })));
    return result;
  } catch (err) {
    if (err instanceof EnvironmentError) throw err;
    failed.push(title);
    log(`${title}: FAILED: ${oneLine(err)}`);
    if (process.env.CHAOS_DEBUG) log(String((err as Error).stack));
    return undefined;
  }
}
