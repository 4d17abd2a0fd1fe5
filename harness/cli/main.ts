// `npm run chaos`: run scenarios, write the report, print a summary, exit 0 (all pass, none
// vacuous), 1 (a violation, a vacuous scenario, an unknown scenario unless --allow-unknown, a
// suite cut short, a baseline regression) or 2 (usage or environment error). --ci changes the
// output (plain lines), not the exit code.
import { EnvironmentError } from '../env/errors.ts';
import { oneLine } from '../text/oneLine.ts';
import { onInterrupt } from '../env/processes.ts';
import { loadSummary, reportSummary } from '../report/index.ts';
import { ReporterMultiplexer, suiteHooks, type Reporter, type RunInfo } from '../report/reporter.ts';
import { DEFAULT_REPORTERS, loadReporters } from '../report/reporters/index.ts';
import { Suite, type SuiteResult } from '../runner/suite.ts';
import { UsageError, type ChaosOptions } from '../config/options.ts';
import { resolveOptions } from '../config/resolve.ts';
import { parseVerifyOptions, runVerify } from './verify.ts';
import { gateExitCode, runKeyOf } from './gate.ts';
import { runMerge } from './merge.ts';
import { shardBudget, shardLabel } from '../config/shard.ts';

const log = (s: string) => process.stderr.write(s + '\n');

/** The figures a --baseline is compared with: the summary.json this run's report holds (but for its run id and time). */
function gateSummary(result: SuiteResult, o: ChaosOptions) {
  return reportSummary(result, { runId: '', createdAt: new Date(), bugs: o.bugs, workers: o.workers, keepers: o.keepers, sim: o.sim, replay: o });
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
  // the console and the report are built-in reporters; --json adds the summary on stdout
  // the config's reporters (names, or paths relative to the config file) in place of the defaults
  const chosen = o.config?.extend?.reporters ?? DEFAULT_REPORTERS;
  const reporters = new ReporterMultiplexer(await loadReporters([...chosen, ...(o.json && !chosen.includes('json') ? ['json'] : [])] as (string | Reporter)[], o.config?.dir ?? process.cwd()), log);
  const run: RunInfo = {
    seed: o.seed, scenarios: o.scenarios, replay: o, plain: o.ci || o.json || !process.stderr.isTTY, reportDir: o.reportDir, runKey: runKeyOf(o),
    ...(o.shard ? { shard: { ...o.shard, scenarios: o.selection.map((s) => s.name) } } : {}),
  };

  if (o.shard) log(`chaos: shard ${shardLabel(o.shard)} of scenarios ${o.selection.map((s) => s.name).join(',')}: runs ${o.scenarios.map((s) => s.name).join(',') || 'none (more shards than scenarios)'}`);
  log(`chaos: ${o.system === 'reference' ? '' : `system ${o.system}, `}${o.redisConfig.length ? `redis ${o.redisConfig.join(' ')}, ` : ''}seed ${o.seed}, scenarios ${o.scenarios.map((s) => s.name).join(',')}${o.bugs.length ? `, bugs ${o.bugs.join(',')}` : ''}${o.budgetMs ? `, budget ${o.budgetMs / 1000}s` : ''}`);
  // the default suite leaves out what does not apply to the system, and says why
  for (const s of o.skipped) log(`chaos: skips ${s.scenario}: ${s.why}`);
  await reporters.onBegin(run);

  const suite = new Suite({
    scenarios: o.scenarios, seed: o.seed, runs: o.runs, path: o.path, budgetMs: shardBudget(o), soak: o.soak, sim: o.sim, guided: o.guided, faultDurationMs: o.faultDurationMs, env: o.env,
    workers: o.workers, keepers: o.keepers, concurrency: o.concurrency, bugs: o.bugs, system: o.system, registry: o.registry, redisConfig: o.redisConfig,
    ...suiteHooks(reporters),
  });

  // Ctrl-C: stop the servers, keep what finished in a report marked incomplete
  let interrupted = false;
  const offInterrupt = onInterrupt(async () => {
    interrupted = true;
    await suite.interrupt();
    await reporters.onEnd(suite.summary(), { interrupted: true });
  });
  const result = await suite.run().finally(() => (interrupted ? undefined : releaseEngine(o.env)));
  // after Ctrl-C the interrupt handler writes the report and exits 130
  if (interrupted) return new Promise<number>(() => undefined);
  offInterrupt();
  // a reporter that failed has said so on stderr; the exit code is the verdict's
  await reporters.onEnd(result, { interrupted: false });
  return gateExitCode(result, baseline ? gateSummary(result, o) : undefined, { ...o, baseline }, log);
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
