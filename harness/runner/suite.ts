import { DEFAULT_ENV_OPTIONS, Environment, type EnvironmentOptions } from '../env/environment.ts';
import type { RunEnvironment } from '../env/surface.ts';
import { runsOf, type Scenario } from './scenario.ts';
import { BUILTINS, checkersFor, systemNamed, type CheckerDef, type Registry } from '../registry/index.ts';
import type { SystemModule } from '../systems/types.ts';
import { liveTarget, runScenario, type RunRecord, type ScenarioResult } from './property.ts';

/** the wall clock, taken before any simulated run installs its virtual one (an interrupt can land while one is installed, and a scenario's duration is wall time) */
const wallNow: () => number = Date.now;

export interface SuiteOptions {
  scenarios: readonly Scenario[];
  seed: number;
  /** overrides every scenario's own number of runs */
  runs?: number;
  path?: string;
  budgetMs?: number;
  /** each scenario runs its soak number of runs (Scenario.soakRuns) */
  soak?: boolean;
  /** runs in simulation (harness/sim/): the reference system in this process on a virtual clock */
  sim?: boolean;
  /**
   * live: a scenario whose coverage goals are still unmet after its own runs draws more, up to
   * SEARCH_CAP times its runs, before it is VACUOUS (the same seed: its first runs are the same
   * plans). A gate on a random seed (verify's control, `chaos` live) is then not failed by one
   * seed's chance. Not with --runs, --budget, --soak or --path: those fix what is run.
   */
  coverUntilCap?: boolean;
  /** a simulated search is guided (harness/runner/guidance.ts) unless false */
  guided?: boolean;
  /** every fault step's duration is drawn from this range instead of the scenario's own (--fault-duration) */
  faultDurationMs?: { minMs: number; maxMs: number };
  /** where live runs happen: local processes (default) or containers (harness/env/docker/) */
  env?: EnvKind;
  workers?: number;
  keepers?: number;
  /** jobs each worker process runs at once (--concurrency) */
  concurrency?: number;
  bugs: string[];
  /** the system under test, by name (default: the reference system) */
  system?: string;
  /** where the system's name and the checkers are looked up (default: the built-ins) */
  registry?: Registry;
  /** redis-server settings after each scenario's own (--redis-config name=value) */
  redisConfig?: string[];
  shrink?: boolean;
  failOn?: readonly string[];
  /** `searchMs`: a budgeted simulated search, with this share of the budget (runs is then its minimum) */
  onScenarioStart?: (scenario: Scenario, runs: number, searchMs?: number, capRuns?: number) => void;
  onRun?: (scenario: Scenario, record: RunRecord) => void;
  onScenarioEnd?: (result: ScenarioResult) => void;
}

export type EnvKind = 'local' | 'docker';

/** What the report says of the system under test. */
export interface SystemInfo {
  name: string;
  /** the library and its exact version */
  label: string;
  /** the settings its processes run with */
  settings: string;
}

export interface SuiteResult {
  seed: number;
  bugs: string[];
  system?: SystemInfo;
  /** redis-server settings given on the command line (--redis-config), in order */
  redisConfig?: string[];
  scenarios: ScenarioResult[];
  durationMs: number;
  /** false when the suite was cut short (interrupt, environment error) */
  complete: boolean;
}

function envOptionsFor(s: Scenario, o: SuiteOptions, system: SystemModule): Partial<EnvironmentOptions> {
  return {
    ...s.env,
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    ...(o.keepers !== undefined ? { keepers: o.keepers } : {}),
    ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
    bugs: o.bugs,
    system,
    ...(o.redisConfig?.length ? { redisConfig: o.redisConfig } : {}),
  };
}

/** a simulated scenario whose coverage goals are unmet at the end of its share goes on, up to this many shares and this many times its own number of runs */
export const SEARCH_CAP = 3;

const sameEnv = (a: Partial<EnvironmentOptions>, b: Partial<EnvironmentOptions>) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Runs scenarios one after another on long-lived servers: an environment is started once and
 * reused by every scenario that asks for the same shape (workers, keepers, AOF).
 */
export class Suite {
  private env: (RunEnvironment & { stop(): Promise<void> }) | undefined;
  private envShape: Partial<EnvironmentOptions> | undefined;
  readonly results: ScenarioResult[] = [];
  private interrupted = false;
  /** the scenario running now and its finished runs, for a report of an interrupted suite */
  private current: { scenario: Scenario; started: number; records: RunRecord[] } | undefined;

  constructor(private readonly o: SuiteOptions) {}

  private startedAt = wallNow();
  private systemInfo: SystemInfo | undefined;

