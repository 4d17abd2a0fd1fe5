import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import type { Scenario } from '../runner/scenario.ts';
import type { SuiteOptions } from '../runner/suite.ts';
import type { RunKey } from '../report/merge.ts';
import type { Extensions } from './schema.ts';
import { parseShard, shardBudget, shardItems, type Shard } from './shard.ts';
import { COMPILED } from '../env/binaries.ts';
import { BUILTINS, providing, scenarioNamed, systemNamed, whyNot, type Registry } from '../registry/index.ts';

export class UsageError extends Error {
  readonly exitCode = 2;
  /** false: the line says all there is to say; no "(see --help)" */
  constructor(message: string, readonly seeHelp = true) {
    super(message);
  }
}

/**
 * The one resolved object a run works from: the command line over the config file over the
 * defaults, resolved once (parseOptions), in sections, each handed as it is to the part that
 * reads it: the suite (harness/runner/suite.ts), the run key (what its shards agree on), the
 * reporters, and the exit code's gate.
 */
export interface ChaosOptions {
  /** what the suite runs: this process's scenarios (its shard's, when sharded) and its share of the budget; Suite takes it with the reporters' hooks added */
  suite: SuiteSettings;
  /** what defines the run's work: the shards of one run must agree on every field (results.json, `chaos merge`) */
  run: RunKey;
  /** what the reporters are told: where the report goes, what the console looks like, what a replay command carries */
  report: ReportSettings;
  /** what the exit code is held to besides the verdicts */
  gate: GateSettings;
  /** the whole run's selection, in canonical order (equal to suite.scenarios unless sharded) */
  selection: Scenario[];
  /** the scenarios the default selection leaves out, each with why (empty when scenarios were named) */
  skipped: { scenario: string; why: string }[];
  /** --shard K/N */
  shard?: Shard;
  /** --seed (or the file's seed) was given: otherwise suite.seed was drawn */
  seedGiven: boolean;
  /** --jobs N as typed (harness/cli/jobs.ts decides how many processes run) */
  jobs?: number;
  /** internal (--job DIR): this process is one job of a `--jobs N` run, its results go to DIR/results.json (harness/cli/jobs.ts) */
  job?: string;
  /** the config file these options came from in part: its path relative to the working directory, and what it set */
  config?: LoadedConfig;
}

type SuiteHooks = 'onScenarioStart' | 'onRun' | 'onScenarioEnd' | 'shrink' | 'failOn';
/** The suite's section: SuiteOptions without the hooks the reporters add, every default filled in. */
export type SuiteSettings = Omit<SuiteOptions, SuiteHooks | 'scenarios'> & Required<Pick<SuiteOptions, 'soak' | 'sim' | 'guided' | 'env' | 'system' | 'registry' | 'redisConfig'>> & {
  /** --scenario (or the default suite of the system), this shard's part of it */
  scenarios: Scenario[];
};

/** The reporters' section. */
export interface ReportSettings {
  /** --report-dir: where reports/<run-id>/ is written */
  dir: string;
  /** --json: the summary on stdout too */
  json: boolean;
  /** --ci: plain lines, no progress bar */
  ci: boolean;
  /** the config's reporters (built-in names, module paths relative to the config file, or objects); absent: the built-in defaults */
  reporters?: readonly (string | object)[];
  /** what every replay command of the run carries (replayCommand): derived from this object, naming the config file when there is one */
  replay: ReplayOptions;
}

/** The gate's section: what fails the exit code besides a violation or a vacuous scenario. */
export interface GateSettings {
  /** an unknown verdict (a checker could not decide) does not fail the exit code or the baseline gate */
  allowUnknown: boolean;
  /** --baseline: a previous summary.json a regression is judged against */
  baseline?: string;
  /** --p99-tolerance */
  p99TolerancePct?: number;
}

/** What a replay command carries besides the scenario, seed and path. */
export interface ReplayOptions {
  bugs: string[];
  workers?: number;
  keepers?: number;
  concurrency?: number;
  sim?: boolean;
  guided?: boolean;
  faultDurationMs?: DurationRange;
  env?: 'local' | 'docker';
  system?: string;
  redisConfig?: readonly string[];
  config?: LoadedConfig;
}

