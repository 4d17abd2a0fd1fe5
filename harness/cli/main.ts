#!/usr/bin/env node
// `npm run chaos`: the one chaos program (./program.ts): `run` (the default), verify, merge, soak,
// bench, images and doctor. Exit codes: each subcommand's (0 pass, 1 a failure it names), 2 on a
// usage or environment error (one line, no stack trace; CHAOS_DEBUG=1 prints it for other errors).
import { CommanderError } from 'commander';
import { EnvironmentError } from '../env/errors.ts';
import { oneLine } from '../text/oneLine.ts';
import { UsageError } from '../config/options.ts';
import { chaosProgram } from './program.ts';

const log = (s: string) => process.stderr.write(s + '\n');

/** A commander error as the harness's own: help printed is exit 0, anything else a usage error. */
function fromCommander(err: unknown): unknown {
  if (!(err instanceof CommanderError)) return err;
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') return 0;
  return new UsageError(err.message.replace(/^error: /, ''));
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  try {
    await chaosProgram((c) => (code = c), log).parseAsync(argv, { from: 'user' });
  } catch (err) {
    const e = fromCommander(err);
    if (e === 0) return 0;
    throw e;
  }
  return code;
}

/**
 * Exits once what was written to stdout and stderr has gone out: a pipe takes 64 KB at a time,
 * and process.exit drops the rest (a --json summary read by a script would end mid-object).
 */
function exitWhenFlushed(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (err: unknown) => {
    const usage = err instanceof UsageError || err instanceof EnvironmentError;
    process.stderr.write(`chaos: ${oneLine(err)}${err instanceof UsageError && err.seeHelp ? ' (see --help)' : ''}\n`);
    if (!usage && process.env.CHAOS_DEBUG) process.stderr.write(String((err as Error).stack) + '\n');
    exitWhenFlushed(usage ? 2 : 1);
  },
);
