// `npm run chaos`'s options: the command line, the config file it names or the working directory
// holds, and the defaults, resolved by parseOptions (command line over file over defaults).
import { buildCommand, parseCommand, parseOptions, UsageError, type ChaosOptions } from './options.ts';
import { loadConfig } from './load.ts';

/** argv (and the config file) into validated options; 'help' when help was printed. Throws UsageError with one line. */
export async function resolveOptions(argv: string[], cwd: string = process.cwd()): Promise<ChaosOptions | 'help'> {
  // --config first: help never needs the file, and a bad flag is reported before a bad file
  const cmd = buildCommand();
  if (parseCommand(cmd, argv) === 'help') return 'help';
  const config = await loadConfig(cmd.opts<{ config?: string }>().config, cwd);
  try {
    return parseOptions(argv, config);
  } catch (err) {
    // a check of the merged options (--path needs --seed, a system's limits): its flags may be the file's keys
    if (config && err instanceof UsageError) throw new UsageError(`${err.message} (options from ${config.file} and the command line)`, err.seeHelp);
    throw err;
  }
}
