// Finding and reading the config file: `--config <file>`, else the first of CONFIG_NAMES in the
// working directory. A .ts file loads because the CLI runs under tsx. Every failure is one line.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONFIG_NAMES, UsageError, type LoadedConfig } from './options.ts';
import { parseConfig } from './schema.ts';

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
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`${shown}: could not be loaded: ${importErrorLine(err, file, shown)}`, false);
  }
  if (!('default' in mod)) throw new UsageError(`${shown}: has no default export (export default defineConfig({ ... }))`, false);
  const parsed = parseConfig(mod.default);
  if (!parsed.ok) throw new UsageError(`${shown}: ${parsed.message}`, false);
  return { file: shown, dir: path.dirname(file), options: parsed.options, extend: parsed.extend };
}
