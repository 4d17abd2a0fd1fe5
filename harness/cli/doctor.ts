// `chaos doctor`: what the harness needs on this machine, one line each: ok (and where or which),
// or missing (and how to get it). Exit 0 when everything a plain `npm run chaos` needs is there
// (node, redis-server, toxiproxy-server), 1 otherwise. It installs and starts nothing: `npm run
// bootstrap` installs.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { findBinary, PROJECT_ROOT, REDIS, SETUP_HINT, TOXIPROXY } from '../env/binaries.ts';
import { oneLine } from '../text/oneLine.ts';

export interface Check {
  name: string;
  ok: boolean;
  /** ok: where or which; missing: why, and how to get it */
  detail: string;
  /** a plain `npm run chaos` cannot run without it */
  required: boolean;
}

/** the Chromium the report's browser tests launch (test/report/browser.test.ts) */
const CHROMIUM = '/usr/bin/chromium';
const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

function nodeCheck(): Check {
  const wanted = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node ?? '>=20';
  const min = Number(/\d+/.exec(wanted)?.[0] ?? 20);
  const major = Number(process.versions.node.split('.')[0]);
  return major >= min
    ? { name: 'node', ok: true, detail: `${process.version} (${wanted})`, required: true }
    : { name: 'node', ok: false, detail: `${process.version}, needs ${wanted}: install Node ${min} or newer (https://nodejs.org, or nvm install ${min})`, required: true };
}

function redisCheck(): Check {
  const how = `${REDIS.installHint} (or run ${SETUP_HINT})`;
  try {
    const bin = findBinary(REDIS);
    if (!bin) return { name: REDIS.name, ok: false, detail: how, required: true };
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    const major = Number(/v=(\d+)/.exec(version)?.[1] ?? 0);
    if (major < 7) return { name: REDIS.name, ok: false, detail: `${bin} is Redis ${major}; Redis 7 or newer is needed: ${how}`, required: true };
    return { name: REDIS.name, ok: true, detail: `${bin} (Redis ${/v=(\S+)/.exec(version)?.[1] ?? major})`, required: true };
  } catch (err) {
    return { name: REDIS.name, ok: false, detail: `${oneLine(err)}: ${how}`, required: true };
  }
}

function toxiproxyCheck(): Check {
  const how = `${TOXIPROXY.installHint} (or run ${SETUP_HINT})`;
  try {
    const bin = findBinary(TOXIPROXY);
    return bin ? { name: TOXIPROXY.name, ok: true, detail: bin, required: true } : { name: TOXIPROXY.name, ok: false, detail: how, required: true };
  } catch (err) {
    return { name: TOXIPROXY.name, ok: false, detail: `${oneLine(err)}: ${how}`, required: true };
  }
}

async function canvasCheck(): Promise<Check> {
  try {
    await import('canvas');
    return { name: 'canvas', ok: true, detail: 'loads (the report\'s charts)', required: false };
  } catch (err) {
    return {
      name: 'canvas', ok: false, required: false,
      detail: `${oneLine(err)}: the report is written without charts; install libcairo2-dev libpango1.0-dev libjpeg-dev libgif-dev librsvg2-dev, then \`npm rebuild canvas\` (\`npm run bootstrap\` does both)`,
    };
  }
}

function chromiumCheck(): Check {
  return existsSync(CHROMIUM)
    ? { name: 'chromium', ok: true, detail: `${CHROMIUM} (the report's browser tests)`, required: false }
    : { name: 'chromium', ok: false, detail: `${CHROMIUM}: the report's browser tests are skipped; \`apt-get install chromium\``, required: false };
}

function onPath(name: string): string | undefined {
  return (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, name)).find((f) => existsSync(f));
}

/** Whether a Docker engine answers, without starting one (harness/env/docker/engine.ts starts dockerd when --env docker needs it). */
async function dockerCheck(): Promise<Check> {
  const { default: Docker } = await import('dockerode');
  const answers = async (docker: InstanceType<typeof Docker>) => {
    let timer: NodeJS.Timeout | undefined;
    const ping = docker.ping().then(() => true, () => false);
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 1500)));
    return Promise.race([ping, late]).finally(() => clearTimeout(timer));
  };
  const check = (ok: boolean, detail: string): Check => ({ name: 'docker', ok, detail, required: false });
  if (process.env.DOCKER_HOST) {
    return (await answers(new Docker())) ? check(true, `DOCKER_HOST=${process.env.DOCKER_HOST} answers (--env docker)`) : check(false, `DOCKER_HOST=${process.env.DOCKER_HOST} does not answer: start that engine or unset DOCKER_HOST`);
  }
  if (existsSync(DEFAULT_DOCKER_SOCKET) && (await answers(new Docker({ socketPath: DEFAULT_DOCKER_SOCKET })))) return check(true, `${DEFAULT_DOCKER_SOCKET} answers (--env docker)`);
  const dockerd = onPath('dockerd');
  const root = process.getuid?.() === 0;
  if (dockerd && root) return check(true, `${dockerd} (--env docker starts it, and stops it at the end)`);
  if (dockerd) return check(false, `${dockerd} is here but no engine answers, and starting one needs root: start dockerd, or set DOCKER_HOST (only --env docker needs it)`);
  return check(false, 'no engine answers and no dockerd: `apt-get install docker.io`, or set DOCKER_HOST (only --env docker needs it)');
}

/** Every check, in the order printed. */
export async function doctorChecks(): Promise<Check[]> {
  return [nodeCheck(), redisCheck(), toxiproxyCheck(), await canvasCheck(), chromiumCheck(), await dockerCheck()];
}

export function formatCheck(c: Check): string {
  return `${c.ok ? 'ok     ' : 'missing'}  ${c.name.padEnd(16)}  ${c.detail}`;
}

/** Prints the checks; 0 when what a plain `npm run chaos` needs is there. */
export async function runDoctor(log: (s: string) => void): Promise<number> {
  const checks = await doctorChecks();
  for (const c of checks) process.stdout.write(formatCheck(c) + '\n');
  const lacking = checks.filter((c) => c.required && !c.ok).map((c) => c.name);
  log(lacking.length ? `doctor: \`npm run chaos\` needs ${lacking.join(', ')}` : 'doctor: everything `npm run chaos` needs is here');
  return lacking.length ? 1 : 0;
}

export function doctorCommand(): Command {
  return new Command('doctor').description('check what the harness needs on this machine (redis-server, toxiproxy-server, node, canvas, chromium, docker): ok, or how to get it; installs nothing');
}
