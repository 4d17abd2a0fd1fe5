// The docker environment: redis-server, toxiproxy-server and every role of the system under test
// in its own container (testcontainers starts them; host network, so everything is on 127.0.0.1
// as in the local environment), one Toxiproxy proxy per process exactly as there. Process faults
// are container operations through dockerode: kill = SIGKILL to the container, pause = the cgroup
// freezer, terminate = stop with a grace period, start = the same container started again; a Redis
// restart keeps its append-only file on a volume.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { Toxiproxy } from 'toxiproxy-node-client';
import type Docker from 'dockerode';
import { PROJECT_ROOT } from '../binaries.ts';
import { BackedEnvironment, type ProcessHandle, type RedisHandle } from '../backed.ts';
import { DEFAULT_ENV_OPTIONS, type EnvironmentOptions } from '../environment.ts';
import { EnvironmentError } from '../errors.ts';
import { oneLine } from '../../text/oneLine.ts';
import { startWithPortRetry } from '../ports.ts';
import { OWNER_VAR } from '../processes.ts';
import { redisClient } from '../redis.ts';
import { ownLabels } from './cleanup.ts';
import { engine, type Engine } from './engine.ts';
import { ensureImages, type ImageName } from './images.ts';
import type { SystemModule } from '../../systems/types.ts';
import type { Rejoin } from '../../nemesis/types.ts';

const STARTUP_TIMEOUT_MS = 30_000;
const READY_LINE = /"ready":\s*true/;
let envCount = 0;

/** What the last operation on a container was, for the history (RunEnvironment.lastOperation). */
export interface ContainerOperation extends Record<string, string> {
  target: 'container';
  container: string;
  operation: string;
}

/** Docker's `since` for logs: seconds.nanoseconds */
const dockerTime = (ms: number) => `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1_000_000).padStart(9, '0')}`;

