import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { EnvironmentError } from './errors.ts';
import type { RedisControl } from './surface.ts';
import { PortTakenError, rebindWithRetry, startWithPortRetry } from './ports.ts';
import { onExitSync, OWNER_VAR, pidAlive, type ManagedProcess, type ProcessRegistry } from './processes.ts';

export interface RedisOptions {
  bin: string;
  registry: ProcessRegistry;
  /** append-only file with fsync on every write, so a restart loses nothing acknowledged */
  aof: boolean;
  /** more redis-server settings, "name=value" each (--redis-config), applied after the harness's own so they win */
  config?: readonly string[];
}

/** "appendonly=no" → ['--appendonly', 'no']; "save=900 1" → ['--save', '900', '1'] */
export function redisConfigArgs(config: readonly string[] = []): string[] {
  return config.flatMap((c) => {
    const at = c.indexOf('=');
    return ['--' + c.slice(0, at), ...c.slice(at + 1).split(/\s+/).filter(Boolean)];
  });
}

const DIR_PREFIX = 'chaos-redis-';

/**
 * Every exit path of the harness removes its Redis dir except SIGKILL: the next harness to start
 * removes the dirs of harnesses that are gone (the pid is in the name; live ones are left alone).
 */
export function removeOrphanDirs(dir = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    try {
      rmSync(path.join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      /* not ours to remove */
    }
  }
  return removed;
}

