// The one `chaos` program: a commander root with its subcommands, `run` the default. Each
// subcommand's options are declared in its own file from the shared groups (./options.ts); an
// action sets the exit code through `exit` and throws UsageError (one line, exit 2) on bad input.
import { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { UsageError } from '../config/options.ts';
import { benchCommand, describeBenchmarks } from './bench.ts';
import { doctorCommand, runDoctor } from './doctor.ts';
import { imagesCommand } from './images.ts';
import { mergeCommand, mergeOptionsOf, runMerge } from './merge.ts';
import { releaseEngine, runCommand, runHelp, runOptionsHelp } from './run.ts';
import { runSetup, setupCommand } from './setup.ts';
import { runSoak, soakCommand, soakOptionsOf } from './soak.ts';
import { runVerify, verifyCommand, verifyOptionsOf } from './verify.ts';

/** commander quiet: errors are thrown (main prints them in one line), help goes to stdout */
function quiet(cmd: Command): Command {
  return cmd.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: (s) => process.stdout.write(s) });
}

/** The config file a subcommand names with --config, or the working directory's: read after its flags parsed (a bad flag is reported first). */
const configOf = (cmd: Command) => loadConfig(cmd.opts<{ config?: string }>().config);

export function chaosProgram(exit: (code: number) => void, log: (s: string) => void): Command {
  const program = quiet(new Command('chaos'))
    .usage('[command] [options]')
    .description('Chaos-test a Redis job system: run scenarios with faults, check its invariants, report')
    .addHelpText('after', () => `\n${runOptionsHelp()}`);
  const names = () => program.commands.map((c) => c.name());

  program.addCommand(quiet(runCommand(names, exit, log)), { isDefault: true });

  program.addCommand(quiet(verifyCommand()).action(async (_o: unknown, cmd: Command) => {
    const o = verifyOptionsOf(cmd, await configOf(cmd));
    try {
      exit(await runVerify(o, log));
    } finally {
      await releaseEngine(o.env);
    }
  }));

  program.addCommand(quiet(mergeCommand()).action(async (_d: unknown, _o: unknown, cmd: Command) => {
    exit(await runMerge(mergeOptionsOf(cmd, await configOf(cmd)), log));
  }));

  program.addCommand(quiet(soakCommand()).action(async (_o: unknown, cmd: Command) => {
    exit(await runSoak(await soakOptionsOf(cmd)));
  }));

  program.addCommand(quiet(benchCommand()).action(async (_o: unknown, cmd: Command) => {
    const { runBench } = await import('../bench/main.ts');
    exit(await runBench(cmd.opts()));
  }));

  program.addCommand(quiet(imagesCommand()).action(async (o: { rebuild?: boolean }) => {
    const { runImages } = await import('../env/docker/cli.ts');
    exit(await runImages(o, log));
  }));

  program.addCommand(quiet(doctorCommand()).action(async () => exit(await runDoctor(log))));

  program.addCommand(quiet(setupCommand()).action((o: { apt?: boolean }) => exit(runSetup(o, log))));

  // bench's help names its benchmarks, which load only once bench is chosen
  const describe = async (sub: Command) => {
    if (sub.name() === 'bench') await describeBenchmarks(sub);
  };
  program.hook('preSubcommand', async (_root, sub) => describe(sub));
  // `chaos help <command>`: commander's own prints a subcommand's help without the hook above
  program.helpCommand(false).addCommand(quiet(new Command('help')).argument('[command]').description('display help for command').action(async (name?: string) => {
    const sub = program.commands.find((c) => c.name() === name);
    if (name !== undefined && !sub) throw new UsageError(`unknown command "${name}" (commands: ${names().join(', ')})`);
    if (sub) await describe(sub);
    // run hands --help to the run's own options
    if (sub?.name() === 'run') process.stdout.write(runHelp());
    else (sub ?? program).outputHelp();
    exit(0);
  }));
  return program;
}
