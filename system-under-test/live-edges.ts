// The live edges (embed.ts, `Edges`): what the roles get from the operating system when each
// runs as its own process. TCP to Redis, crypto ids, a forked executor with IPC, /bin/sh
// payloads, stderr logging.

import { fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Logger, connectRedis, errorText } from './common.ts';
import type { Edges, ExecutorHandle, PayloadExit, PayloadHandle } from './embed.ts';
import { ExecutorMessageSchema, OUTPUT_CAP_BYTES } from './executor.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** a hanging payload sleeps this long past its timeout (the timeout kills it first) */
const HANG_EXTRA_S = 30;

// $1 seconds to sleep (fractional), $2 exit code; the output comes on stdin, so that any
// text (even NUL, which argv cannot carry) is printed exactly
const PAYLOAD_SCRIPT = 'sleep "$1"; cat; exit "$2"';

// A harness that records payload starts itself (its own witness, not sut:executions) names its
// wrapper and record file in these: each payload then runs as
// `<wrapper> <record> <jobId> <attempt> <executorId> -- /bin/sh -c ...`, and the wrapper execs
// the payload, so the pid spawned here is still the payload's and the environment still PATH only.
const WRAPPER_VAR = 'CHAOS_PAYLOAD_WRAPPER';
const RECORD_VAR = 'CHAOS_PAYLOAD_RECORD';
/** the executor's own id, given by its worker at the fork: the payload edge has only the job */
const EXECUTOR_ID_VAR = 'SUT_EXECUTOR_ID';

/** Logs go to stderr only: stdout carries the ready line and nothing else. */
export function makeLogger(id: string): Logger {
  return (message: string) => process.stderr.write(`${new Date().toISOString()} [${id}] ${message}\n`);
}

export const liveEdges: Edges = {
  redis: (link, log, purpose, blockMs) => connectRedis(link, log, purpose, blockMs, { password: process.env.SUT_REDIS_PASSWORD || undefined }),

  newId: () => randomUUID(),

  startExecutor(link, log, events): ExecutorHandle {
    const child = fork(
      MAIN,
      ['executor', '--redis-host', link.redisHost, '--redis-port', String(link.redisPort), '--id', link.id, '--bugs', [...link.bugs].join(',')],
      // the executor's stdout joins the worker's stderr: the worker's stdout is for its ready line
      { stdio: ['ignore', 2, 2, 'ipc'], env: { ...process.env, [EXECUTOR_ID_VAR]: link.id } },
    );
    /** the payload in progress: killed here if the executor dies under it */
    let payloadPid: number | undefined;
    // e.g. a send on a channel that just closed: the 'exit' handler below deals with it
    child.on('error', (err) => log(`executor ${child.pid}: ${errorText(err)}`));
    child.on('message', (raw: unknown) => {
      const parsed = ExecutorMessageSchema.safeParse(raw);
      if (!parsed.success) return;
      const message = parsed.data;
      if (message.type === 'started') payloadPid = message.payloadPid;
      else if (message.type === 'outcome') payloadPid = undefined;
      events.message(message);
    });
    child.once('exit', (code, signal) => {
      if (payloadPid !== undefined) killTree(payloadPid);
      payloadPid = undefined;
      events.exit(signal ?? `code ${code}`);
    });
    return {
      pid: child.pid,
      send(job) {
        if (!child.connected) return false;
        try {
          child.send(job);
          return true;
        } catch {
          return false;
        }
      },
      kill() {
        if (payloadPid !== undefined) killTree(payloadPid);
        child.kill('SIGTERM');
      },
      crash() {
        if (payloadPid !== undefined) killTree(payloadPid);
        child.kill('SIGKILL');
      },
    };
  },

  runPayload(job): PayloadHandle {
    const { payload, timeoutMs } = job;
    const seconds = payload.hang ? timeoutMs / 1000 + HANG_EXTRA_S : payload.durationMs / 1000;
    const argv = ['/bin/sh', '-c', PAYLOAD_SCRIPT, 'payload', String(seconds), String(payload.exitCode)];
    const wrapper = process.env[WRAPPER_VAR];
    const record = process.env[RECORD_VAR];
    const executorId = process.env[EXECUTOR_ID_VAR] ?? `executor-${process.pid}`;
    const [command, ...args] = wrapper && record ? [wrapper, record, job.jobId, String(job.attempt), executorId, '--', ...argv] : argv;
    // a child of the executor, so in the worker's process group: a signal to the group reaches it
    const child = spawn(command!, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    // EPIPE when the payload is killed before it read its input: nothing to do
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(payload.output.map((line) => line + '\n').join(''));
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      if (stdoutBytes >= OUTPUT_CAP_BYTES) return;
      const part = chunk.subarray(0, OUTPUT_CAP_BYTES - stdoutBytes);
      stdout.push(part);
      stdoutBytes += part.length;
    });
    const ended = new Promise<PayloadExit>((resolve) => {
      child.once('error', (err) => resolve({ kind: 'spawn-error', message: errorText(err) }));
      child.once('close', (code, signal) => resolve({ kind: 'exited', code, signal, output: Buffer.concat(stdout).toString('utf8') }));
    });
    return {
      pid: child.pid,
      ended,
      kill: () => {
        if (child.pid !== undefined) killTree(child.pid);
      },
    };
  },

  log: makeLogger,
};

/**
 * SIGKILLs a process and all its descendants. The payload is `sh` with a `sleep` child in
 * the worker's process group (so the harness's group signals reach it); killing only
 * `sh` would orphan the `sleep` and keep its stdout open. Each process is stopped (SIGSTOP)
 * before its children are read, so none can fork behind the scan: a kill right after the
 * spawn, before `sh` forked, once read no children, and the `sleep` forked a moment later
 * outlived its payload (found by the live soak: a cancel at once after the start).
 */
export function killTree(pid: number): void {
  const seen = new Set<number>();
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    try {
      process.kill(p, 'SIGSTOP');
    } catch {
      continue; // already gone
    }
    waitStopped(p);
    todo.push(...childrenOf(p));
  }
  for (const p of seen) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** Longest a stopped process may take to show it (a signal lands when the process next runs). */
const STOP_WAIT_MS = 200;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Waits (blocking, briefly) until `pid` is stopped, a zombie or gone. */
function waitStopped(pid: number): void {
  const deadline = Date.now() + STOP_WAIT_MS;
  while (Date.now() < deadline) {
    const state = procState(pid);
    if (state === undefined || state === 'T' || state === 't' || state === 'Z' || state === 'X') return;
    Atomics.wait(pause, 0, 0, 1);
  }
}

/** the one-letter state of /proc/<pid>/stat, undefined when it is gone */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may contain spaces and parentheses: the state follows the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** the live children of `pid`, read from /proc (none where there is no /proc) */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      /* process exited while scanning */
    }
  }
  return out;
}
