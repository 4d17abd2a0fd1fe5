import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from './errors.ts';

/**
 * The harness runs either compiled (the package's dist/, under plain node) or from its TypeScript
 * source (this repository, under tsx): this module's own file says which.
 */
export const COMPILED = import.meta.url.endsWith('.js');
/** The package's root, where its package.json is: two folders up from the source, three from dist/. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), COMPILED ? '../../..' : '../..');

/**
 * The command line that runs one of the package's modules as a process, named by its source path
 * from the package root (`system-under-test/main.ts`): compiled, its JavaScript in dist/ under
 * plain node; from source, the TypeScript under tsx, as `npm run chaos` runs the harness itself.
 */
export function nodeCommand(module: string): string[] {
  return COMPILED
    ? [process.execPath, path.join(PROJECT_ROOT, 'dist', module.replace(/\.ts$/, '.js'))]
    : [process.execPath, '--import', 'tsx', path.join(PROJECT_ROOT, module)];
}
/**
 * Built tools live here, so they are built once per machine: this repository's git-ignored
 * .cache/bin from source; the user's cache folder for an installed package (`chaos setup`).
 */
export const CACHE_BIN = COMPILED
  ? path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'redis-job-chaos', 'bin')
  : path.join(PROJECT_ROOT, '.cache', 'bin');

/** What installs the missing tools: the repository's bootstrap, or the package's opt-in setup. */
export const SETUP_HINT = COMPILED ? '`npx chaos setup` (add --apt for redis-server)' : '`npm run bootstrap`';

export const TOXIPROXY_VERSION = 'v2.12.0';
const TOXIPROXY_MODULE = 'github.com/Shopify/toxiproxy/v2/cmd/server';

interface Tool {
  name: 'redis-server' | 'toxiproxy-server';
  envVar: string;
  installHint: string;
}

export const REDIS: Tool = {
  name: 'redis-server',
  envVar: 'REDIS_SERVER_BIN',
  installHint: 'install it with `apt-get install redis-server` (Redis 7) or set REDIS_SERVER_BIN',
};
export const TOXIPROXY: Tool = {
  name: 'toxiproxy-server',
  envVar: 'TOXIPROXY_SERVER_BIN',
  installHint: `build it with \`go install ${TOXIPROXY_MODULE}@${TOXIPROXY_VERSION}\` or set TOXIPROXY_SERVER_BIN`,
};

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    if (executable(file)) return file;
  }
  return undefined;
}

/** Env var override, then PATH, then the project cache. */
export function findBinary(tool: Tool): string | undefined {
  const override = process.env[tool.envVar];
  if (override) {
    if (!executable(override)) throw new EnvironmentError(`${tool.envVar}=${override} is not an executable file`);
    return override;
  }
  return onPath(tool.name) ?? (executable(path.join(CACHE_BIN, tool.name)) ? path.join(CACHE_BIN, tool.name) : undefined);
}

export function requireBinary(tool: Tool): string {
  const found = findBinary(tool);
  if (!found) throw new EnvironmentError(`${tool.name} not found: ${tool.installHint} (or run ${SETUP_HINT})`);
  return found;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, quiet = false): boolean {
  const r = spawnSync(cmd, args, { stdio: quiet ? 'ignore' : ['ignore', 'inherit', 'inherit'], env });
  return r.status === 0;
}

/** Debian packages the project needs (redis-server; cairo & friends for chart rendering; chromium for report tests). */
export function aptInstall(packages: string[], log: (s: string) => void): void {
  if (!isRoot() || !onPath('apt-get')) {
    throw new EnvironmentError(`missing ${packages.join(', ')}: install with \`apt-get install ${packages.join(' ')}\` (needs root and apt)`);
  }
  log(`installing ${packages.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], env, true);
  if (!run('apt-get', ['install', '-y', '-qq', ...packages], env, true)) {
    throw new EnvironmentError(`apt-get install ${packages.join(' ')} failed`);
  }
}

function buildToxiproxy(log: (s: string) => void): void {
  const go = onPath('go');
  if (!go) throw new EnvironmentError(`toxiproxy-server not found and Go is missing: ${TOXIPROXY.installHint}`);
  mkdirSync(CACHE_BIN, { recursive: true });
  log(`building toxiproxy-server ${TOXIPROXY_VERSION} with go install (once per machine)`);
  const env = { ...process.env, GOBIN: CACHE_BIN };
  // The checksum database is sometimes unreachable here; the module proxy still serves the code.
  const ok = run(go, ['install', `${TOXIPROXY_MODULE}@${TOXIPROXY_VERSION}`], env, true)
    || run(go, ['install', `${TOXIPROXY_MODULE}@${TOXIPROXY_VERSION}`], { ...env, GOSUMDB: 'off' }, true);
  if (!ok) throw new EnvironmentError(`go install ${TOXIPROXY_MODULE}@${TOXIPROXY_VERSION} failed`);
  renameSync(path.join(CACHE_BIN, 'server'), path.join(CACHE_BIN, 'toxiproxy-server'));
}

/**
 * Make sure redis-server and toxiproxy-server exist. From source (this repository's own two
 * commands) it installs what is missing where this machine allows; an installed package installs
 * nothing unasked (`chaos setup` does, opt-in) and says what to run.
 */
export function bootstrap(log: (s: string) => void = () => undefined, o: { install?: boolean; apt?: boolean } = {}): { redis: string; toxiproxy: string } {
  const install = o.install ?? !COMPILED;
  if (!findBinary(REDIS) && (o.apt ?? install)) aptInstall(['redis-server'], log);
  const redis = requireBinary(REDIS);
  let version = '';
  try {
    version = execFileSync(redis, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    throw new EnvironmentError(`${redis} --version failed: is it a redis-server binary? (${REDIS.installHint})`);
  }
  const major = Number(/v=(\d+)/.exec(version)?.[1] ?? 0);
  if (major < 7) throw new EnvironmentError(`${redis} is Redis ${major}; Redis 7 or newer is needed (XAUTOCLAIM, Lua TIME)`);
  if (!findBinary(TOXIPROXY) && install) buildToxiproxy(log);
  return { redis, toxiproxy: requireBinary(TOXIPROXY) };
}

