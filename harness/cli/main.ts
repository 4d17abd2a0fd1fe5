// `npm run chaos`: run scenarios, write the report, print a summary, exit 0 (all pass, none
// vacuous), 1 (a violation, a vacuous scenario, an unknown scenario unless --allow-unknown, a
// suite cut short, a baseline regression) or 2 (usage or environment error). --ci changes the
// output (plain lines), not the exit code.
import cliProgress from 'cli-progress';
import { EnvironmentError } from '../env/errors.ts';
import { oneLine } from '../text/oneLine.ts';
import { onInterrupt } from '../env/processes.ts';
import { loadSummary, writeReport, type ReportSummary } from '../report/index.ts';
import { Suite, type SuiteResult } from '../runner/suite.ts';
import { UsageError, type ChaosOptions } from '../config/options.ts';
import { resolveOptions } from '../config/resolve.ts';
import { printFailure, printSummary, printUnknown, summaryJson } from './output.ts';
import { parseVerifyOptions, runVerify } from './verify.ts';
import { gateExitCode, runKeyOf } from './gate.ts';
import { runMerge } from './merge.ts';
import { shardResults } from '../report/merge.ts';
import { shardBudget, shardLabel } from '../config/shard.ts';

const log = (s: string) => process.stderr.write(s + '\n');
/** plain output of a budgeted search: one line per this many passing runs */
const SEARCH_LOG_EVERY = 100;

async function report(result: SuiteResult, o: ChaosOptions, incomplete = false): Promise<ReportSummary | undefined> {
  try {
    // every run writes results.json; an unsharded run's is that of shard 1/1 (mergeable alone)
    const shard = {
      ...(o.shard ? { shard: { ...o.shard, scenarios: o.selection.map((s) => s.name) } } : {}),
      shardResults: shardResults('chaos', o.shard ?? { index: 1, count: 1 }, runKeyOf(o), result),
    };
    const files = await writeReport(result, { dir: o.reportDir, bugs: o.bugs, workers: o.workers, keepers: o.keepers, sim: o.sim, replay: o, incomplete, ...shard });
    log(`report: ${files.dir}/index.html${files.chartsError ? ` (charts missing: ${files.chartsError})` : ''}`);
    return files.summary;
  } catch (err) {
    log(`report: could not be written: ${oneLine(err)}`);
    return undefined;
  }
}

