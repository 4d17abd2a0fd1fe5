// Progress on stderr while scenarios run: a progress bar on a terminal, else (--ci, --json, a
// pipe) one plain line per scenario start, run and verdict.
import cliProgress from 'cli-progress';
import type { RunRecord, ScenarioResult } from '../../runner/property.ts';
import type { Scenario } from '../../runner/scenario.ts';
import type { Reporter, RunInfo, ScenarioPlan } from '../reporter.ts';
import { stderrLine } from './console.ts';

/** plain output of a budgeted search: one line per this many passing runs */
const SEARCH_LOG_EVERY = 100;

export class ProgressReporter implements Reporter {
  private bar: cliProgress.SingleBar | undefined;
  private failed = 0;
  private unknown = 0;
  private searching = false;

  constructor(private readonly log: (line: string) => void = stderrLine) {}

  onBegin(run: RunInfo): void {
    this.bar = run.plain ? undefined : new cliProgress.SingleBar({
      format: ' {bar} {value}/{total} runs | {scenario} | failing runs {failed} | unknown {unknown} | {duration_formatted}',
      stream: process.stderr, hideCursor: true, clearOnComplete: true,
    }, cliProgress.Presets.shades_classic);
  }

  onScenarioStart(s: Scenario, plan: ScenarioPlan): void {
    this.searching = plan.searchMs !== undefined;
    if (this.bar) this.bar.start(plan.runs, 0, { scenario: s.name, failed: 0, unknown: 0 });
    else this.log(`[${s.name}] ${s.summary}: ${plan.searchMs ? `searching for ${(plan.searchMs / 1000).toFixed(1)}s (at least ${plan.runs} runs)` : plan.capRuns ? `${plan.runs} runs, up to ${plan.capRuns} while a coverage goal is unmet` : `up to ${plan.runs} runs`}`);
    this.failed = 0;
    this.unknown = 0;
  }

  onRun(s: Scenario, r: RunRecord): void {
    if (r.outcome === 'fail') this.failed++;
    if (r.outcome === 'unknown') this.unknown++;
    const bar = this.bar;
    if (bar) {
      if (r.index >= bar.getTotal()) bar.setTotal(r.index + 1);
      bar.update(r.index + 1, { scenario: s.name + (r.shrinking ? ' (shrinking)' : ''), failed: this.failed, unknown: this.unknown });
    } else if (this.searching && r.outcome === 'pass' && !r.shrinking && (r.index + 1) % SEARCH_LOG_EVERY !== 0) {
      // a budgeted simulated search runs thousands: plain output names every failing or unknown run, and every hundredth
    } else {
      const outcome = r.outcome === 'pass' ? 'ok' : r.outcome === 'fail' ? `VIOLATION (${r.verdicts.filter((v) => v.valid === false).map((v) => v.checker).join(', ')})`
        : `UNKNOWN (${r.verdicts.filter((v) => v.valid === 'unknown').map((v) => v.checker).join(', ')} could not decide)`;
      const settle = `settle ${(r.settleTookMs / 1000).toFixed(1)}s${r.settleCapped ? ' (capped)' : ''}`;
      this.log(`[${s.name}] run ${r.index + 1}${r.shrinking ? ' (shrinking)' : ''}: ${outcome} in ${(r.durationMs / 1000).toFixed(1)}s, ${settle}, ${r.schedule.length} fault steps`);
    }
  }

  onScenarioEnd(result: ScenarioResult): void {
    this.bar?.stop();
    if (!this.bar) this.log(`[${result.scenario}] ${result.verdict.toUpperCase()}: ${result.runs} runs in ${(result.durationMs / 1000).toFixed(1)}s`);
  }

  onEnd(): void {
    // Ctrl-C: the bar of the scenario that was cut short
    this.bar?.stop();
  }
}
