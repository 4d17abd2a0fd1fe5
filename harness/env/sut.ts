import { createInterface } from 'node:readline';
import { PROJECT_ROOT, nodeCommand } from './binaries.ts';
import { EnvironmentError } from './errors.ts';
import { childPids, type ManagedProcess, type ProcessRegistry } from './processes.ts';
import type { ProcessHandle } from './backed.ts';
import { connect } from 'node:net';
import type { ProcessSpec, ReadySignal } from '../systems/types.ts';
import type { Rejoin } from '../nemesis/types.ts';

export type Role = 'orchestrator' | 'worker' | 'keeper';

interface ReadyLine {
  ready: true;
  role: string;
  id: string;
  pid: number;
  executorPid?: number;
}

/**
 * How a SUT process is started: `<command...> <role> --id <id> [flags]`. CHAOS_SUT_COMMAND points
 * the harness at another system that speaks system-under-test/PROTOCOL.md (whitespace-separated).
 */
export function sutCommand(): string[] {
  const custom = process.env.CHAOS_SUT_COMMAND?.trim();
  if (custom) return custom.split(/\s+/);
  return nodeCommand('system-under-test/main.ts');
}
const STARTUP_TIMEOUT_MS = 20_000;
/** the most of one process's log a run keeps (its tail) */
const LOG_CAP_BYTES = 256 * 1024;

const describeReady = (r: ReadySignal): string => ('tcp' in r ? `a connection to port ${r.tcp}` : 'http' in r ? `an answer from ${r.http}` : 'its JSON ready line');

/** Whether a TCP port on 127.0.0.1 accepts a connection, or an HTTP URL answers 2xx (each asked once, for at most 1 s). */
async function answers(r: ReadySignal): Promise<boolean> {
  if ('tcp' in r) {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: r.tcp });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(1000, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
  }
  if ('http' in r) {
    try {
      const res = await fetch(r.http, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }
  return false;
}

/** One process of the system under test, talking through its own link, restartable after a crash. */
export class SutProcess implements ProcessHandle {
  process!: ManagedProcess;
  executorPid: number | undefined;
  private stderrTail = '';
  /** what it wrote since the last takeLog (both streams, as they came; the last LOG_CAP_BYTES), across restarts */
  private log = '';

  constructor(
    readonly spec: ProcessSpec,
    private readonly registry: ProcessRegistry,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get id(): string {
    return this.spec.id;
  }

  get pid(): number {
    return this.process.pid;
  }

  alive(): boolean {
    return this.process?.alive() ?? false;
  }

  private append(text: string): void {
    this.log = (this.log + text).slice(-LOG_CAP_BYTES);
  }

  /** a line of the harness's own in the log: a start, an exit */
  private note(line: string): void {
    this.append(`[harness ${new Date().toISOString()}] ${this.id} ${line}\n`);
  }

  /** What it wrote since the last call (a run's log), and from now on, what it writes next. */
  takeLog(): string {
    const log = this.log;
    this.log = '';
    return log;
  }

  /** Last lines the process wrote on stderr (its log), for error messages. */
  logTail(): string {
    return this.stderrTail;
  }

  /** new consumers started so far (PROTOCOL.md `--consumer`) */
  private rejoins = 0;

  /** Starts it; `rejoin: 'new'` as a new consumer when the system has consumer names (ProcessSpec.rejoinArgs). */
  async start(opts: { rejoin?: Rejoin } = {}): Promise<void> {
    const extra = opts.rejoin === 'new' && this.spec.rejoinArgs ? this.spec.rejoinArgs(++this.rejoins) : [];
    const [command, ...args] = [...this.spec.argv, ...extra];
    const proc = this.registry.spawn(
      this.spec.id,
      command!,
      args,
      { cwd: this.spec.cwd ?? PROJECT_ROOT, env: { ...this.env, ...this.spec.env }, detached: true },
    );
    this.process = proc;
    this.executorPid = undefined;
    this.note(`started${extra.length ? ` as ${extra.join(' ')}` : ''}: ${[command, ...args].join(' ')}`);
    proc.child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-4000);
      this.append(d.toString());
    });
    proc.child.stdout?.on('data', (d: Buffer) => this.append(d.toString()));
    void proc.exited.then((exit) => this.note(`exited (code ${exit.code}, signal ${exit.signal})`));
    const signal = this.spec.ready ?? { line: true };
    const ready = await new Promise<Partial<ReadyLine>>((resolve, reject) => {
      const timer = setTimeout(() => {
        stopPolling();
        reject(new EnvironmentError(`${this.id} did not report ready (${describeReady(signal)}) within ${STARTUP_TIMEOUT_MS} ms`));
      }, STARTUP_TIMEOUT_MS);
      // a port or URL: asked every 50 ms until it answers (stdout is still read, and dropped)
      let polling = !('line' in signal);
      const stopPolling = () => (polling = false);
      if (polling) {
        void (async () => {
          while (polling) {
            if (await answers(signal)) {
              clearTimeout(timer);
              stopPolling();
              return resolve({});
            }
            await new Promise((r) => setTimeout(r, 50));
          }
        })();
      }
      const lines = createInterface({ input: proc.child.stdout! });
      lines.on('line', (line) => {
        if (!('line' in signal)) return;
        try {
          const parsed = JSON.parse(line) as ReadyLine;
          if (parsed.ready) {
            clearTimeout(timer);
            resolve(parsed);
          }
        } catch {
          /* not the ready line */
        }
      });
      void proc.exited.then((exit) => {
        clearTimeout(timer);
        stopPolling();
        const last = this.stderrTail.trim().split('\n').pop() ?? '';
        reject(new EnvironmentError(`${this.id} exited before ready (code ${exit.code}, signal ${exit.signal}): ${last}`));
      });
    });
    this.executorPid = ready.executorPid;
  }

  signal(sig: NodeJS.Signals): void {
    this.process.signal(sig);
  }

  /** The executor this worker runs now (it forks a new one whenever one dies): its child process. */
  currentExecutorPid(): number | undefined {
    const children = childPids(this.pid);
    return children === undefined ? this.executorPid : children[0];
  }

  /** SIGKILL the executor this worker forked (the worker starts a new one). */
  killExecutor(): boolean {
    const pid = this.currentExecutorPid();
    if (pid === undefined) return false;
    try {
      process.kill(pid, 'SIGKILL');
      return true;
    } catch {
      return false;
    }
  }

  async kill(): Promise<void> {
    if (!this.alive()) return;
    this.process.signal('SIGCONT');
    this.process.signal('SIGKILL');
    await this.process.exited;
  }

  /** its stop signal (SIGTERM unless its spec says), then SIGKILL if it has not exited within its own grace (else graceMs) */
  async terminate(graceMs: number): Promise<void> {
    this.signal(this.spec.stop?.signal ?? 'SIGTERM');
    await Promise.race([this.process.exited, new Promise((r) => setTimeout(r, this.spec.stop?.graceMs ?? graceMs))]);
    await this.kill();
  }

  /** freeze its process group (SIGSTOP) */
  pause(): void {
    this.signal('SIGSTOP');
  }

  /** thaw it (SIGCONT) */
  resume(): void {
    this.signal('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }
}
