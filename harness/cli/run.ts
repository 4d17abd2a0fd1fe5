// `chaos run` (the default command): run scenarios, write the report, print a summary, exit 0
// (all pass, none vacuous), 1 (a violation, a vacuous scenario, an unknown scenario unless
// --allow-unknown, a suite cut short, a baseline regression) or 2 (usage or environment error).
// --ci changes the output (plain lines), not the exit code. Its options are declared and resolved
// in harness/config/ (command line over config file over defaults), so this subcommand hands them
// its arguments as they were typed.
import { Command } from 'commander';
import { oneLine } from '../text/oneLine.ts';
import { onInterrupt } from '../env/processes.ts';
import { loadSummary, reportSummary } from '../report/index.ts';
import { ReporterMultiplexer, suiteHooks, type Reporter, type RunInfo } from '../report/reporter.ts';
import { DEFAULT_REPORTERS, loadReporters } from '../report/reporters/index.ts';
import { Suite, type SuiteResult } from '../runner/suite.ts';
import { buildCommand, UsageError, type ChaosOptions } from '../config/options.ts';
import { resolveOptions } from '../config/resolve.ts';
import { gateExitCode, runKeyOf } from './gate.ts';
import { shardBudget, shardLabel } from '../config/shard.ts';

/** The figures a --baseline is compared with: the summary.json this run's report holds (but for its run id and time). */
function gateSummary(result: SuiteResult, o: ChaosOptions) {
  return reportSummary(result, { runId: '', createdAt: new Date(), bugs: o.bugs, workers: o.workers, keepers: o.keepers, sim: o.sim, replay: o });
}

/** The docker environment's engine, when this process used it: its containers removed, a dockerd the harness started stopped. */
export async function releaseEngine(env: 'local' | 'docker'): Promise<void> {
  if (env === 'docker') await (await import('../env/docker/engine.ts')).stopEngine();
}

/** `chaos run`: its options, as typed, resolved by harness/config/resolve.ts. */
export async function runChaos(argv: string[], log: (s: string) => void): Promise<number> {
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

/**
 * The run as a subcommand: its arguments go to resolveOptions as typed (a config file may add the
 * scenarios and systems its flags name, and --help prints the run's options).
 */
export function runCommand(commands: () => readonly string[], exit: (code: number) => void, log: (s: string) => void): Command {
  return new Command('run')
    .description('(the default) run chaos scenarios against a system and check its invariants; `chaos run --help` for its options')
    .usage('[options]')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (_options: unknown, cmd: Command) => {
      const first = cmd.args[0];
      if (first !== undefined && !first.startsWith('-')) throw new UsageError(`unknown command "${first}" (commands: ${commands().join(', ')})`);
      exit(await runChaos(cmd.args, log));
    });
}

/** The run's help: its options as harness/config/options.ts declares them. */
export const runHelp = (): string => buildCommand().helpInformation();

/** The run's options as its help lists them, for `chaos --help` (run is the default command). */
export function runOptionsHelp(): string {
  const help = runHelp();
  return help.slice(help.indexOf('Options:')).replace(/^Options:/, 'Options of run (the default command):');
}