/** A redis-server owned by the harness: loopback only, random password, its own temp dir. */
export class RedisServer {
  readonly password = randomBytes(12).toString('hex');
  // the harness's pid in the name: a later start removes dirs whose harness was SIGKILLed
  readonly dir = mkdtempSync(path.join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
  port = 0;
  process!: ManagedProcess;
  private log = '';

  private readonly forgetDir: () => void;

  private constructor(private readonly opts: RedisOptions) {
    // on Ctrl-C or a crash of the harness the data dir goes too
    this.forgetDir = onExitSync(() => rmSync(this.dir, { recursive: true, force: true }));
  }

  static async start(opts: RedisOptions): Promise<RedisServer> {
    removeOrphanDirs();
    const server = new RedisServer(opts);
    try {
      await startWithPortRetry((port) => server.launch(port));
    } catch (err) {
      server.removeDir();
      throw err;
    }
    return server;
  }

  private args(port: number): string[] {
    return [
      '--port', String(port), '--bind', '127.0.0.1', '--requirepass', this.password,
      '--dir', this.dir, '--save', '', '--daemonize', 'no', '--protected-mode', 'yes',
      '--appendonly', this.opts.aof ? 'yes' : 'no', '--appendfsync', 'always',
      '--loglevel', 'warning',
      ...redisConfigArgs(this.opts.config),
      // redis-server writes its process title over its environment, where the owner tag
      // (processes.ts OWNER_VAR) would be: carry the tag in the title instead
      ...(process.env[OWNER_VAR] ? ['--proc-title-template', `{title} {listen-addr} {server-mode} ${OWNER_VAR}=${process.env[OWNER_VAR]}`] : []),
    ];
  }

  private async launch(port: number): Promise<void> {
    const proc = this.opts.registry.spawn('redis-server', this.opts.bin, this.args(port));
    this.log = '';
    proc.child.stdout?.on('data', (d: Buffer) => (this.log = (this.log + d.toString()).slice(-4000)));
    proc.child.stderr?.on('data', (d: Buffer) => (this.log = (this.log + d.toString()).slice(-4000)));
    // 'close' comes after the last output: an exit is explained once the log is complete
    const outputDone = new Promise<void>((r) => proc.child.once('close', () => r()));
    this.process = proc;
    this.port = port;
    await this.waitReady(10_000, outputDone);
  }

  private async waitReady(timeoutMs: number, outputDone: Promise<void>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const exited = this.process.exited.then(() => undefined);
    while (Date.now() < deadline) {
      if (!this.process.alive()) {
        let wait: NodeJS.Timeout | undefined;
        await Promise.race([outputDone, new Promise((r) => (wait = setTimeout(r, 500)))]);
        clearTimeout(wait);
        const line = this.log.split('\n').find((l) => /error|fatal|address already in use/i.test(l)) ?? 'exited at start';
        const message = `redis-server on port ${this.port} did not start: ${line.trim()}`;
        if (/address already in use/i.test(this.log)) throw new PortTakenError(message, this.port);
        throw new EnvironmentError(message);
      }
      const c = this.client({ lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      let timer: NodeJS.Timeout | undefined;
      try {
        // bounded: until redis-server has failed to bind, whatever holds the port may take the
        // connection and never answer
        const ready = await Promise.race([
          c.connect().then(async () => (await c.ping()) === 'PONG'),
          exited.then(() => false),
          new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 1000))),
        ]);
        if (ready) return;
      } catch {
        /* not up yet */
      } finally {
        clearTimeout(timer);
        c.disconnect();
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new EnvironmentError(`redis-server on port ${this.port} did not answer PING within ${timeoutMs} ms`);
  }

  /** A direct (not proxied) connection, for the harness's own reads and setup. */
  client(extra: Partial<import('ioredis').RedisOptions> = {}): Redis {
    return redisClient(this.port, this.password, extra);
  }

  /**
   * Kill (SIGKILL, like a crash) or stop (SIGTERM) and start again on the same port and dir. The
   * links forward to that port, so it cannot move: while something else holds it for a moment
   * (an outgoing connection given it as its local port, another server's lost race), try the
   * same port again, 5 times 200 ms apart, then an EnvironmentError.
   */
  async restart(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.process.signal(signal);
    await this.process.exited;
    const port = this.port;
    await rebindWithRetry('redis-server', port, () => this.launch(port), { attempts: 5, backoffMs: 200 });
  }

  /**
   * Removes everything in its data dir (the append-only dir and files, any RDB), so the next start
   * comes up empty. Only while it is down: a running redis-server would go on writing to files it
   * has open.
   */
  eraseData(): void {
    if (this.process.alive()) throw new Error('redis-server is running: its data can be removed only while it is down');
    for (const name of readdirSync(this.dir)) rmSync(path.join(this.dir, name), { recursive: true, force: true });
  }

  async stop(): Promise<void> {
    this.process.signal('SIGTERM');
    const t = setTimeout(() => this.process.signal('SIGKILL'), 3000);
    await this.process.exited;
    clearTimeout(t);
    this.removeDir();
  }

  private removeDir(): void {
    rmSync(this.dir, { recursive: true, force: true });
    this.forgetDir();
  }
}

/** A redis-server as the faults control it (RedisControl): kill, restart on its data, erase its data while down. */
export function redisControlOf(redis: RedisServer): RedisControl {
  return {
    alive: () => redis.process.alive(),
    kill: async () => {
      redis.process.signal('SIGKILL');
      await redis.process.exited;
    },
    restart: () => redis.restart(),
    erase: async () => redis.eraseData(),
  };
}

/** A direct (not proxied) connection to the Redis on a loopback port (a process's or a container's). */
export function redisClient(port: number, password: string, extra: Partial<import('ioredis').RedisOptions> = {}): Redis {
  const c = new Redis({ host: '127.0.0.1', port, password, ...extra });
  // a Redis restart (a nemesis step) drops the connection; ioredis reconnects by itself
  c.on('error', () => undefined);
  return c;
}

/**
 * After the flush between reused runs, until the system is at rest again, asked every 10 ms and
 * given up after `timeoutMs` (it is then used as it is): by its own word (SystemModule.atRest, a
 * system that polls), or `untilListening`.
 */
export async function untilAtRest(atRest: () => Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await atRest().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * After a flush every blocked read of reused processes ends (their streams and groups are gone);
 * each re-creates its group and blocks again. Waits until `count` clients wait at Redis again
 * (blocked in a read, or subscribed), so a fault that starts the next run meets a system at rest.
 * A system that never blocks (another SUT) is given up on after `timeoutMs` and used as it is.
 */
export function untilListening(admin: Redis, count: number, timeoutMs = 2000): Promise<void> {
  return untilAtRest(async () => String(await admin.client('LIST')).split('\n').filter((c) => /\bflags=\S*[bP]/.test(c)).length >= count, timeoutMs);
}
