import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** resolves when the process has exited */
  readonly exited: Promise<Exit>;
  alive(): boolean;
  signal(sig: NodeJS.Signals): void;
}

// setpriv --pdeathsig makes the kernel SIGKILL a child when the harness dies, even by
// SIGKILL, so no server or SUT process can outlive it.
const SETPRIV = '/usr/bin/setpriv';
const hasSetpriv = existsSync(SETPRIV);

/** Every process the harness starts, so that all of them can be stopped on any exit path. */
export class ProcessRegistry {
  private readonly live = new Map<number, ManagedProcess>();
  private readonly everStarted: number[] = [];

  spawn(name: string, command: string, args: string[], options: SpawnOptions = {}): ManagedProcess {
    const [cmd, argv] = hasSetpriv
      ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', command, ...args]]
      : [command, args];
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    // a detached child leads its own process group: signals reach its whole tree (a worker,
    // its executor and the payload freeze or die together, like a container)
    const target = options.detached ? -(child.pid ?? 0) : (child.pid ?? 0);
    if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    const pid = child.pid;
    let running = true;
    const exited = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        running = false;
        this.live.delete(pid);
        resolve({ code, signal });
      });
    });
    child.once('error', () => {
      running = false;
      this.live.delete(pid);
    });
    const proc: ManagedProcess = {
      name,
      pid,
      child,
      exited,
      alive: () => running,
      signal: (sig) => {
        if (running) {
          try {
            process.kill(target, sig);
          } catch {
            /* already gone */
          }
        }
      },
    };
    this.live.set(pid, proc);
    this.everStarted.push(pid);
    return proc;
  }

  /** pids of every process this registry ever started (for leak checks) */
  startedPids(): number[] {
    return [...this.everStarted];
  }

  running(): ManagedProcess[] {
    return [...this.live.values()];
  }

  /** SIGTERM everything, then SIGKILL whatever is still there after graceMs. */
  async stopAll(graceMs = 2000): Promise<void> {
    const procs = this.running();
    for (const p of procs) p.signal('SIGTERM');
    await Promise.race([
      Promise.all(procs.map((p) => p.exited)),
      new Promise((r) => setTimeout(r, graceMs).unref()),
    ]);
    for (const p of this.running()) p.signal('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
  }

  /** Last resort from a synchronous 'exit' handler. */
  killAllNow(): void {
    for (const p of this.running()) p.signal('SIGKILL');
  }
}

const registries = new Set<ProcessRegistry>();
const cleanups = new Set<() => Promise<void>>();
const exitHooks = new Set<() => void>();
let handlersInstalled = false;
/** false in a process whose parent says it for it (a `--jobs` job: leaveStopNoticeToParent) */
let announceStop = true;

/** An interrupt stops what this process started without saying so: its parent, interrupted too, says it once for all. */
export function leaveStopNoticeToParent(): void {
  announceStop = false;
}

/**
 * Stops every registered process on normal exit, Ctrl-C, SIGTERM and uncaught errors.
 * `cleanup` callbacks (e.g. writing a partial report) run first on signals.
 */
export function trackForExit(registry: ProcessRegistry): () => void {
  registries.add(registry);
  installHandlers();
  return () => registries.delete(registry);
}

/** Synchronous work for the very last moment of the process (removing temp dirs). */
export function onExitSync(fn: () => void): () => void {
  exitHooks.add(fn);
  installHandlers();
  return () => exitHooks.delete(fn);
}

export function onInterrupt(fn: () => Promise<void>): () => void {
  cleanups.add(fn);
  installHandlers();
  return () => cleanups.delete(fn);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', () => {
    for (const r of registries) r.killAllNow();
    for (const fn of exitHooks) {
      try {
        fn();
      } catch {
        /* best effort at exit */
      }
    }
  });
  const onSignal = (sig: NodeJS.Signals, code: number) => {
    process.once(sig, () => {
      void (async () => {
        // quiet when everything was already stopped (a test worker ended by its runner), and where
        // the parent says it (leaveStopNoticeToParent)
        if (announceStop && (registries.size > 0 || cleanups.size > 0)) process.stderr.write(`\n${sig}: stopping everything the harness started\n`);
        const timer = setTimeout(() => process.exit(code), 5000);
        for (const fn of cleanups) await fn().catch(() => undefined);
        await Promise.all([...registries].map((r) => r.stopAll(1000)));
        clearTimeout(timer);
        process.exit(code);
      })();
    });
  };
  onSignal('SIGINT', 130);
  onSignal('SIGTERM', 143);
}

/** A process's children as the kernel lists them (/proc/<pid>/task/<pid>/children); undefined where that cannot be read. */
export function childPids(pid: number): number[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return undefined;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // someone else's process
  }
}

/**
 * Set in the environment of a test run or bench, inherited by every process the harness starts
 * (servers, SUT roles, executors): tells its processes from those of another run on the machine,
 * even after one has been orphaned.
 */
export const OWNER_VAR = 'CHAOS_OWNER';

function ownedBy(pid: number, owner: string): boolean {
  const tag = `${OWNER_VAR}=${owner}`;
  try {
    if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(tag)) return true;
    // redis-server carries it in its process title (redis.ts)
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/).includes(tag);
  } catch {
    return false; // gone, or not readable
  }
}

/** The processes whose command line matches `pattern` (pgrep -f), pid → command line; pgrep itself excluded; with `owner`, only those carrying it. */
export function listProcesses(pattern: string, owner?: string): Map<number, string> {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-a', '-f', pattern], { encoding: 'utf8' });
  } catch {
    /* pgrep exits 1 when nothing matches */
  }
  const found = new Map<number, string>();
  for (const line of out.trim().split('\n').filter(Boolean)) {
    const [pid, ...cmd] = line.split(' ');
    if (cmd.join(' ').includes('pgrep')) continue;
    if (owner === undefined || ownedBy(Number(pid), owner)) found.set(Number(pid), cmd.join(' '));
  }
  return found;
}
