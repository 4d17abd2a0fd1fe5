// The live processes (PROTOCOL.md, "Processes"): each role is its start* function with the live
// edges, wrapped in what only a whole process has: signals and parent polling, the ready line
// on stdout, the HTTP server (orchestrator), the IPC channel (executor), and exit. Nothing of
// this is in the roles themselves, so that several roles can also run in one process (embed.ts).

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type LinkOptions, type Logger, Lifecycle, errorText } from './common.ts';
import { type ExecutorMessage, startExecutorCore } from './executor.ts';
import { type KeeperOptions, startKeeper } from './keeper.ts';
import { liveEdges } from './live-edges.ts';
import { MAX_BODY_BYTES, type OrchestratorOptions, startOrchestrator } from './orchestrator.ts';
import { type WorkerOptions, startWorker } from './worker.ts';

// ---------------------------------------------------------------------------------------
// Process lifecycle

/** The parent pid as the kernel has it now (process.ppid is read once, at startup). */
function currentParentPid(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function parentGone(parent: number): boolean {
  const now = currentParentPid();
  if (now !== undefined) return now !== parent;
  // no /proc: probe the original parent instead
  try {
    process.kill(parent, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * The process around one role: SIGTERM / SIGINT and a vanished parent stop the role (its
 * Lifecycle's cleanups) and exit, within 1 s whatever the cleanups do; last-resort error logging.
 */
class ProcessLifecycle {
  private exiting = false;

  constructor(
    private readonly role: Lifecycle,
    private readonly log: Logger,
  ) {}

  install(): this {
    process.on('SIGTERM', () => void this.exit('SIGTERM'));
    process.on('SIGINT', () => void this.exit('SIGINT'));
    const parent = currentParentPid() ?? process.ppid;
    // When the parent dies we are re-parented to another process.
    setInterval(() => {
      if (parentGone(parent)) void this.exit('parent process is gone');
    }, 500).unref();
    process.on('unhandledRejection', (reason) => this.log(`unhandled rejection: ${errorText(reason)}`));
    return this;
  }

  async exit(why: string, code = 0): Promise<void> {
    if (this.exiting) return;
    this.exiting = true;
    setTimeout(() => process.exit(code), 1000).unref();
    await this.role.stop(why);
    process.exit(code);
  }
}

/** A role's Lifecycle, with the process wrapped around it. */
function processFor(id: string): { lifecycle: Lifecycle; proc: ProcessLifecycle } {
  const log = liveEdges.log(id);
  const lifecycle = new Lifecycle(log);
  return { lifecycle, proc: new ProcessLifecycle(lifecycle, log).install() };
}

/** The one line on stdout the harness waits for. */
function printReady(role: string, id: string, extra: Record<string, number> = {}): void {
  process.stdout.write(JSON.stringify({ ready: true, role, id, pid: process.pid, ...extra }) + '\n');
}

// ---------------------------------------------------------------------------------------
// Roles

export interface OrchestratorProcessOptions extends OrchestratorOptions {
  /** 0 = any free port */
  httpPort: number;
}

/** Past this an oversized upload is cut off rather than drained. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * The body, up to MAX_BODY_BYTES + 1 bytes (enough for the API to answer 413). An oversized
 * body is still read to its end (and thrown away, up to a hard cap) so the client gets its 413
 * instead of a reset connection in the middle of its upload.
 */
function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_LIMIT_BYTES) req.destroy();
      else if (kept <= MAX_BODY_BYTES) {
        const part = chunk.subarray(0, MAX_BODY_BYTES + 1 - kept);
        chunks.push(part);
        kept += part.length;
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

export async function runOrchestrator(options: OrchestratorProcessOptions): Promise<void> {
  const { lifecycle } = processFor(options.id);
  const orchestrator = await startOrchestrator(options, liveEdges, lifecycle);

  const server = createServer((req, res) => {
    void orchestrator
      .request(req.method ?? 'GET', req.url ?? '/', req.headers, () => readBody(req))
      // a 413's body was not all read: the connection is not reused
      .then((answer) => send(res, answer.status, answer.body, answer.status === 413));
  });
  lifecycle.onStop(() => {
    server.closeAllConnections();
    server.close();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.httpPort, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  lifecycle.log(`listening on 127.0.0.1:${port}${options.bugs.size > 0 ? ` with bugs ${[...options.bugs].join(',')}` : ''}`);
  printReady('orchestrator', options.id, { httpPort: port });
}

export async function runWorker(options: WorkerOptions): Promise<void> {
  const { lifecycle } = processFor(options.id);
  const worker = await startWorker(options, liveEdges, lifecycle);
  printReady('worker', options.id, { executorPid: worker.executorPid ?? 0 });
}

export async function runKeeper(options: KeeperOptions): Promise<void> {
  const { lifecycle } = processFor(options.id);
  await startKeeper(options, liveEdges, lifecycle);
  printReady('keeper', options.id);
}

/** The executor process: the executor's logic (executor.ts) with IPC to its worker. */
export function runExecutor(options: LinkOptions): void {
  const { lifecycle, proc } = processFor(options.id);
  const toWorker = (message: ExecutorMessage) => {
    // the callback takes the error of a channel that closed meanwhile ('disconnect' handles it)
    if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
  };
  const core = startExecutorCore(options, liveEdges, {
    send: toWorker,
    // exit 1, so that the worker forks a fresh executor and runs the job again
    fatal: (why) => void proc.exit(why, 1),
  }, lifecycle);
  // the worker is gone (or closed the channel): nothing left to run for
  process.on('disconnect', () => void proc.exit('worker disconnected'));
  process.on('message', (raw: unknown) => core.receive(raw));
}