  async run(): Promise<SuiteResult> {
    const started = wallNow();
    this.startedAt = started;
    const registry = this.o.registry ?? BUILTINS;
    const name = this.o.system ?? 'reference';
    const entry = systemNamed(registry, name);
    if (!entry) throw new Error(`no system "${name}" (known: ${registry.systems.map((s) => s.name).join(', ')})`);
    const system = await entry.load();
    // the checkers whose evidence the system provides: the others would judge what it never records
    const checkers: readonly CheckerDef[] = checkersFor(system.provides, registry.checkers);
    this.systemInfo = { name: system.name, label: system.label, settings: system.settings };
    try {
      for (const [i, scenario] of this.o.scenarios.entries()) {
        if (this.interrupted) break;
        const shape = envOptionsFor(scenario, this.o, system);
        // the simulation is loaded only when asked for: it is the one part of the harness that imports the SUT's embedding seam
        const target = this.o.sim
          ? { ...(await import('../sim/run.ts')).simTarget(system, { ...DEFAULT_ENV_OPTIONS, ...shape }, this.o.seed), checkers }
          : liveTarget(await this.liveEnv(shape), checkers);
        const remaining = this.o.budgetMs !== undefined ? this.o.budgetMs - (wallNow() - started) : undefined;
        const budgetMs = remaining !== undefined ? Math.max(1000, Math.floor(remaining / (this.o.scenarios.length - i))) : undefined;
        // in simulation a budget is searched: every scenario draws runs for its share, and past it
        // while a coverage goal is unmet (up to SEARCH_CAP shares); live keeps its counts, and with
        // coverUntilCap draws more only while a coverage goal is unmet (up to SEARCH_CAP times them)
        const search = this.o.sim && budgetMs !== undefined && this.o.runs === undefined && !this.o.path
          ? { shareMs: budgetMs, capMs: budgetMs * SEARCH_CAP, minRuns: scenario.runs, capRuns: scenario.runs * SEARCH_CAP }
          : !this.o.sim && this.o.coverUntilCap && this.o.runs === undefined && this.o.budgetMs === undefined && !this.o.soak && !this.o.path
            ? { shareMs: 0, capMs: 0, minRuns: scenario.runs, capRuns: scenario.runs * SEARCH_CAP }
            : undefined;
        const runs = search ? scenario.runs : runsOf(scenario, { runs: this.o.runs, budgetMs, soak: this.o.soak });
        // a simulated search is told by its share of the budget, a live one by its cap in runs
        this.o.onScenarioStart?.(scenario, runs, this.o.sim ? search?.shareMs : undefined, this.o.sim ? undefined : search?.capRuns);
        const current = { scenario, started: wallNow(), records: [] as RunRecord[] };
        this.current = current;
        const result = await runScenario(target, scenario, {
          runs, seed: this.o.seed, path: this.o.path, ...(search ? { search } : { budgetMs }), shrink: this.o.shrink, failOn: this.o.failOn, guided: this.o.guided, faultDurationMs: this.o.faultDurationMs,
          onRun: (r) => {
            current.records.push(r);
            this.o.onRun?.(scenario, r);
          },
        });
        // interrupted: keep `current`, the report shows its finished runs as cut short
        if (this.interrupted) break;
        this.current = undefined;
        this.results.push(result);
        this.o.onScenarioEnd?.(result);
        if (result.verdict === 'incomplete') break;
      }
    } finally {
      await this.release();
    }
    return this.summary();
  }

  summary(): SuiteResult {
    const started = this.startedAt;
    const scenarios = [...this.results];
    const c = this.current;
    if (c) {
      // the scenario that was cut short: its finished runs, verdict incomplete
      scenarios.push({
        scenario: c.scenario.name, verdict: 'incomplete', runs: c.records.length,
        failedRuns: c.records.filter((r) => r.outcome === 'fail').length, unknownRuns: c.records.filter((r) => r.outcome === 'unknown').length,
        goals: c.scenario.goals.map((g) => ({ name: g.name, metInRuns: c.records.filter((r) => g.met(r.stats)).length })),
        seed: this.o.seed, durationMs: wallNow() - c.started, records: c.records, error: this.interrupted ? 'interrupted' : undefined,
      });
    }
    const complete = !this.interrupted && scenarios.length === this.o.scenarios.length && scenarios.every((r) => r.verdict !== 'incomplete');
    return {
      seed: this.o.seed, bugs: this.o.bugs, scenarios, durationMs: wallNow() - started, complete,
      ...(this.systemInfo ? { system: this.systemInfo } : {}), redisConfig: this.o.redisConfig ?? [],
    };
  }

  /** Ctrl-C: run no further scenario and release the servers now. */
  async interrupt(): Promise<void> {
    this.interrupted = true;
    await this.release();
  }

  /** The live environment for this shape: the one running if it has the same shape, else a new one. */
  private async liveEnv(shape: Partial<EnvironmentOptions>): Promise<RunEnvironment> {
    if (!this.env || !this.envShape || !sameEnv(shape, this.envShape)) {
      await this.env?.stop();
      this.env = undefined;
      // the docker environment is loaded only when asked for (testcontainers, dockerode)
      this.env = this.o.env === 'docker'
        ? await (await import('../env/docker/environment.ts')).DockerEnvironment.start(shape)
        : await Environment.start(shape);
      this.envShape = shape;
    }
    return this.env;
  }

  private async release(): Promise<void> {
    const env = this.env;
    this.env = undefined;
    await env?.stop();
  }
}
