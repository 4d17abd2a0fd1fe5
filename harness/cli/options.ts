// The option groups the subcommands share (seed, shard, report, gate, system, env, sim, config).
// Each option is declared once: the run's in harness/config/options.ts (buildCommand), which
// `chaos run` resolves; a subcommand that takes one of them gets that declaration (its flags,
// parser and default), with help that says what it means there. Options only one subcommand has
// are declared in that subcommand's file.
import { Option, type Command } from 'commander';
import { buildCommand, resolveRaw, type FileOptions, type LoadedConfig } from '../config/options.ts';

/** The run's options by long flag, as harness/config/options.ts declares them (built-in registry). */
const RUN_OPTIONS = new Map(buildCommand().options.map((o) => [o.long ?? o.flags, o]));

interface Reuse {
  /** what the option means in this subcommand (default: the run's help) */
  help?: string;
  /** this subcommand's default (default: the run's) */
  default?: unknown;
  /** passed on as typed: the subcommand hands it to `chaos run`, which parses and checks it */
  asText?: 'one' | 'repeatable';
}

/** The run's declaration of `long`, for another subcommand. */
export function runOption(long: string, o: Reuse = {}): Option {
  const declared = RUN_OPTIONS.get(long);
  if (!declared) throw new Error(`chaos run declares no ${long}`);
  const option = Object.assign(Object.create(Option.prototype) as Option, declared);
  if (o.help !== undefined) option.description = o.help;
  if (o.default !== undefined) option.default(o.default);
  if (o.asText === 'one') option.argParser((text: string) => text);
  if (o.asText === 'repeatable') option.argParser((text: string, previous: string[] = []) => [...previous, text]);
  // passed on only when typed: the run's own default (or its config file) applies
  if (o.asText) option.default(undefined);
  return option;
}

/** The shared groups, each a list of the run's options. */
export const groups = {
  seed: (help?: string, defaultValue?: number) => [runOption('--seed', { help, default: defaultValue })],
  shard: (help: string) => [runOption('--shard', { help })],
  /** where the report goes and what is printed */
  report: (o: { json?: string; ci?: string } = {}) => [runOption('--report-dir'), runOption('--json', { help: o.json }), runOption('--ci', { help: o.ci })],
  /** the regression gate of a finished run */
  gate: () => [runOption('--baseline'), runOption('--p99-tolerance'), runOption('--allow-unknown')],
  /** as typed (default reference): the systems a subcommand knows are the config file's too, so it checks the name once that is loaded */
  system: (help: string) => [runOption('--system', { help, asText: 'one' }).default('reference')],
  env: (help?: string) => [runOption('--env', { help })],
  sim: (help?: string) => [runOption('--sim', { help }), runOption('--no-sim')],
  config: (help: string) => [runOption('--config', { help })],
};

/** Adds options to a command, in order. */
export function withOptions(cmd: Command, ...lists: Option[][]): Command {
  for (const list of lists) for (const o of list) cmd.addOption(o);
  return cmd;
}

/**
 * A subcommand's parsed options over the config file's, for the keys it reads from the file (named
 * as in the file and as commander names them): the command line over the file over the defaults,
 * as the run resolves them (harness/config/options.ts resolveRaw).
 */
export function overFile<T>(cmd: Command, config: LoadedConfig | undefined, keys: readonly (keyof FileOptions)[]): T {
  const file: FileOptions = {};
  for (const k of keys) if (config?.options[k] !== undefined) Object.assign(file, { [k]: config.options[k] });
  return resolveRaw(cmd, config ? file : undefined) as unknown as T;
}