/** What commander gives: every run option, parsed; --config, the file's path as given. */
export interface RawOptions {
  scenario?: Scenario[]; runs?: number; seed?: number; path?: string; budget?: number; soak?: boolean; sim?: boolean; guidance: boolean; faultDuration?: DurationRange; env: 'local' | 'docker';
  system: string; redisConfig?: string[];
  workers?: number; keepers?: number; concurrency?: number; bugs?: string[]; json?: boolean; ci?: boolean; allowUnknown?: boolean;
  reportDir: string; baseline?: string; p99Tolerance?: number; shard?: Shard; config?: string; jobs?: number; job?: string;
}

/** The options a config file may set, parsed like their flags (harness/config/schema.ts). */
export type FileOptions = Partial<Pick<RawOptions,
  'scenario' | 'runs' | 'seed' | 'budget' | 'soak' | 'sim' | 'guidance' | 'faultDuration' | 'env' | 'system' | 'redisConfig'
  | 'workers' | 'keepers' | 'concurrency' | 'bugs' | 'allowUnknown' | 'reportDir' | 'baseline' | 'p99Tolerance'>>;

/** A loaded config file: its path relative to the working directory, its options, and what it adds to the registries. */
export interface LoadedConfig {
  file: string;
  /** found in the working directory rather than named by --config: a replay run there finds it again, so it is not named */
  found?: true;
  /** the folder its module paths are relative to (absolute); absent: the working directory */
  dir?: string;
  options: FileOptions;
  /** after harness/registry/build.ts: every scenario a Scenario (paths loaded), every other entry a loaded value */
  extend?: Extensions;
}

const BUG_NAME = /^[a-z][a-z0-9-]*$/;

/** `--sim` without --runs, --path or --soak searches for this long (spread over the scenarios) */
export const SIM_BUDGET_MS = 60_000;

/** "90s", "5m", "1500ms", "2h" or a bare number of seconds. */
export function parseDuration(text: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new InvalidArgumentError(`"${text}" is not a duration (like 90s, 5m, 1500ms)`);
  if (ms < 1000) throw new InvalidArgumentError(`budget ${text} is shorter than one second`);
  return ms;
}

/** "90s", "5m", "1500ms", "2h" or a bare number of seconds, in ms; undefined when it is none */
function durationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']) : undefined;
}

export interface DurationRange {
  minMs: number;
  maxMs: number;
}

/** how long one fault step may be: an hour covers any timer worth finding */
const MAX_FAULT_MS = 3_600_000;

/** `--fault-duration 5s-15s` (or one duration: exactly that long); each side like --budget's, from 0 ms. */
export function parseDurationRange(text: string): DurationRange {
  const one = (t: string): number => {
    const ms = durationMs(t);
    if (ms === undefined) throw new InvalidArgumentError(`"${text}" is not a duration range (like 5s-15s, 800ms-2s, or 10s)`);
    return ms;
  };
  const [a, b, ...rest] = text.split('-');
  if (rest.length > 0 || a === undefined) throw new InvalidArgumentError(`"${text}" is not a duration range (like 5s-15s, 800ms-2s, or 10s)`);
  const minMs = one(a);
  const maxMs = b === undefined ? minMs : one(b);
  if (maxMs < minMs) throw new InvalidArgumentError(`--fault-duration ${text}: the longest is shorter than the shortest`);
  if (maxMs > MAX_FAULT_MS) throw new InvalidArgumentError(`--fault-duration ${text}: longer than an hour`);
  return { minMs, maxMs };
}

/** a range as --fault-duration takes it back */
export const formatDurationRange = (r: DurationRange): string => (r.minMs === r.maxMs ? `${r.minMs}ms` : `${r.minMs}ms-${r.maxMs}ms`);

export const intIn = (name: string, min: number, max: number) => (text: string) => {
  const r = z.coerce.number().int().min(min).max(max).safeParse(text);
  if (!/^-?\d+$/.test(text.trim()) || !r.success) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  return r.data;
};

export function parseScenarios(text: string, registry: Registry = BUILTINS): Scenario[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError('no scenario named');
  return names.map((name) => {
    const s = scenarioNamed(registry, name);
    if (!s) throw new InvalidArgumentError(`unknown scenario "${name}" (known: ${registry.scenarios.map((x) => x.name).join(', ')})`);
    return s;
  });
}

