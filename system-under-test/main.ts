// Entry point of the reference system: `main.ts <role> [options]` (PROTOCOL.md, "Processes").
// Bad options print one line on stderr and exit 2.

import { Command, CommanderError, Option } from 'commander';
import {
  type Bugs,
  type LinkOptions,
  errorText,
  parseBugs,
  parseHost,
  parseHttpPort,
  parseId,
  parseMs,
  parsePort,
} from './common.ts';
import { runExecutor, runKeeper, runOrchestrator, runWorker } from './live.ts';

function withLinkOptions(cmd: Command, defaultId: string): Command {
  return cmd
    .option('--redis-host <host>', "host of this process's Redis link", parseHost, '127.0.0.1')
    .option('--redis-port <port>', "port of this process's Redis link", parsePort, 6379)
    .option('--id <name>', 'name of this process', parseId, defaultId)
    .addOption(
      new Option('--bugs <list>', 'planted bugs to switch on, comma-separated')
        .env('SUT_BUGS')
        .argParser(parseBugs)
        .default(new Set() as Bugs, 'none'),
    );
}

const program = new Command('sut')
  .description('reference job system: orchestrator, worker (+ executor), keeper')
  .exitOverride()
  .showSuggestionAfterError(false);

withLinkOptions(program.command('orchestrator').description('HTTP API'), 'orchestrator')
  .option('--http-port <port>', 'HTTP port on 127.0.0.1 (0 = any free port)', parseHttpPort, 8080)
  .action((opts: LinkOptions & { httpPort: number }) => runOrchestrator(opts));

withLinkOptions(program.command('worker').description('runs jobs through its executor'), `worker-${process.pid}`)
  .option('--consumer <name>', 'its consumer name in the job stream\'s group (default: --id)', parseId)
  .option('--lease-ms <ms>', 'a job pending longer than this without heartbeat is reclaimed', parseMs, 3000)
  .option('--executor-redis-port <port>', "port of the executor's own Redis link (default: --redis-port)", parsePort)
  // BENCH-ONLY (PROTOCOL.md, "Bench-only"): no executor, no payload process; `npm run bench` uses it
  .addOption(new Option('--bench-noop-payload', 'bench only: run every job as an in-process no-op (no executor fork)').hideHelp())
  .action((opts: LinkOptions & { leaseMs: number; executorRedisPort?: number; benchNoopPayload?: boolean }) =>
    runWorker({ ...opts, executorRedisPort: opts.executorRedisPort ?? opts.redisPort }),
  );

withLinkOptions(program.command('keeper').description('applies job events to job state'), `keeper-${process.pid}`)
  .option('--consumer <name>', 'its consumer name in the event stream\'s group (default: --id)', parseId)
  .option('--running-ttl-ms <ms>', 'TTL of the per-job running info', parseMs, 60_000)
  .option('--reclaim-ms <ms>', 'an event pending longer than this on another keeper is taken over', parseMs, 5000)
  .action((opts: LinkOptions & { runningTtlMs: number; reclaimMs: number }) => runKeeper(opts));

// forked by a worker, never started by hand
withLinkOptions(program.command('executor', { hidden: true }), `executor-${process.pid}`).action((opts: LinkOptions) => {
  if (!process.send) {
    process.stderr.write('error: the executor is started by its worker (it needs the IPC channel)\n');
    process.exit(2);
  }
  return runExecutor(opts);
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // commander already printed its one-line message (or the help)
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  process.stderr.write(`error: ${errorText(err)}\n`);
  process.exit(1);
}
