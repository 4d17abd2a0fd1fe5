import type { Redis } from 'ioredis';
import type { Proxy } from 'toxiproxy-node-client';
import { bootstrap } from './binaries.ts';
import { OWNER_VAR, ProcessRegistry, trackForExit } from './processes.ts';
import { RedisServer, untilListening } from './redis.ts';
import { SutProcess } from './sut.ts';
import { PayloadRecord } from './payload-record.ts';
import { proxyLinkControl, ToxiproxyServer } from './toxiproxy.ts';
import { freePort } from './ports.ts';
import type { LinkControl, ProcessControl, RedisControl, RunEnvironment } from './surface.ts';
import type { HistoryRecorder } from '../history/recorder.ts';
import type { PayloadStartEntry } from '../history/types.ts';
import { httpTransport, type Transport } from '../workload/client.ts';
import type { ProcessSpec, SystemModule, SystemShape } from '../systems/types.ts';

export interface EnvironmentOptions {
  workers: number;
  keepers: number;
  /** Redis append-only file (fsync always) so a Redis restart keeps every acknowledged write */
  aof: boolean;
  /** planted bugs passed to every SUT process */
  bugs: string[];
  /** idle time after which another worker reclaims a job (XAUTOCLAIM; a library's lock or stall interval) */
  leaseMs: number;
  /** the system under test (a module of harness/systems/, or a config's own): the environment runs whatever it is handed */
  system?: SystemModule;
  /** redis-server settings given on the command line (--redis-config name=value), after the scenario's own */
  redisConfig: string[];
  /** jobs each worker process runs at once (--concurrency; a system whose module has `concurrency`), default 1 */
  concurrency?: number;
}

export const DEFAULT_ENV_OPTIONS: EnvironmentOptions = { workers: 2, keepers: 1, aof: false, bugs: [], leaseMs: 2000, redisConfig: [] };

/** One TCP path through its own Toxiproxy proxy, so a fault can hit exactly one process. */
export interface Link {
  name: string;
  port: number;
  proxy: Proxy;
}

/**
 * The real servers a run needs (redis-server, toxiproxy-server), one link per SUT process,
 * and the SUT processes themselves. Long-lived: `reset()` makes it fresh for the next run.
 */
export class Environment implements RunEnvironment {
  readonly links = new Map<string, Link>();
  readonly sut = new Map<string, SutProcess>();
  /** direct connection for the harness's own reads (never through a link) */
  admin!: Redis;
  orchestratorHttpPort = 0;
  /**
   * Nothing of a past run is in flight in the SUT processes: they were just started, or the
   * last run on them ended idle (runOnce keeps this). The next run may then reuse them, whichever
   * scenario it belongs to, instead of restarting them (~1.5 s).
   */
  processesReusable = false;
  /** the harness's own record of payload starts: every SUT process is told to run its payloads through the wrapper into it */
  readonly payloadRecord: PayloadRecord;
  private untrack: () => void = () => undefined;

  private constructor(
    readonly options: EnvironmentOptions,
    readonly registry: ProcessRegistry,
    readonly redis: RedisServer,
    readonly toxiproxy: ToxiproxyServer,
    readonly system: SystemModule,
  ) {
    this.parts = system.shape(options);
    this.payloadRecord = new PayloadRecord(redis.dir);
  }

  /** the system's processes and links */
  readonly parts: SystemShape;

  static async start(partial: Partial<EnvironmentOptions> = {}): Promise<Environment> {
    const options = { ...DEFAULT_ENV_OPTIONS, ...partial };
    const bins = bootstrap();
    const registry = new ProcessRegistry();
    const untrack = trackForExit(registry);
    let redis: RedisServer | undefined;
    try {
      const system = options.system;
      if (!system) throw new Error('Environment.start needs the system under test (options.system: a SystemModule)');
      redis = await RedisServer.start({ bin: bins.redis, registry, aof: options.aof, config: options.redisConfig });
      const toxiproxy = await ToxiproxyServer.start(bins.toxiproxy, registry);
      const env = new Environment(options, registry, redis, toxiproxy, system);
      env.untrack = untrack;
      env.admin = redis.client({ maxRetriesPerRequest: 3 });
      await env.createLinks();
      await env.startSut();
      // fresh processes are reused by the first run (Redis flushed under them) only where every
      // later run may reuse them too (SystemModule.idle): a system without it restarts before
      // every run, the first included, so a first run (a --path replay) runs as the others did
      env.processesReusable = system.idle !== undefined;
      return env;
    } catch (err) {
      await registry.stopAll(500);
      redis?.stop().catch(() => undefined);
      untrack();
      throw err;
    }
  }

