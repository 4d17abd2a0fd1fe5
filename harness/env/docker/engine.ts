// The Docker engine the docker environment talks to: the user's (DOCKER_HOST, or a daemon on
// the default socket), or one the harness starts itself (root, apt): Debian's docker.io, dockerd
// with no bridge and no iptables rules, its data and socket in the project's git-ignored cache.
// A dockerd the harness started is stopped when the harness exits; it never outlives a run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { PROJECT_ROOT, aptInstall } from '../binaries.ts';
import { EnvironmentError } from '../errors.ts';
import { oneLine } from '../../text/oneLine.ts';
import { onExitSync, onInterrupt } from '../processes.ts';
import { removeOrphans, removeOwned, removeOwnedSync } from './cleanup.ts';

export const DOCKER_CACHE = path.join(PROJECT_ROOT, '.cache', 'docker');
const OWN_SOCKET = path.join(DOCKER_CACHE, 'docker.sock');
const DEFAULT_SOCKET = '/var/run/docker.sock';

export interface Engine {
  docker: Docker;
  /** where it is (DOCKER_HOST form) */
  host: string;
  /** the harness started this dockerd (and stops it in `stop`) */
  started: boolean;
  /** removes this harness's containers and volumes, then stops a dockerd the harness started */
  stop(): Promise<void>;
}

async function answers(docker: Docker, timeoutMs = 3000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      docker.ping().then(() => true, () => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const onPath = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
const isRoot = () => process.getuid?.() === 0;

/** Installs docker.io with apt when dockerd is missing (root and apt only), else an EnvironmentError. */
export function provisionEngine(log: (s: string) => void): void {
  if (onPath('dockerd')) return;
  if (!isRoot() || !onPath('apt-get')) {
    throw new EnvironmentError('--env docker needs a Docker engine: none answers, DOCKER_HOST is unset, and installing docker.io needs root and apt');
  }
  aptInstall(['docker.io'], log);
}

let current: Promise<Engine> | undefined;

let guarded = false;
/**
 * testcontainers loads signal-exit (through proper-lockfile), whose SIGINT / SIGTERM listener
 * re-raises the signal when it finds itself the only listener left. The harness's own handler
 * (processes.ts) is a `once` listener, gone by the time signal-exit looks: the re-raised signal
 * killed the harness in the middle of removing its containers. A listener that stays keeps
 * signal-exit from re-raising; the harness's handler still exits (within 5 s at most).
 */
function keepSignalHandling(): void {
  if (guarded) return;
  guarded = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => undefined);
}

/** The engine for this process (started at most once; later calls share it). */
export function engine(log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<Engine> {
  current ??= connect(log).catch((err) => {
    current = undefined;
    throw err;
  });
  return current;
}

async function connect(log: (s: string) => void): Promise<Engine> {
  if (process.env.DOCKER_HOST) {
    const docker = new Docker(); // honours DOCKER_HOST (and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH)
    if (!(await answers(docker))) throw new EnvironmentError(`DOCKER_HOST=${process.env.DOCKER_HOST} does not answer`);
    return use({ docker, host: process.env.DOCKER_HOST, started: false, stop: async () => undefined });
  }
  for (const socket of [DEFAULT_SOCKET, OWN_SOCKET]) {
    if (!existsSync(socket)) continue;
    const docker = new Docker({ socketPath: socket });
    if (await answers(docker, 1500)) return use({ docker, host: `unix://${socket}`, started: false, stop: async () => undefined });
  }
  provisionEngine(log);
  if (!isRoot()) throw new EnvironmentError('--env docker: no Docker engine answers and starting dockerd needs root (or set DOCKER_HOST)');
  return use(await startDockerd(log));
}

/**
 * testcontainers finds the engine through DOCKER_HOST; its reaper (Ryuk) is an image to pull: off,
 * the harness cleans up itself. Whatever way the harness exits, its containers and volumes go
 * first (the environment removes them; a synchronous last resort here), then its dockerd.
 */
async function use(e: Engine): Promise<Engine> {
  keepSignalHandling();
  const before = { DOCKER_HOST: process.env.DOCKER_HOST, TESTCONTAINERS_RYUK_DISABLED: process.env.TESTCONTAINERS_RYUK_DISABLED, TESTCONTAINERS_HOST_OVERRIDE: process.env.TESTCONTAINERS_HOST_OVERRIDE };
  process.env.DOCKER_HOST = e.host;
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  // containers use the host network: everything is on loopback (and testcontainers, inside a
  // container itself, would otherwise look for the gateway of a bridge network there is none of)
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
  const removed = await removeOrphans(e.docker);
  if (removed) process.stderr.write(`docker: removed ${removed} container(s) left by a harness that is gone\n`);
  const stopEngine = e.stop;
  let stopped = false;
  const offExit = onExitSync(() => {
    if (!stopped) removeOwnedSync(e.host);
  });
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    offInterrupt();
    if (process.env.CHAOS_DEBUG) process.stderr.write(`[docker ${new Date().toISOString()}] engine stop\n`);
    await removeOwned(e.docker).catch(() => undefined);
    offExit();
    await stopEngine();
    // what this process's children see again (a dockerd that is gone is no DOCKER_HOST)
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  // Ctrl-C / SIGTERM: cleanups run in the order they were registered, so the suite's (which
  // removes the containers in order) runs before this one
  const offInterrupt = onInterrupt(stop);
  return { ...e, stop };
}

/** Wait until the daemon named in `pidfile` is gone (a zombie counts as gone), then remove the file. */
async function waitGone(pidfile: string, name: string): Promise<void> {
  let pid = 0;
  try {
    pid = Number(readFileSync(pidfile, 'utf8').trim());
  } catch {
    return;
  }
  const running = () => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !/^\S+ \(.*\) Z/.test(stat) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name);
    } catch {
      return false;
    }
  };
  for (let i = 0; pid && running(); i++) {
    if (i >= 100) throw new EnvironmentError(`a ${name} (pid ${pid}) of ${OWN_SOCKET} runs but the engine does not answer`);
    await new Promise((r) => setTimeout(r, 100));
  }
  rmSync(pidfile, { force: true });
}