export function parseEnv(text: string): 'local' | 'docker' {
  if (text !== 'local' && text !== 'docker') throw new InvalidArgumentError(`--env must be local or docker, got "${text}"`);
  return text;
}

export function parseSystem(text: string, registry: Registry = BUILTINS): string {
  if (!systemNamed(registry, text)) throw new InvalidArgumentError(`--system must be one of ${registry.systems.map((s) => s.name).join(', ')}, got "${text}"`);
  return text;
}

/** Settings the harness owns: they say where Redis listens and keeps its files, so a user cannot move them. */
const HARNESS_REDIS_SETTINGS = new Set(['port', 'bind', 'requirepass', 'dir', 'daemonize', 'protected-mode', 'proc-title-template', 'include', 'unixsocket', 'tls-port']);

/** `--redis-config name=value`, repeatable: collected in order. */
export function collectRedisConfig(text: string, previous: string[] = []): string[] {
  const m = /^([a-z][a-z0-9-]*)=(.+)$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`--redis-config takes name=value (like appendonly=no), got "${text}"`);
  if (HARNESS_REDIS_SETTINGS.has(m[1]!)) throw new InvalidArgumentError(`--redis-config ${m[1]} is set by the harness (it says where Redis listens and keeps its files)`);
  return [...previous, `${m[1]}=${m[2]!.trim()}`];
}

/**
 * The checks --system adds, from what the system provides (SystemModule.provides): --sim, --env
 * docker, --bugs and --concurrency each need a capability; a scenario that does not apply to it
 * is refused with the reason.
 */
export function checkSystem(o: { system: string; sim?: boolean; env?: string; bugs?: readonly string[]; concurrency?: number; scenarios?: readonly Scenario[] }, registry: Registry = BUILTINS): void {
  const simOnly = o.sim ? undefined : o.scenarios?.find((s) => s.simOnly);
  if (simOnly) throw new UsageError(`scenario ${simOnly.name} runs in simulation only (${simOnly.simOnly}): add --sim`, false);
  const system = systemNamed(registry, o.system);
  if (!system) throw new UsageError(`--system must be one of ${registry.systems.map((s) => s.name).join(', ')}, got "${o.system}"`);
  const lacks = (c: Parameters<typeof providing>[1]) => !system.provides.capabilities.includes(c);
  const where = (c: Parameters<typeof providing>[1]) => providing(registry, c).join(', ') || 'no system';
  if (o.sim && lacks('simulation')) throw new UsageError(`--sim needs a system with a simulated form (${where('simulation')}): drop --sim for --system ${o.system}`);
  if (o.env === 'docker' && lacks('containers')) throw new UsageError(`--env docker needs a system with container images (${where('containers')}): drop it for --system ${o.system}`);
  if (o.bugs?.length && lacks('planted-bugs')) throw new UsageError(`--bugs needs a system with planted bugs (${where('planted-bugs')}): ${o.system} has none`);
  if ((o.concurrency ?? 1) > 1 && lacks('concurrency')) throw new UsageError(`--concurrency ${o.concurrency}: the ${o.system} system's workers run one job at a time; it applies to ${where('concurrency')}`, false);
  for (const s of o.scenarios ?? []) {
    const why = whyNot(s, system);
    if (why) throw new UsageError(`scenario ${s.name} does not apply to ${o.system}: ${why}`, false);
  }
}

/** The scenarios a system runs by default: every one that applies to it; live, none that runs only in simulation or only on request. */
export function defaultScenarios(system: string, sim = false, registry: Registry = BUILTINS): Scenario[] {
  const entry = systemNamed(registry, system);
  return registry.scenarios.filter((s) => entry !== undefined && whyNot(s, entry) === undefined && (sim || (!s.simOnly && !s.liveOnRequest)));
}

/** The scenarios a system leaves out of its default suite, each with why (printed with the suite). */
export function skippedScenarios(system: string, sim = false, registry: Registry = BUILTINS): { scenario: string; why: string }[] {
  const entry = systemNamed(registry, system);
  if (!entry) return [];
  return registry.scenarios.flatMap((s) => {
    const why = whyNot(s, entry) ?? (sim ? undefined : s.simOnly ? `it runs in simulation only (${s.simOnly}): add --sim` : s.liveOnRequest ? `live, it runs only when named (${s.liveOnRequest}): --scenario ${s.name}` : undefined);
    return why ? [{ scenario: s.name, why }] : [];
  });
}

