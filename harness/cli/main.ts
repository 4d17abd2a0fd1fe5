// `npm run chaos`: run scenarios, print a summary, exit 0 (all pass, none vacuous), 1 (a violation
// or a vacuous scenario) or 2 (usage or environment error).
import cliProgress from 'cli-progress';
import { EnvironmentError, oneLine } from '../env/errors.ts';
import { onInterrupt } from '../env/processes.ts';
import { Suite } from '../runner/suite.ts';
import { parseOptions, UsageError, type ChaosOptions } from './options.ts';
import { parseVerifyOptions, runVerify } from './verify.ts';
import { printFailure, printSummary, suiteExitCode, summaryJson } from './output.ts';

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'verify') {
    const vo = parseVerifyOptions(argv.slice(1));
    return vo === 'help' ? 0 : runVerify(vo, (s) => process.stderr.write(s + '\n'));
  }
  const parsed = parseOptions(argv);
  if (parsed === 'help') return 0;
  const o: ChaosOptions = parsed;
  const plain = o.ci || o.json || !process.stderr.isTTY;
  const log = (s: string) => process.stderr.write(s + '\n');

  log(`chaos: seed ${o.seed}, scenarios ${o.scenarios.map((s) => s.name).join(',')}${o.bugs.length ? `, bugs ${o.bugs.join(',')}` : ''}${o.budgetMs ? `, budget ${o.budgetMs / 1000}s` : ''}`);
  const bar = plain ? undefined : new cliProgress.SingleBar({
    format: ' {bar} {value}/{total} runs | {scenario} | failing runs {failed} | {duration_formatted}',
    stream: process.stderr, hideCursor: true, clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  let failed = 0;

  const suite = new Suite({
    scenarios: o.scenarios, seed: o.seed, runs: o.runs, path: o.path, budgetMs: o.budgetMs,
    workers: o.workers, keepers: o.keepers, bugs: o.bugs,
    onScenarioStart: (s, runs) => {
      if (bar) bar.start(runs, 0, { scenario: s.name, failed: 0 });
      else log(`[${s.name}] ${s.summary}: up to ${runs} runs`);
      failed = 0;
    },
    onRun: (s, r) => {
      if (!r.valid) failed++;
      if (bar) {
        if (r.index >= bar.getTotal()) bar.setTotal(r.index + 1);
        bar.update(r.index + 1, { scenario: s.name + (r.shrinking ? ' (shrinking)' : ''), failed });
      } else {
        log(`[${s.name}] run ${r.index + 1}${r.shrinking ? ' (shrinking)' : ''}: ${r.valid ? 'ok' : 'VIOLATION'} in ${(r.durationMs / 1000).toFixed(1)}s, ${r.schedule.length} fault steps`);
      }
    },
    onScenarioEnd: (result) => {
      bar?.stop();
      if (result.verdict === 'fail') printFailure(result, o, log);
      if (result.verdict === 'incomplete') log(`[${result.scenario}] stopped: ${result.error}`);
    },
  });

  const offInterrupt = onInterrupt(async () => {
    bar?.stop();
    await suite.interrupt();
    printSummary(suite.summary(Date.now()), log);
  });
  const result = await suite.run();
  offInterrupt();
  if (o.json) process.stdout.write(JSON.stringify(summaryJson(result, o), null, 2) + '\n');
  printSummary(result, log);
  const environmentFailure = result.scenarios.find((s) => s.verdict === 'incomplete' && s.error);
  if (environmentFailure) {
    log(`chaos: ${environmentFailure.error}`);
    return 2;
  }
  return suiteExitCode(result);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const usage = err instanceof UsageError || err instanceof EnvironmentError;
    process.stderr.write(`chaos: ${oneLine(err)}${err instanceof UsageError ? ' (see --help)' : ''}\n`);
    if (!usage && process.env.CHAOS_DEBUG) process.stderr.write(String((err as Error).stack) + '\n');
    process.exit(usage ? 2 : 1);
  },
);
