// Finding and reading the config file: `--config <file>`, else the first of CONFIG_NAMES in the
// working directory. Every failure is one line. A .ts or .mts file (the config, or a module it
// names) loads natively when the harness runs from source (under tsx, as this repository runs
// it), and through jiti when it runs compiled under plain node (the installed package).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMPILED } from '../env/binaries.ts';
import { CONFIG_NAMES, UsageError, type LoadedConfig } from './options.ts';
import { parseConfig } from './schema.ts';

let jiti: Promise<{ import(id: string): Promise<unknown> }> | undefined;

/**
 * A user's module (a config, or a system, scenario, checker or fault kind it names), imported:
 * natively, except TypeScript from the compiled harness, which jiti transpiles (its own imports
 * of packages, `redis-job-chaos` too, still load natively: one copy of each module).
 */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  if (!COMPILED || !/\.m?ts$/.test(file)) return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  jiti ??= import('jiti').then(({ createJiti }) => createJiti(import.meta.url, { fsCache: false, interopDefault: false }));
  return (await (await jiti).import(file)) as Record<string, unknown>;
}

/** The config file of a working directory: the first of CONFIG_NAMES there, or undefined. */
export function findConfig(cwd: string): string | undefined {
  return CONFIG_NAMES.map((name) => path.join(cwd, name)).find((file) => existsSync(file));
}

/** An import error in one line: esbuild's "Transform failed with 1 error:" is followed by the error itself. */
export function importErrorLine(err: unknown, file: string, shown: string): string {
  const lines = (err instanceof Error ? err.message : String(err)).split('\n').map((l) => l.trim()).filter(Boolean);
  const first = lines[0] ?? 'could not be loaded';
  const line = first.endsWith(':') && lines[1] ? `${first} ${lines[1]}` : first;
  return line.split(file).join(shown);
}

/**
 * The config file named by --config (relative to cwd; missing: a usage error), else the one found
 * in cwd, imported and validated; undefined when there is none.
 */
export async function loadConfig(given: string | undefined, cwd: string = process.cwd()): Promise<LoadedConfig | undefined> {
  const file = given === undefined ? findConfig(cwd) : path.resolve(cwd, given);
  if (file === undefined) return undefined;
  const shown = path.relative(cwd, file) || path.basename(file);
  if (given !== undefined && !existsSync(file)) throw new UsageError(`--config ${given}: no such file`, false);
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (err) {
    throw new UsageError(`${shown}: could not be loaded: ${importErrorLine(err, file, shown)}`, false);
  }
  if (!('default' in mod)) throw new UsageError(`${shown}: has no default export (export default defineConfig({ ... }))`, false);
  const parsed = parseConfig(mod.default);
  if (!parsed.ok) throw new UsageError(`${shown}: ${parsed.message}`, false);
  return { file: shown, dir: path.dirname(file), options: parsed.options, extend: parsed.extend, ...(given === undefined ? { found: true as const } : {}) };
}