export function parseBugs(text: string): string[] {
  const bugs = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const b of bugs) if (!BUG_NAME.test(b)) throw new InvalidArgumentError(`"${b}" is not a bug name`);
  return bugs;
}

function parsePath(text: string): string {
  if (!/^\d+(:\d+)*$/.test(text)) throw new InvalidArgumentError(`path "${text}" is not a fast-check path (like 3:0:1)`);
  return text;
}

export function buildCommand(registry: Registry = BUILTINS): Command {
  const systems = registry.systems.map((s) => s.name);
  return new Command('chaos')
    .description('Run chaos scenarios against the reference job system and check its invariants')
    .option('--scenario <names>', `comma-separated scenarios (${registry.scenarios.map((s) => s.name).join(', ')})`, (t) => parseScenarios(t, registry))
    .option('--runs <n>', 'runs per scenario (default: each scenario\'s own)', intIn('--runs', 1, 100000))
    .option('--seed <n>', 'fast-check seed (32-bit integer); printed on every run', intIn('--seed', -2147483648, 2147483647))
    .option('--path <p>', 'replay one counterexample: the path printed with a failure', parsePath)
    .option('--budget <duration>', 'wall-time budget for the whole suite, e.g. 90s or 5m. With --sim (default 60s): every scenario searches its share, longer while a coverage goal is unmet; live: explore runs on until it is spent', parseDuration)
    .option('--soak', 'each scenario runs its soak number of runs (explore more); what `npm run soak` passes')
    .option('--sim', 'deterministic simulation: the reference system\'s own code in this process, on an in-process Redis and a virtual clock')
    .option('--no-sim', 'live runs, when the config file says sim')
    .option('--fault-duration <range>', 'every fault step lasts a duration drawn from this range instead of the scenario\'s own, e.g. 5s-15s (outages past the system\'s timers) or 200ms', parseDurationRange)
    .option('--no-guidance', 'with --sim: draw every plan fresh instead of mutating the ones that reached new behaviour more often (a guided search)')
    .option('--env <env>', 'where the system runs: local (processes) or docker (containers; see docs)', parseEnv, 'local')
    .option('--system <name>', `the system under test: ${systems.join(', ')} (it runs the scenarios that apply to it)`, (t) => parseSystem(t, registry), 'reference')
    .option('--redis-config <name=value>', 'a redis-server setting, after the scenario\'s own (repeatable), e.g. appendonly=no; recorded in the report', collectRedisConfig)
    .option('--workers <n>', 'worker processes', intIn('--workers', 1, 16))
    .option('--keepers <n>', 'keeper processes', intIn('--keepers', 1, 2))
    .option('--concurrency <n>', 'jobs each worker process runs at once (bullmq, bull, bee-queue; the reference system\'s workers run one)', intIn('--concurrency', 1, 64))
    .option('--bugs <names>', 'planted bugs to switch on in the SUT, comma-separated', parseBugs)
    .option('--json', 'print the summary as JSON on stdout')
    .option('--ci', 'plain lines, no progress bar (the CI regression gate)')
    .option('--allow-unknown', 'exit 0 even when a checker could not decide (verdict UNKNOWN); the report still shows it')
    .option('--report-dir <dir>', 'where reports/<run-id>/ is written', 'reports')
    .option('--shard <K/N>', 'run shard K of N (needs --seed): a disjoint part of the scenarios; merge the N reports with `chaos merge`', parseShard)
    .option('--jobs <n>', 'with --sim: run the suite as n processes side by side, each a shard of the scenarios searching the whole --budget, merged into one report (default for a budgeted search: the cores, at most one per scenario; 1: in this process)', intIn('--jobs', 1, 256))
    .addOption(new Option('--job <dir>', 'internal: one job of a --jobs run, its results written to <dir>').hideHelp())
    .option('--baseline <file>', 'compare with a previous summary.json: a regression fails the gate')
    .option('--p99-tolerance <pct>', 'with --baseline: also fail when a scenario\'s p99 job latency grew by more than pct %', intIn('--p99-tolerance', 0, 100000))
    .option('--config <file>', `the config file (default: the first of ${CONFIG_NAMES.join(', ')} in the working directory); the command line wins over it`);
}

