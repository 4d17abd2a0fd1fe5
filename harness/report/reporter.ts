// What a run tells its reporters, in Playwright's shape: onBegin, then per scenario
// onScenarioStart, onRun for every run (shrinking runs too) and onScenarioEnd, then onEnd once.
// The console output and the report files are built-in reporters (./reporters/); a user reporter
// is a module path in the config. One multiplexer fans every hook out, in order, and keeps a
// failing reporter from taking the others (or the run's exit code) with it.
import { oneLine } from '../text/oneLine.ts';
import type { ReplayOptions } from '../config/options.ts';
import type { RunRecord, ScenarioResult } from '../runner/property.ts';
import type { Scenario } from '../runner/scenario.ts';
import type { SuiteOptions, SuiteResult } from '../runner/suite.ts';
import type { RunKey } from './merge.ts';
import type { ShardInfo } from './summary.ts';

// what the hooks are handed, for a reporter's own types
export type { RunRecord, ScenarioResult, SuiteResult };

/** What onBegin is told: the run about to start. */
export interface RunInfo {
  seed: number;
  /** the scenarios this process runs, in order */
  scenarios: readonly Scenario[];
  /** what a replay command carries (bugs, workers, keepers, sim, system, config, ...) */
  replay: ReplayOptions;
  /** plain lines instead of a progress bar (--ci, --json, or stderr not a terminal) */
  plain: boolean;
  /** where reports/<run-id>/ is written */
  reportDir: string;
  /** this process runs shard K of N of the run */
  shard?: ShardInfo;
  /** what defines the run's work (results.json, for `chaos merge`) */
  runKey: RunKey;
}

/** What onScenarioStart is told: how many runs, and whether they are a budgeted search. */
export interface ScenarioPlan {
  /** runs to make (a search's minimum) */
  runs: number;
  /** set for a budgeted simulated search: the scenario's share of the budget */
  searchMs?: number;
  /** set live when a scenario draws more runs while a coverage goal is unmet (SuiteOptions.coverUntilCap): at most this many in all */
  capRuns?: number;
}

/** What onEnd is told beside the result. */
export interface EndInfo {
  /** the run was cut short (Ctrl-C): the result holds what finished */
  interrupted: boolean;
}

/**
 * A reporter: every hook optional, sync or async. Hooks are called in this order and never
 * concurrently with each other; a hook that throws or rejects gets one line on stderr and that
 * reporter gets no further hooks.
 */
export interface Reporter {
  onBegin?(run: RunInfo): void | Promise<void>;
  onScenarioStart?(scenario: Scenario, plan: ScenarioPlan): void | Promise<void>;
  onRun?(scenario: Scenario, record: RunRecord): void | Promise<void>;
  onScenarioEnd?(result: ScenarioResult): void | Promise<void>;
  onEnd?(result: SuiteResult, info: EndInfo): void | Promise<void>;
}

export const HOOKS = ['onBegin', 'onScenarioStart', 'onRun', 'onScenarioEnd', 'onEnd'] as const;
export type Hook = (typeof HOOKS)[number];

/** A reporter and the name its failures are reported under (a built-in's name, a module's path). */
export interface NamedReporter {
  name: string;
  reporter: Reporter;
}

export interface ReporterFailure {
  reporter: string;
  hook: Hook;
  message: string;
}

type Args<H extends Hook> = Parameters<NonNullable<Reporter[H]>>;

/**
 * Calls every reporter's hook in list order, one hook after the other (an async hook is awaited
 * before the next reporter's, and a later hook waits for the earlier ones), so output keeps its
 * order. A reporter that throws is reported once on stderr and skipped from then on; the others
 * go on, and the run's exit code is the verdict's: a broken reporter is not a finding about the
 * system (its failures are kept in `failures` for a caller that wants to decide otherwise).
 */
export class ReporterMultiplexer implements Required<Reporter> {
  readonly failures: ReporterFailure[] = [];
  private readonly broken = new Set<NamedReporter>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly reporters: readonly NamedReporter[],
    private readonly log: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  ) {}

  onBegin(...args: Args<'onBegin'>): Promise<void> { return this.fanOut('onBegin', args); }
  onScenarioStart(...args: Args<'onScenarioStart'>): Promise<void> { return this.fanOut('onScenarioStart', args); }
  onRun(...args: Args<'onRun'>): Promise<void> { return this.fanOut('onRun', args); }
  onScenarioEnd(...args: Args<'onScenarioEnd'>): Promise<void> { return this.fanOut('onScenarioEnd', args); }
  onEnd(...args: Args<'onEnd'>): Promise<void> { return this.fanOut('onEnd', args); }

  /** Resolves when every hook called so far has returned; never rejects. */
  private fanOut<H extends Hook>(hook: H, args: Args<H>): Promise<void> {
    this.queue = this.queue.then(async () => {
      for (const r of this.reporters) {
        if (this.broken.has(r)) continue;
        const fn = r.reporter[hook] as ((...a: Args<H>) => unknown) | undefined;
        if (typeof fn !== 'function') continue;
        try {
          await fn.apply(r.reporter, args);
        } catch (err) {
          this.broken.add(r);
          const message = oneLine(err);
          this.failures.push({ reporter: r.name, hook, message });
          this.log(`chaos: reporter ${r.name} failed in ${hook}: ${message} (it gets no further hooks)`);
        }
      }
    });
    return this.queue;
  }
}

/** The Suite's callbacks, handed to the multiplexer (the Suite does not wait for them; the multiplexer's onEnd waits for them all). */
export function suiteHooks(reporter: ReporterMultiplexer): Pick<SuiteOptions, 'onScenarioStart' | 'onRun' | 'onScenarioEnd'> {
  return {
    onScenarioStart: (scenario, runs, searchMs, capRuns) => void reporter.onScenarioStart(scenario, { runs, ...(searchMs !== undefined ? { searchMs } : {}), ...(capRuns !== undefined ? { capRuns } : {}) }),
    onRun: (scenario, record) => void reporter.onRun(scenario, record),
    onScenarioEnd: (result) => void reporter.onScenarioEnd(result),
  };
}
