import { Environment, type EnvironmentOptions } from '../env/environment.ts';
import type { Scenario } from './scenario.ts';
import { runScenario, type RunRecord, type ScenarioResult } from './property.ts';

export interface SuiteOptions {
  scenarios: readonly Scenario[];
  seed: number;
  /** overrides every scenario's own number of runs */
  runs?: number;
  path?: string;
  budgetMs?: number;
  workers?: number;
  keepers?: number;
  bugs: string[];
  shrink?: boolean;
  onScenarioStart?: (scenario: Scenario, runs: number) => void;
  onRun?: (scenario: Scenario, record: RunRecord) => void;
  onScenarioEnd?: (result: ScenarioResult) => void;
}

export interface SuiteResult {
  seed: number;
  bugs: string[];
  scenarios: ScenarioResult[];
  durationMs: number;
  /** false when the suite was cut short (interrupt, environment error) */
  complete: boolean;
}

function envOptionsFor(s: Scenario, o: SuiteOptions): Partial<EnvironmentOptions> {
  return {
    ...s.env,
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    ...(o.keepers !== undefined ? { keepers: o.keepers } : {}),
    bugs: o.bugs,
  };
}

const sameEnv = (a: Partial<EnvironmentOptions>, b: Partial<EnvironmentOptions>) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Runs scenarios one after another on long-lived servers: an environment is started once and
 * reused by every scenario that asks for the same shape (workers, keepers, AOF).
 */
export class Suite {
  private env: Environment | undefined;
  private envShape: Partial<EnvironmentOptions> | undefined;
  readonly results: ScenarioResult[] = [];
  private interrupted = false;

  constructor(private readonly o: SuiteOptions) {}

  async run(): Promise<SuiteResult> {
    const started = Date.now();
    try {
      for (const [i, scenario] of this.o.scenarios.entries()) {
        if (this.interrupted) break;
        const shape = envOptionsFor(scenario, this.o);
        if (!this.env || !this.envShape || !sameEnv(shape, this.envShape)) {
          await this.env?.stop();
          this.env = undefined;
          this.env = await Environment.start(shape);
          this.envShape = shape;
        }
        const remaining = this.o.budgetMs !== undefined ? this.o.budgetMs - (Date.now() - started) : undefined;
        const budgetMs = remaining !== undefined ? Math.max(1000, Math.floor(remaining / (this.o.scenarios.length - i))) : undefined;
        const runs = this.o.runs ?? scenario.runs;
        this.o.onScenarioStart?.(scenario, runs);
        const result = await runScenario(this.env, scenario, {
          runs, seed: this.o.seed, path: this.o.path, budgetMs, shrink: this.o.shrink,
          onRun: (r) => this.o.onRun?.(scenario, r),
        });
        this.results.push(result);
        this.o.onScenarioEnd?.(result);
        if (result.verdict === 'incomplete') break;
      }
    } finally {
      await this.release();
    }
    return this.summary(started);
  }

  summary(started: number): SuiteResult {
    const complete = !this.interrupted && this.results.length === this.o.scenarios.length && this.results.every((r) => r.verdict !== 'incomplete');
    return { seed: this.o.seed, bugs: this.o.bugs, scenarios: this.results, durationMs: Date.now() - started, complete };
  }

  /** Ctrl-C: run no further scenario and release the servers now. */
  async interrupt(): Promise<void> {
    this.interrupted = true;
    await this.release();
  }

  private async release(): Promise<void> {
    const env = this.env;
    this.env = undefined;
    await env?.stop();
  }
}