/** One container, as the faults see it: operations on it are serialized. */
class Box implements ProcessHandle {
  container!: Docker.Container;
  /** host pid of the container's first process (the role itself) */
  hostPid = 0;
  running = false;
  paused = false;
  last: ContainerOperation | undefined;
  /** starts a new container of this name as the system's n-th new consumer; absent: a kill always comes back as the same container */
  rejoinAs?: (n: number) => Promise<void>;
  private rejoins = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly docker: Docker,
    readonly name: string,
    /** how the first process tells it is ready after a start: a log line, or a probe */
    readonly ready: { line?: RegExp; probe?: () => Promise<boolean> },
  ) {}

  /** run `fn` after every earlier operation on this container */
  op<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  note(operation: string): void {
    this.last = { target: 'container', container: this.name, operation };
  }

  alive(): boolean {
    return this.running;
  }

  /** after a start: whether it runs, its host pid, and a watch for its exit */
  async track(id: string): Promise<void> {
    this.container = this.docker.getContainer(id);
    const info = await this.container.inspect();
    this.hostPid = info.State.Pid;
    this.running = info.State.Running;
    this.paused = info.State.Paused;
    const startedAt = info.State.StartedAt;
    // the role exiting by itself (a crash): seen here; a wait of an earlier start that resolves
    // late says nothing about this one
    const exited = () => void this.container.inspect().then((i) => {
      if (i.State.StartedAt !== startedAt) return;
      this.running = i.State.Running;
      this.paused = i.State.Paused;
    }, () => {
      this.running = false;
    });
    void this.container.wait().then(exited, exited);
  }

  kill(): Promise<void> {
    this.note('docker kill --signal SIGKILL');
    return this.op(async () => {
      if (this.paused) await this.container.unpause().catch(() => undefined);
      this.paused = false;
      await this.container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
      await this.container.wait().catch(() => undefined);
      this.running = false;
    });
  }

  terminate(graceMs: number): Promise<void> {
    this.note(`docker stop --time ${Math.ceil(graceMs / 1000)} (SIGTERM, then SIGKILL)`);
    return this.op(async () => {
      if (this.paused) await this.container.unpause().catch(() => undefined);
      this.paused = false;
      await this.container.stop({ t: Math.ceil(graceMs / 1000) }).catch(() => undefined);
      await this.container.wait().catch(() => undefined);
      this.running = false;
    });
  }

  pause(): void {
    this.note('docker pause (cgroup freezer)');
    this.paused = true;
    void this.op(() => this.container.pause()).catch(() => undefined);
  }

  resume(): void {
    this.note('docker unpause');
    void this.op(async () => {
      if (!this.paused) return;
      await this.container.unpause().catch(() => undefined);
      this.paused = false;
    });
  }

  /** settle every queued operation (a pause or resume is fire-and-forget) */
  settle(): Promise<void> {
    return this.op(async () => undefined);
  }

  /**
   * Start it again and wait until it is ready: the same container (its command, its volume), or
   * with `rejoin: 'new'` a new container of the same name whose command adds the system's
   * arguments for its n-th new consumer (ProcessSpec.rejoinArgs), as a local process would.
   */
  start(opts: { rejoin?: Rejoin } = {}): Promise<void> {
    const rejoin = opts.rejoin === 'new' ? this.rejoinAs : undefined;
    if (rejoin) {
      this.note('docker rm, then docker run as a new consumer');
      const n = ++this.rejoins;
      return this.op(async () => {
        await this.container.remove({ force: true, v: true }).catch(() => undefined);
        this.running = false;
        await rejoin(n);
      });
    }
    this.note('docker start');
    return this.op(async () => {
      const since = Date.now() - 1;
      await this.container.start();
      await this.track(this.container.id);
      await this.waitReady(since);
    });
  }

  private async waitReady(sinceMs: number): Promise<void> {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    if (this.ready.probe) {
      while (Date.now() < deadline) {
        if (await this.ready.probe()) return;
        if (!this.running) throw new EnvironmentError(`${this.name} exited at start: ${await this.logTail()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new EnvironmentError(`${this.name} not ready within ${STARTUP_TIMEOUT_MS} ms`);
    }
    const line = this.ready.line!;
    const stream = (await this.container.logs({ follow: true, stdout: true, stderr: true, since: dockerTime(sinceMs) as never })) as unknown as NodeJS.ReadableStream & { destroy(): void };
    await new Promise<void>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => done(new EnvironmentError(`${this.name} did not report ready within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
      const done = (err?: Error) => {
        clearTimeout(timer);
        stream.destroy();
        if (err) reject(err);
        else resolve();
      };
      stream.on('data', (d: Buffer) => {
        text = (text + d.toString('utf8')).slice(-8000);
        if (line.test(text)) done();
      });
      stream.on('end', () => done(new EnvironmentError(`${this.name} exited before ready: ${text.trim().split('\n').pop() ?? ''}`)));
      stream.on('error', (e: Error) => done(e));
    });
  }

  async logTail(): Promise<string> {
    try {
      const buf = (await this.container.logs({ stdout: true, stderr: true, tail: 5 })) as unknown as Buffer;
      return oneLine(buf.toString('utf8').replace(/[\x00-\x08]/g, '').trim().split('\n').pop() ?? '');
    } catch {
      return '';
    }
  }

  /** the executor the worker in this container forked now: the role's first child, seen from the host */
  executorHostPid(): number | undefined {
    try {
      const children = readFileSync(`/proc/${this.hostPid}/task/${this.hostPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      return children.length ? Number(children[0]) : undefined;
    } catch {
      return undefined; // an engine on another host: no /proc of its containers here
    }
  }

  killExecutor(): boolean {
    const pid = this.executorHostPid();
    if (pid === undefined) return false;
    this.note(`SIGKILL of the executor process in the container (host pid ${pid})`);
    try {
      process.kill(pid, 'SIGKILL');
      return true;
    } catch {
      return false;
    }
  }

  async remove(): Promise<void> {
    await this.container?.remove({ force: true, v: true }).catch(() => undefined);
    this.running = false;
  }
}

/** Start a container with testcontainers (host network, the harness's labels) and track it. */
async function launch(box: Box, image: string, command: string[], o: {
  env?: Record<string, string>; binds?: { source: string; target: string; mode: 'ro' | 'rw' }[]; workdir?: string; waitLine?: RegExp;
}): Promise<void> {
  const { GenericContainer, Wait } = await import('testcontainers');
  let c = new GenericContainer(image)
    .withName(box.name)
    .withNetworkMode('host')
    .withLabels(ownLabels())
    .withCommand(command)
    .withEnvironment(o.env ?? {})
    .withStartupTimeout(STARTUP_TIMEOUT_MS);
  if (o.binds) c = c.withBindMounts(o.binds);
  if (o.workdir) c = c.withWorkingDir(o.workdir);
  c = c.withWaitStrategy(o.waitLine ? Wait.forLogMessage(o.waitLine) : Wait.forListeningPorts());
  try {
    const started = await c.start();
    await box.track(started.getId());
  } catch (err) {
    // testcontainers leaves a container that failed its wait: it is ours to remove
    await box.docker.getContainer(box.name).remove({ force: true, v: true }).catch(() => undefined);
    throw new EnvironmentError(`${box.name} did not start: ${oneLine(err)}`);
  }
}

/**
 * A command line of the system's (SystemModule.processes) as the node image runs it: the host's
 * node binary is the image's `node` (the project directory is mounted at its own path, so every
 * other path in it holds).
 */
export const inContainer = (argv: readonly string[]): string[] => (argv[0] === process.execPath ? ['node', ...argv.slice(1)] : [...argv]);

/** The environment in containers; backed.ts shares the links, heal and reset with the local one. */
export class DockerEnvironment extends BackedEnvironment<Box> {
  redisPort = 0;
  toxiproxyPort = 0;
  readonly password = randomBytes(12).toString('hex');
  private redisBox!: Box;
  private toxiBox!: Box;
  protected toxiproxyApi!: Toxiproxy;
  private readonly prefix = `chaos-${process.pid}-${++envCount}`;
  private readonly volume = `${this.prefix}-redis-data`;
  private images!: Record<ImageName, string>;
  /** how long start() took, for the report and measurements */
  startMs = 0;

  private constructor(options: EnvironmentOptions, private readonly engine: Engine, system: SystemModule) {
    super(options, system);
  }

  static async start(partial: Partial<EnvironmentOptions> = {}, log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<DockerEnvironment> {
    const started = Date.now();
    const options = { ...DEFAULT_ENV_OPTIONS, ...partial };
    // its node image runs the system's own command lines over the project directory: only a system that provides `containers` is handed to it
    const system = options.system;
    if (!system) throw new Error('DockerEnvironment.start needs the system under test (options.system: a SystemModule)');
    const e = await engine(log);
    const env = new DockerEnvironment(options, e, system);
    try {
      env.images = await ensureImages(e.docker, log);
      await env.startRedis();
      await env.startToxiproxy();
      await env.startSystem();
      env.startMs = Date.now() - started;
      log(`docker: environment up in ${(env.startMs / 1000).toFixed(1)}s (${env.sut.size + 2} containers: redis, toxiproxy, ${[...env.sut.keys()].join(', ')})`);
      return env;
    } catch (err) {
      await env.stop().catch(() => undefined);
      throw err;
    }
  }

  private get docker(): Docker {
    return this.engine.docker;
  }

  private redisClient(extra: Partial<import('ioredis').RedisOptions> = {}): Redis {
    return redisClient(this.redisPort, this.password, extra);
  }

  private async ping(): Promise<boolean> {
    const c = this.redisClient({ lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    try {
      return await Promise.race([c.connect().then(async () => (await c.ping()) === 'PONG'), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))]);
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  }

  private async startRedis(): Promise<void> {
    await this.docker.createVolume({ Name: this.volume, Labels: ownLabels() });
    this.redisBox = new Box(this.docker, `${this.prefix}-redis`, { probe: () => this.ping() });
    await startWithPortRetry(async (port) => {
      this.redisPort = port;
      await launch(this.redisBox, this.images.redis, [
        'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--requirepass', this.password,
        '--dir', '/data', '--save', '', '--daemonize', 'no', '--protected-mode', 'yes',
        '--appendonly', this.options.aof ? 'yes' : 'no', '--appendfsync', 'always', '--loglevel', 'notice',
      ], { binds: [{ source: this.volume, target: '/data', mode: 'rw' }], waitLine: /Ready to accept connections/ });
    }, 3);
    this.admin = this.redisClient({ maxRetriesPerRequest: 3 });
  }

  private async startToxiproxy(): Promise<void> {
    this.toxiBox = new Box(this.docker, `${this.prefix}-toxiproxy`, { line: /Starting Toxiproxy HTTP server/ });
    await startWithPortRetry(async (port) => {
      this.toxiproxyPort = port;
      await launch(this.toxiBox, this.images.toxiproxy, ['toxiproxy-server', '-host', '127.0.0.1', '-port', String(port)], { waitLine: /Starting Toxiproxy HTTP server/ });
    }, 3);
    this.toxiproxyApi = new Toxiproxy(`http://127.0.0.1:${this.toxiproxyPort}`);
    for (let i = 0; ; i++) {
      try {
        await this.toxiproxyApi.getVersion();
        break;
      } catch (err) {
        if (i > 100) throw new EnvironmentError(`toxiproxy in ${this.toxiBox.name} does not answer: ${oneLine(err)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  protected get redisPassword(): string {
    return this.password;
  }

  protected async startProcesses(): Promise<void> {
    const env: Record<string, string> = { SUT_REDIS_PASSWORD: this.password, HOME: '/tmp' };
    if (process.env[OWNER_VAR]) env[OWNER_VAR] = process.env[OWNER_VAR]!;
    await Promise.all(this.specs().map(async (spec) => {
      const box = new Box(this.docker, `${this.prefix}-${spec.id}`, { line: READY_LINE });
      this.sut.set(spec.id, box);
      // the system's own command line (SystemModule.processes), with the project directory read-only at its own path
      const run = (argv: string[]) => launch(box, this.images.node, inContainer(argv), {
        env, binds: [{ source: PROJECT_ROOT, target: PROJECT_ROOT, mode: 'ro' }], workdir: PROJECT_ROOT, waitLine: READY_LINE,
      });
      if (spec.rejoinArgs) box.rejoinAs = (n) => run([...spec.argv, ...spec.rejoinArgs!(n)]);
      await run(spec.argv);
    }));
  }

  get redisControl(): RedisHandle {
    const b = this.redisBox;
    return {
      alive: () => b.running,
      kill: () => b.kill(),
      // the same container started again: same port, its append-only file on the volume
      restart: () => b.start(),
      settle: () => b.settle(),
    };
  }

  /** What the last fault operation on a resource (nemesis resourceOf) did to which container. */
  lastOperation(resource: string): Record<string, string> | undefined {
    if (resource === 'redis') return this.redisBox.last;
    const m = /^process (.+)$/.exec(resource);
    return m ? this.sut.get(m[1]!)?.last : undefined;
  }

  protected async teardown(): Promise<void> {
    const dbg = (m: string) => process.env.CHAOS_DEBUG && process.stderr.write(`[docker ${new Date().toISOString()}] ${m}\n`);
    dbg('env stop');
    const boxes = [...this.sut.values(), this.toxiBox, this.redisBox].filter(Boolean);
    await Promise.all(boxes.map(async (b) => {
      await b.remove().catch((e) => dbg(`${b.name}: ${e}`));
      dbg(`${b.name} removed`);
    }));
    dbg('containers removed');
    await this.docker.getVolume(this.volume).remove().catch(() => undefined);
  }
}
