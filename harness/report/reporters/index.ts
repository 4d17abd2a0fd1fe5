// The reporters of a run: built-ins by name, user reporters by module path. A path is resolved
// against the folder of the config file that names it (or the working directory), and its
// module's default export is a reporter object or a class whose instances are reporters.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { importModule } from '../../config/load.ts';
import { UsageError } from '../../config/options.ts';
import { oneLine } from '../../text/oneLine.ts';
import { HOOKS, type NamedReporter, type Reporter } from '../reporter.ts';
import { ConsoleReporter } from './console.ts';
import { ReportDirectory } from './directory.ts';
import { HtmlReporter } from './html.ts';
import { JsonReporter } from './json.ts';
import { JunitReporter } from './junit.ts';
import { ProgressReporter } from './progress.ts';
import { ResultsReporter } from './results.ts';
import { SummaryReporter } from './summary.ts';

/** The built-ins by name. The file reporters of one list share one reports/<run-id>/ directory. */
const BUILTINS = {
  progress: () => new ProgressReporter(),
  console: () => new ConsoleReporter(),
  json: () => new JsonReporter(),
  summary: (dir: ReportDirectory) => new SummaryReporter(dir),
  junit: (dir: ReportDirectory) => new JunitReporter(dir),
  html: (dir: ReportDirectory) => new HtmlReporter(dir),
  results: (dir: ReportDirectory) => new ResultsReporter(dir),
} satisfies Record<string, (dir: ReportDirectory) => Reporter>;

export type BuiltinReporter = keyof typeof BUILTINS;
export const BUILTIN_REPORTERS = Object.keys(BUILTINS) as BuiltinReporter[];

/** What `npm run chaos` reports with when the config names no reporters (--json adds "json"). */
export const DEFAULT_REPORTERS: readonly BuiltinReporter[] = ['progress', 'console', 'summary', 'junit', 'html', 'results'];

const isBuiltin = (name: string): name is BuiltinReporter => Object.hasOwn(BUILTINS, name);

/** An object with at least one hook, every hook it has a function. */
function asReporter(value: unknown): Reporter | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const hooks = HOOKS.filter((h) => (value as Record<string, unknown>)[h] !== undefined);
  if (!hooks.length || hooks.some((h) => typeof (value as Record<string, unknown>)[h] !== 'function')) return undefined;
  return value as Reporter;
}

const NOT_A_REPORTER = `its default export is not a reporter (an object or class with ${HOOKS.join(', ')})`;

/** A user reporter: the module at `given` (relative to cwd), its default export an object or a class. */
async function loadModule(given: string, cwd: string): Promise<Reporter> {
  const file = path.resolve(cwd, given);
  const fail = (why: string) => new UsageError(`reporter ${given}: ${why}`, false);
  if (!existsSync(file)) {
    throw fail(`no such file${/[/\\.]/.test(given) ? '' : ` and not a built-in (${BUILTIN_REPORTERS.join(', ')})`}`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (err) {
    throw fail(`could not be loaded: ${oneLine(err).split(file).join(given)}`);
  }
  const exported = mod.default;
  if (exported === undefined) throw fail(`has no default export (export default class implements Reporter { ... })`);
  if (typeof exported === 'function') {
    if (exported.prototype === undefined) throw fail(NOT_A_REPORTER);
    let instance: unknown;
    try {
      instance = new (exported as new () => unknown)();
    } catch (err) {
      throw fail(`its default export could not be constructed: ${oneLine(err)}`);
    }
    const reporter = asReporter(instance);
    if (!reporter) throw fail(NOT_A_REPORTER);
    return reporter;
  }
  const reporter = asReporter(exported);
  if (!reporter) throw fail(NOT_A_REPORTER);
  return reporter;
}

/**
 * The reporters named by a list, in its order: a built-in's name, a path to a module (relative
 * to cwd: the config file's folder) whose default export is a reporter object or class, or a
 * reporter object itself. A bad entry is a UsageError with one line (exit 2), before any run.
 */
export async function loadReporters(entries: readonly (string | Reporter)[], cwd: string): Promise<NamedReporter[]> {
  const directory = new ReportDirectory();
  const out: NamedReporter[] = [];
  for (const [i, entry] of entries.entries()) {
    if (typeof entry !== 'string') {
      const reporter = asReporter(entry);
      if (!reporter) throw new UsageError(`reporters[${i}]: not a reporter (an object with ${HOOKS.join(', ')})`, false);
      out.push({ name: reporter.constructor?.name && reporter.constructor !== Object ? reporter.constructor.name : `reporters[${i}]`, reporter });
    } else if (isBuiltin(entry)) {
      out.push({ name: entry, reporter: BUILTINS[entry](directory) });
    } else {
      out.push({ name: entry, reporter: await loadModule(entry, cwd) });
    }
  }
  return out;
}
