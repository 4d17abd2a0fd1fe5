// `npm run chaos`'s options: the command line, the config file it names or the working directory
// holds, and the defaults, resolved by parseOptions (command line over file over defaults), against
// the registry the config builds (its own systems, scenarios, checkers and fault kinds).
import { buildCommand, parseCommand, parseOptions, UsageError, type ChaosOptions } from './options.ts';
import { loadConfig } from './load.ts';
import { buildRegistry } from '../registry/build.ts';

/** argv (and the config file) into validated options; 'help' when help was printed. Throws UsageError with one line. */
export async function resolveOptions(argv: string[], cwd: string = process.cwd()): Promise<ChaosOptions | 'help'> {
  // --config first: help never needs the file. A flag that names what only the config adds (its
  // scenario, its system) is read again once the registry is built; any other bad flag is reported before a bad file.
  const cmd = buildCommand();
  let given: string | undefined;
  try {
    if (parseCommand(cmd, argv) === 'help') return 'help';
    given = cmd.opts<{ config?: string }>().config;
  } catch (err) {
    given = configArg(argv);
    if (!(err instanceof UsageError) || !/^option '--(scenario|system) /.test(err.message)) throw err;
  }
  const loaded = await loadConfig(given, cwd);
  const { registry, config } = await buildRegistry(loaded);
  try {
    return parseOptions(argv, config, registry);
  } catch (err) {
    // a check of the merged options (--path needs --seed, a system's limits): its flags may be the file's keys
    if (config && err instanceof UsageError) throw new UsageError(`${err.message} (options from ${config.file} and the command line)`, err.seeHelp);
    throw err;
  }
}

/** `--config <file>` or `--config=<file>` in argv, read without commander (whose other flags may need the config's registry). */
function configArg(argv: string[]): string | undefined {
  for (const [i, a] of argv.entries()) {
    if (a === '--config') return argv[i + 1];
    if (a.startsWith('--config=')) return a.slice('--config='.length);
  }
  return undefined;
}