async function startDockerd(log: (s: string) => void): Promise<Engine> {
  const started = Date.now();
  const data = path.join(DOCKER_CACHE, 'data');
  const exec = path.join(DOCKER_CACHE, 'exec');
  mkdirSync(data, { recursive: true });
  mkdirSync(exec, { recursive: true });
  const pidfile = path.join(DOCKER_CACHE, 'dockerd.pid');
  // a dockerd of a harness that was SIGKILLed dies with it (pdeathsig), its containerd too, which
  // may take a moment; until then the new dockerd would take them for running and fail
  await waitGone(pidfile, 'dockerd');
  await waitGone(path.join(exec, 'containerd', 'containerd.pid'), 'containerd');
  const args = [
    '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false',
    '--data-root', data, '--exec-root', exec, '--pidfile', pidfile,
    '--host', `unix://${OWN_SOCKET}`, '--log-level', 'info',
  ];
  // pdeathsig: should the harness die by SIGKILL, the kernel takes its dockerd along
  const [cmd, argv] = existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', ['--pdeathsig', 'SIGKILL', '--', 'dockerd', ...args]] : ['dockerd', args];
  // its log goes to a file: a pipe to the harness would end with the harness (and dockerd with it, by SIGPIPE)
  const logFile = path.join(DOCKER_CACHE, 'dockerd.log');
  const fd = openSync(logFile, 'w');
  const child: ChildProcess = spawn(cmd, argv, { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  const tail = () => {
    try {
      return readFileSync(logFile, 'utf8').trim().split('\n').pop() ?? '';
    } catch {
      return '';
    }
  };
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => {
    exited = true;
    r();
  }));
  const pid = child.pid!;
  // never outlive the harness: a synchronous last resort, then the orderly stop below
  // (exit hooks run in the order they were registered: the one removing the containers, registered later, would come too late; so this one removes them too)
  const offExit = onExitSync(() => {
    if (exited) return;
    removeOwnedSync(`unix://${OWN_SOCKET}`);
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    spawnSync('sh', ['-c', `i=0; while kill -0 ${pid} 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; kill -9 ${pid} 2>/dev/null; true`], { stdio: 'ignore' });
    unmountUnder(DOCKER_CACHE);
  });
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(t);
    }
    offExit();
    unmountUnder(DOCKER_CACHE);
  };
  const docker = new Docker({ socketPath: OWN_SOCKET });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exited) throw new EnvironmentError(`dockerd exited at start: ${oneLine(tail())}`);
    if (existsSync(OWN_SOCKET) && (await answers(docker, 1000))) {
      log(`docker: started dockerd (pid ${pid}, data in .cache/docker) in ${((Date.now() - started) / 1000).toFixed(1)}s; it stops when the harness exits`);
      return { docker, host: `unix://${OWN_SOCKET}`, started: true, stop };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new EnvironmentError(`dockerd did not answer on ${OWN_SOCKET} within 30 s: ${oneLine(tail())}`);
}

/**
 * dockerd leaves its data root's bind mount and its network namespace mount behind when it
 * stops (and all of them when it was killed): unmount whatever is mounted under `dir`, deepest
 * first, so the cache (and a clone of the project) can be removed.
 */
export function unmountUnder(dir: string): void {
  let mounts: string[];
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1] ?? '')
      // /proc/mounts escapes spaces and the like as octal
      .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  } catch {
    return;
  }
  const under = [...new Set(mounts.filter((m) => m.startsWith(dir + path.sep)))].sort((a, b) => b.length - a.length);
  for (const m of under) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
}

/** Stop the engine this process started (no-op for a user's engine). */
export async function stopEngine(): Promise<void> {
  const e = current;
  current = undefined;
  if (e) await (await e.catch(() => undefined))?.stop();
}