/** The config files looked for in the working directory, in this order. */
export const CONFIG_NAMES = ['chaos.config.ts', 'chaos.config.mts', 'chaos.config.js', 'chaos.config.mjs'] as const;

/**
 * The one place options are resolved: the command line over the config file over the defaults.
 * A commander default (--system reference, --env local, --report-dir reports) is not "given":
 * only a value whose source is the command line wins over the file's.
 */
export function resolveRaw(cmd: Command, file?: FileOptions): RawOptions {
  const cli = cmd.opts<RawOptions>();
  if (!file) return cli;
  const merged: Record<string, unknown> = { ...cli };
  for (const [key, value] of Object.entries(file)) {
    if (value !== undefined && cmd.getOptionValueSource(key) !== 'cli') merged[key] = value;
  }
  return merged as unknown as RawOptions;
}

/** A config's options with its scenario selection (built by harness/registry/build.ts: every path loaded). */
function fileOptionsOf(config: LoadedConfig): FileOptions {
  const selected = config.extend?.scenarios;
  if (!selected) return config.options;
  const scenarios = selected.map((s) => {
    if ('path' in s && !('name' in s)) throw new UsageError(`scenarios: ${s.path} was not loaded (the registry is built from the config first: resolveOptions)`, false);
    return s as Scenario;
  });
  return { ...config.options, scenario: scenarios };
}

/** Run commander quietly: 'help' when help was printed, UsageError (one line) on bad input. */
export function parseCommand(cmd: Command, argv: string[]): 'help' | 'ok' {
  cmd.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: (s) => process.stdout.write(s) });
  try {
    cmd.parse(argv, { from: 'user' });
    return 'ok';
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') return 'help';
      throw new UsageError(err.message.replace(/^error: /, ''));
    }
    throw err;
  }
}

/**
 * Parse argv into validated options, over a loaded config file's (harness/config/: found and
 * read by resolveOptions); throws UsageError with one readable line.
 */
export function parseOptions(argv: string[], config?: LoadedConfig, registry: Registry = BUILTINS): ChaosOptions | 'help' {
  const cmd = buildCommand(registry);
  if (parseCommand(cmd, argv) === 'help') return 'help';
  const o = resolveRaw(cmd, config && fileOptionsOf(config));
  // a file's guidance: false is a setting for its simulated runs; a live run has nothing to guide
  if (cmd.getOptionValueSource('guidance') !== 'cli' && !o.sim) o.guidance = true;
  if (o.p99Tolerance !== undefined && !o.baseline) throw new UsageError('--p99-tolerance needs --baseline');
  if (o.path && o.seed === undefined) throw new UsageError('--path needs the --seed it was printed with');
  if (o.path && (!o.scenario || o.scenario.length !== 1)) throw new UsageError('--path replays one scenario: give exactly one --scenario');
  if (o.shard && o.seed === undefined) throw new UsageError('--shard needs --seed so every shard runs the same work');
  if (o.sim && o.env === 'docker') throw new UsageError('--sim runs in this process: drop --env docker');
  if (!o.guidance && !o.sim) throw new UsageError('--no-guidance applies to a simulated search: add --sim (live runs are always drawn fresh)');
  // the in-process Redis keeps every write across a restart, as redis-server with appendfsync always:
  // a setting that would lose writes live (appendonly=no) would pass silently in simulation
  if (o.sim && o.redisConfig?.length) throw new UsageError(`--redis-config sets redis-server's own settings, and the simulation's Redis has none (it keeps every write across a restart, like appendfsync always): drop --sim or --redis-config ${o.redisConfig[0]}`);
  if (o.shard && o.path) throw new UsageError('--path replays one counterexample on one machine: drop --shard');
  checkSystem({ system: o.system, sim: o.sim, env: o.env, bugs: o.bugs, concurrency: o.concurrency, scenarios: o.scenario }, registry);
  const chosen = o.scenario ?? defaultScenarios(o.system, Boolean(o.sim), registry);
  const selection = canonicalOrder(chosen, registry);
  const scenarios = o.shard ? shardItems(selection, o.shard) : chosen;
  const seed = o.seed ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const budgetMs = o.budget ?? (o.sim && o.runs === undefined && !o.path && !o.soak ? SIM_BUDGET_MS : undefined);
  const sim = Boolean(o.sim);
  const guided = sim && o.guidance;
  const bugs = o.bugs ?? [];
  const redisConfig = o.redisConfig ?? [];
  const optional = {
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    ...(o.keepers !== undefined ? { keepers: o.keepers } : {}),
  };
  // what the suite runs with and every replay carries
  const perRun = { ...optional, ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}), ...(o.faultDuration ? { faultDurationMs: o.faultDuration } : {}) };
  return {
    suite: {
      scenarios, seed, runs: o.runs, path: o.path, budgetMs: shardBudget({ budgetMs, shard: o.shard, scenarios: scenarios.length, selection: selection.length }),
      soak: Boolean(o.soak), sim, guided, env: o.env, ...perRun, bugs, system: o.system, registry, redisConfig,
    },
    run: {
      seed, bugs, scenarios: selection.map((s) => s.name), runs: o.runs, budgetMs, ...optional,
      ...(o.system !== 'reference' ? { system: o.system } : {}), ...(redisConfig.length ? { redisConfig } : {}),
    },
    report: {
      dir: o.reportDir, json: Boolean(o.json), ci: Boolean(o.ci),
      ...(config?.extend?.reporters ? { reporters: config.extend.reporters } : {}),
      replay: {
        bugs, ...perRun, sim, guided, env: o.env, system: o.system, redisConfig, ...(config ? { config } : {}),
      },
    },
    gate: { allowUnknown: Boolean(o.allowUnknown), ...(o.baseline !== undefined ? { baseline: o.baseline } : {}), ...(o.p99Tolerance !== undefined ? { p99TolerancePct: o.p99Tolerance } : {}) },
    selection,
    skipped: o.scenario ? [] : skippedScenarios(o.system, sim, registry),
    ...(o.shard ? { shard: o.shard } : {}),
    seedGiven: o.seed !== undefined,
    ...(o.jobs !== undefined ? { jobs: o.jobs } : {}),
    ...(o.job !== undefined ? { job: o.job } : {}),
    ...(config ? { config } : {}),
  };
}