/** The docker environment's engine, when this process used it: its containers removed, a dockerd the harness started stopped. */
async function releaseEngine(env: 'local' | 'docker'): Promise<void> {
  if (env === 'docker') await (await import('../env/docker/engine.ts')).stopEngine();
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'merge') return runMerge(argv.slice(1), log);
  if (argv[0] === 'images') return (await import('../env/docker/cli.ts')).runImages(argv.slice(1), log);
  if (argv[0] === 'verify') {
    const vo = parseVerifyOptions(argv.slice(1));
    if (vo === 'help') return 0;
    try {
      return await runVerify(vo, log);
    } finally {
      await releaseEngine(vo.env);
    }
  }
  const parsed = await resolveOptions(argv);
  if (parsed === 'help') return 0;
  const o: ChaosOptions = parsed;
  // read the baseline first: a bad file is a usage error before minutes of running
  const baseline = o.baseline ? await loadSummary(o.baseline).catch((e: unknown) => { throw new UsageError(oneLine(e)); }) : undefined;
  const plain = o.ci || o.json || !process.stderr.isTTY;

  if (o.shard) log(`chaos: shard ${shardLabel(o.shard)} of scenarios ${o.selection.map((s) => s.name).join(',')}: runs ${o.scenarios.map((s) => s.name).join(',') || 'none (more shards than scenarios)'}`);
  log(`chaos: ${o.system === 'reference' ? '' : `system ${o.system}, `}${o.redisConfig.length ? `redis ${o.redisConfig.join(' ')}, ` : ''}seed ${o.seed}, scenarios ${o.scenarios.map((s) => s.name).join(',')}${o.bugs.length ? `, bugs ${o.bugs.join(',')}` : ''}${o.budgetMs ? `, budget ${o.budgetMs / 1000}s` : ''}`);
  const bar = plain ? undefined : new cliProgress.SingleBar({
    format: ' {bar} {value}/{total} runs | {scenario} | failing runs {failed} | unknown {unknown} | {duration_formatted}',
    stream: process.stderr, hideCursor: true, clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  let failed = 0;
  let unknown = 0;
  let searching = false;

  const suite = new Suite({
    scenarios: o.scenarios, seed: o.seed, runs: o.runs, path: o.path, budgetMs: shardBudget(o), soak: o.soak, sim: o.sim, guided: o.guided, faultDurationMs: o.faultDurationMs, env: o.env,
    workers: o.workers, keepers: o.keepers, concurrency: o.concurrency, bugs: o.bugs, system: o.system, redisConfig: o.redisConfig,
    onScenarioStart: (s, runs, searchMs) => {
      searching = searchMs !== undefined;
      if (bar) bar.start(runs, 0, { scenario: s.name, failed: 0, unknown: 0 });
      else log(`[${s.name}] ${s.summary}: ${searchMs ? `searching for ${(searchMs / 1000).toFixed(1)}s (at least ${runs} runs)` : `up to ${runs} runs`}`);
      failed = 0;
      unknown = 0;
    },
    onRun: (s, r) => {
      if (r.outcome === 'fail') failed++;
      if (r.outcome === 'unknown') unknown++;
      if (bar) {
        if (r.index >= bar.getTotal()) bar.setTotal(r.index + 1);
        bar.update(r.index + 1, { scenario: s.name + (r.shrinking ? ' (shrinking)' : ''), failed, unknown });
      } else if (searching && r.outcome === 'pass' && !r.shrinking && (r.index + 1) % SEARCH_LOG_EVERY !== 0) {
        // a budgeted simulated search runs thousands: plain output names every failing or unknown run, and every hundredth
      } else {
        const outcome = r.outcome === 'pass' ? 'ok' : r.outcome === 'fail' ? `VIOLATION (${r.verdicts.filter((v) => v.valid === false).map((v) => v.checker).join(', ')})`
          : `UNKNOWN (${r.verdicts.filter((v) => v.valid === 'unknown').map((v) => v.checker).join(', ')} could not decide)`;
        const settle = `settle ${(r.settleTookMs / 1000).toFixed(1)}s${r.settleCapped ? ' (capped)' : ''}`;
        log(`[${s.name}] run ${r.index + 1}${r.shrinking ? ' (shrinking)' : ''}: ${outcome} in ${(r.durationMs / 1000).toFixed(1)}s, ${settle}, ${r.schedule.length} fault steps`);
      }
    },
    onScenarioEnd: (result) => {
      bar?.stop();
      if (!bar) log(`[${result.scenario}] ${result.verdict.toUpperCase()}: ${result.runs} runs in ${(result.durationMs / 1000).toFixed(1)}s`);
      if (result.verdict === 'fail') printFailure(result, o, log);
      if (result.verdict === 'unknown') printUnknown(result, log);
      if (result.verdict === 'incomplete') log(`[${result.scenario}] stopped: ${result.error}`);
    },
  });

  // Ctrl-C: stop the servers, keep what finished in a report marked incomplete
  let interrupted = false;
  const offInterrupt = onInterrupt(async () => {
    interrupted = true;
    bar?.stop();
    await suite.interrupt();
    const partial = suite.summary();
    printSummary(partial, log);
    await report(partial, o, true);
  });
  const result = await suite.run().finally(() => (interrupted ? undefined : releaseEngine(o.env)));
  // after Ctrl-C the interrupt handler writes the report and exits 130
  if (interrupted) return new Promise<number>(() => undefined);
  offInterrupt();
  if (o.json) process.stdout.write(JSON.stringify({ ...summaryJson(result, o), ...(o.shard ? { shard: { ...o.shard, scenarios: o.selection.map((s) => s.name) } } : {}) }, null, 2) + '\n');
  printSummary(result, log);
  const summary = await report(result, o);
  return gateExitCode(result, summary, { ...o, baseline }, log);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const usage = err instanceof UsageError || err instanceof EnvironmentError;
    process.stderr.write(`chaos: ${oneLine(err)}${err instanceof UsageError && err.seeHelp ? ' (see --help)' : ''}\n`);
    if (!usage && process.env.CHAOS_DEBUG) process.stderr.write(String((err as Error).stack) + '\n');
    process.exit(usage ? 2 : 1);
  },
);
