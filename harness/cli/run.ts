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
import { gateExitCode } from './gate.ts';
import { shardLabel } from '../config/shard.ts';
import { asJob, jobCount, jobReporters, runJobs } from './jobs.ts';

/** The figures a --baseline is compared with: the summary.json this run's report holds (but for its run id and time). */
function gateSummary(result: SuiteResult, o: ChaosOptions) {
  const { replay } = o.report;
  return reportSummary(result, { runId: '', createdAt: new Date(), bugs: replay.bugs, workers: replay.workers, keepers: replay.keepers, sim: replay.sim, replay });
}

/** The docker environment's engine, when this process used it: its containers removed, a dockerd the harness started stopped. */
export async function releaseEngine(env: 'local' | 'docker'): Promise<void> {
  if (env === 'docker') await (await import('../env/docker/engine.ts')).stopEngine();
}

/** What the run says before it starts: its shard, system, seed, scenarios and budget, and what the default suite skips. */
function printHeader(o: ChaosOptions, log: (s: string) => void): void {
  const s = o.suite;
  if (o.shard) log(`chaos: shard ${shardLabel(o.shard)} of scenarios ${o.selection.map((x) => x.name).join(',')}: runs ${s.scenarios.map((x) => x.name).join(',') || 'none (more shards than scenarios)'}`);
  log(`chaos: ${s.system === 'reference' ? '' : `system ${s.system}, `}${s.redisConfig.length ? `redis ${s.redisConfig.join(' ')}, ` : ''}seed ${s.seed}, scenarios ${s.scenarios.map((x) => x.name).join(',')}${s.bugs.length ? `, bugs ${s.bugs.join(',')}` : ''}${o.run.budgetMs ? `, budget ${o.run.budgetMs / 1000}s` : ''}`);
  // the default suite leaves out what does not apply to the system, and says why
  for (const x of o.skipped) log(`chaos: skips ${x.scenario}: ${x.why}`);
}

/** `chaos run`: its options, as typed, resolved by harness/config/resolve.ts. */
export async function runChaos(argv: string[], log: (s: string) => void): Promise<number> {
  const parsed = await resolveOptions(argv);
  if (parsed === 'help') return 0;
  // --jobs N (./jobs.ts): the run as N processes, or this process as one of them
  const jobs = jobCount(parsed);
  const o: ChaosOptions = parsed.job !== undefined ? asJob(parsed) : parsed;
  const { suite: s, report, gate } = o;
  // read the baseline first: a bad file is a usage error before minutes of running (a job's parent holds it to the merged run)
  const baseline = gate.baseline && o.job === undefined ? await loadSummary(gate.baseline).catch((e: unknown) => { throw new UsageError(oneLine(e)); }) : undefined;
  if (jobs > 1) {
    printHeader(o, log);
    return runJobs(argv, o, jobs, baseline, log);
  }
  // the console and the report are built-in reporters (or the config's, paths relative to its file); --json adds the summary on stdout
  const chosen = report.reporters ?? DEFAULT_REPORTERS;
  const reporters = o.job !== undefined ? jobReporters(o, log)
    : new ReporterMultiplexer(await loadReporters([...chosen, ...(report.json && !chosen.includes('json') ? ['json'] : [])] as (string | Reporter)[], o.config?.dir ?? process.cwd()), log);
  const run: RunInfo = {
    seed: s.seed, scenarios: s.scenarios, replay: report.replay, plain: report.ci || report.json || !process.stderr.isTTY, reportDir: report.dir, runKey: o.run,
    ...(o.shard ? { shard: { ...o.shard, scenarios: o.selection.map((x) => x.name) } } : {}),
  };

  if (o.job === undefined) printHeader(o, log);
  await reporters.onBegin(run);

  // live, a scenario whose coverage goals its runs left unmet draws more before it is VACUOUS (suite.ts)
  const suite = new Suite({ ...s, coverUntilCap: true, ...suiteHooks(reporters) });

  // Ctrl-C: stop the servers, keep what finished in a report marked incomplete
  let interrupted = false;
  const offInterrupt = onInterrupt(async () => {
    interrupted = true;
    await suite.interrupt();
    await reporters.onEnd(suite.summary(), { interrupted: true });
  });
  const result = await suite.run().finally(() => (interrupted ? undefined : releaseEngine(s.env)));
  // after Ctrl-C the interrupt handler writes the report and exits 130
  if (interrupted) return new Promise<number>(() => undefined);
  offInterrupt();
  // a reporter that failed has said so on stderr; the exit code is the verdict's
  await reporters.onEnd(result, { interrupted: false });
  // a job's gate is said once, by its parent of the merged run
  return gateExitCode(result, baseline ? gateSummary(result, o) : undefined, { ...gate, baseline }, o.job === undefined ? log : () => undefined);
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