/**
 * A selection in canonical order (SCENARIOS'), duplicates dropped: what a sharded run deals out
 * and a merge orders by, so `--scenario b,a` and `--scenario a,b` are the same run.
 */
export function canonicalOrder(selection: readonly Scenario[], registry: Registry = BUILTINS): Scenario[] {
  return registry.scenarios.filter((s) => selection.includes(s));
}

/** How a replay runs chaos: this repository's npm script from source, the installed package's bin when compiled. */
const CHAOS = COMPILED ? 'npx chaos' : 'npm run chaos --';

/** The command that replays a scenario's counterexample: from the run's resolved options (ChaosOptions.report.replay). */
export function replayCommand(o: ReplayOptions, scenario: string, seed: number, path: string): string {
  // the config file (when --config named it: one found in the working directory is found there again), so the replay runs with its settings; what the file sets and this run does not, said against it
  const config = o.config && !o.config.found ? [`--config ${/\s/.test(o.config.file) ? `'${o.config.file}'` : o.config.file}`] : [];
  const file = o.config?.options ?? {};
  const parts = [
    CHAOS, ...config, ...(o.sim ? ['--sim'] : file.sim ? ['--no-sim'] : []), ...(o.sim && o.guided === false ? ['--no-guidance'] : []), ...(o.env === 'docker' ? ['--env docker'] : []),
    ...(file.env === 'docker' && o.env !== 'docker' ? ['--env local'] : []),
    ...(file.system && file.system !== 'reference' && (o.system ?? 'reference') === 'reference' ? ['--system reference'] : []),
    ...(o.system && o.system !== 'reference' ? [`--system ${o.system}`] : []),
    ...(o.redisConfig ?? []).map((c) => `--redis-config ${/\s/.test(c) ? `'${c}'` : c}`),
    `--scenario ${scenario}`, `--seed ${seed}`, `--path ${path}`,
    ...(o.faultDurationMs ? [`--fault-duration ${formatDurationRange(o.faultDurationMs)}`] : []),
  ];
  if (o.bugs.length) parts.push(`--bugs ${o.bugs.join(',')}`);
  if (o.workers !== undefined) parts.push(`--workers ${o.workers}`);
  if (o.keepers !== undefined) parts.push(`--keepers ${o.keepers}`);
  if (o.concurrency !== undefined) parts.push(`--concurrency ${o.concurrency}`);
  return parts.join(' ');
}