  link(name: string): Link {
    const l = this.links.get(name);
    if (!l) throw new Error(`no link named ${name} (links: ${[...this.links.keys()].join(', ')})`);
    return l;
  }

  /** Base URL of the front door (the orchestrator) as the client sees it: through the `client` link. */
  get orchestratorUrl(): string {
    return `http://127.0.0.1:${this.link('client').port}`;
  }

  /** The client's requests: HTTP through the `client` link. */
  get transport(): Transport {
    return httpTransport(this.orchestratorUrl);
  }

  processControl(id: string): ProcessControl {
    const p = this.process(id);
    return {
      alive: () => p.alive(),
      kill: () => p.kill(),
      terminate: async (graceMs) => {
        p.signal('SIGTERM');
        await Promise.race([p.process.exited, new Promise((r) => setTimeout(r, graceMs))]);
        await p.kill();
      },
      start: (opts) => p.start(opts),
      pause: () => p.signal('SIGSTOP'),
      resume: () => p.signal('SIGCONT'),
      killExecutor: () => p.killExecutor(),
    };
  }

  linkControl(name: string): LinkControl {
    return proxyLinkControl(this.link(name).proxy);
  }

  get redisControl(): RedisControl {
    const redis = this.redis;
    return {
      alive: () => redis.process.alive(),
      kill: async () => {
        redis.process.signal('SIGKILL');
        await redis.process.exited;
      },
      restart: () => redis.restart(),
    };
  }

  allProcessesAlive(): boolean {
    return [...this.sut.values()].every((p) => p.alive());
  }

  private async createLinks(): Promise<void> {
    this.orchestratorHttpPort = await freePort();
    for (const name of this.parts.links) {
      const upstream = name === 'client' ? this.orchestratorHttpPort : this.redis.port;
      const { proxy, port } = await this.toxiproxy.createProxy(name, upstream);
      this.links.set(name, { name, port, proxy });
    }
  }

  private specs(): ProcessSpec[] {
    return this.system.processes(this.parts, {
      linkPort: (name) => this.link(name).port,
      httpPort: this.orchestratorHttpPort,
      redisPassword: this.redis.password,
      leaseMs: this.options.leaseMs,
      concurrency: this.options.concurrency ?? 1,
      bugs: this.options.bugs,
    });
  }

  private async startSut(): Promise<void> {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', SUT_REDIS_PASSWORD: this.redis.password, ...this.payloadRecord.env() };
    if (process.env[OWNER_VAR]) env[OWNER_VAR] = process.env[OWNER_VAR];
    for (const spec of this.specs()) this.sut.set(spec.id, new SutProcess(spec, this.registry, env));
    await Promise.all([...this.sut.values()].map((p) => p.start()));
  }

  process(id: string): SutProcess {
    const p = this.sut.get(id);
    if (!p) throw new Error(`no SUT process named ${id}`);
    return p;
  }

  /** Remove every toxic and re-enable every link. */
  async healLinks(): Promise<void> {
    await this.toxiproxy.api.reset();
  }

  /** Bring every SUT process back (resume paused ones, restart dead ones). */
  async healProcesses(): Promise<void> {
    await Promise.all([...this.sut.values()].map(async (p) => {
      if (p.alive()) p.signal('SIGCONT');
      else await p.start();
    }));
  }

  /**
   * Fresh state for the next run. With `reuseProcesses` (the runner saw its last run end with
   * every SUT process idle) flushing Redis is enough: the SUT re-creates its consumer groups.
   * Otherwise the SUT processes are restarted too, so nothing of an earlier run can leak into
   * the next one. Returns whether the processes were restarted.
   */
  async reset(opts: { reuseProcesses?: boolean } = {}): Promise<boolean> {
    await this.healLinks();
    if (!this.redis.process.alive()) await this.redis.restart();
    const restart = !opts.reuseProcesses || [...this.sut.values()].some((p) => !p.alive());
    if (restart) await Promise.all([...this.sut.values()].map((p) => p.kill()));
    await this.admin.flushall();
    // after the kill: no executor of the last run is left to record a start into the next one
    this.payloadRecord.clear();
    if (restart) await Promise.all([...this.sut.values()].map((p) => p.start()));
    else await untilListening(this.admin, this.parts.workers.length + this.parts.keepers.length);
    return restart;
  }

  payloadStarts(history: HistoryRecorder): PayloadStartEntry[] {
    return this.payloadRecord.starts(history);
  }

  async stop(): Promise<void> {
    this.admin?.disconnect();
    await Promise.all([...this.sut.values()].map((p) => p.kill()));
    this.payloadRecord.clear();
    await this.toxiproxy.stop();
    await this.redis.stop();
    await this.registry.stopAll(1000);
    this.untrack();
  }
}
