// What the local and the docker environment share: one Toxiproxy proxy per link, and the heal,
// reset and fault controls built on them and on the process backend's handles. A backend (spawned
// process groups in environment.ts, containers in docker/environment.ts) says only how Redis,
// Toxiproxy and each process of the system are started, signalled and stopped.
import type { Redis } from 'ioredis';
import type { Proxy, Toxiproxy } from 'toxiproxy-node-client';
import { freePort } from './ports.ts';
import { untilAtRest, untilListening } from './redis.ts';
import { createProxy, proxyLinkControl } from './toxiproxy.ts';
import type { LinkControl, ProcessControl, RedisControl, RunEnvironment } from './surface.ts';
import type { EnvironmentOptions } from './environment.ts';
import { httpTransport, type Transport } from '../workload/client.ts';
import type { ProcessSpec, SystemModule, SystemShape } from '../systems/types.ts';

/** One TCP path through its own Toxiproxy proxy, so a fault can hit exactly one process. */
export interface Link {
  name: string;
  port: number;
  proxy: Proxy;
}

/** One process of the system as a backend runs it (a process group, a container). */
export interface ProcessHandle extends ProcessControl {
  /** frozen by a pause not yet undone, where the backend keeps track (a container's freezer state) */
  readonly paused?: boolean;
  /** wait for operations on it still under way (a container's queued pause or resume) */
  settle?(): Promise<void>;
}

/** redis-server as a backend runs it. */
export interface RedisHandle extends RedisControl {
  settle?(): Promise<void>;
}

/**
 * An environment of real processes behind Toxiproxy: the links, the controls and heal, reset.
 * A subclass brings the backend: Redis and Toxiproxy up (`redisPort`, `toxiproxyApi`,
 * `redisControl`, `admin`), the system's processes started into `sut` (`startProcesses`), and
 * everything stopped again (`teardown`).
 */
export abstract class BackedEnvironment<P extends ProcessHandle> implements RunEnvironment {
  readonly links = new Map<string, Link>();
  readonly sut = new Map<string, P>();
  /** direct connection for the harness's own reads (never through a link) */
  admin!: Redis;
  /** the port the front door serves HTTP on: the `client` link's upstream */
  orchestratorHttpPort = 0;
  /**
   * Nothing of a past run is in flight in the SUT processes: they were just started, or the
   * last run on them ended idle (runOnce keeps this). The next run may then reuse them, whichever
   * scenario it belongs to, instead of restarting them.
   */
  processesReusable = false;
  /** the system's processes and links */
  readonly parts: SystemShape;

  protected constructor(readonly options: EnvironmentOptions, readonly system: SystemModule) {
    this.parts = system.shape(options);
  }

  /** the port Redis listens on (every link but `client` forwards to it) */
  protected abstract readonly redisPort: number;
  /** the password Redis asks for (handed to the system's processes) */
  protected abstract readonly redisPassword: string;
  protected abstract readonly toxiproxyApi: Toxiproxy;
  abstract readonly redisControl: RedisHandle;
  /** starts every process of the system (into `sut`) through its links */
  protected abstract startProcesses(): Promise<void>;
  /** stops everything the backend started */
  protected abstract teardown(): Promise<void>;
  /** The system's processes, as its module starts them through the links (every backend runs these command lines). */
  protected specs(): ProcessSpec[] {
    return this.system.processes(this.parts, {
      linkPort: (name) => this.link(name).port,
      httpPort: this.orchestratorHttpPort,
      redisPassword: this.redisPassword,
      leaseMs: this.options.leaseMs,
      concurrency: this.options.concurrency ?? 1,
      bugs: this.options.bugs,
    });
  }

  /** in reset, after the flush and before processes start again (nothing of the last run runs) */
  protected flushed(): void {}

  /** With Redis and Toxiproxy up: the links, then the system's processes. */
  protected async startSystem(): Promise<void> {
    this.orchestratorHttpPort = await freePort();
    for (const name of this.parts.links) {
      const upstream = name === 'client' ? this.orchestratorHttpPort : this.redisPort;
      const { proxy, port } = await createProxy(this.toxiproxyApi, name, upstream);
      this.links.set(name, { name, port, proxy });
    }
    await this.startProcesses();
    // fresh processes are reused by the first run (Redis flushed under them) only where every
    // later run may reuse them too (SystemModule.idle): a system without it restarts before
    // every run, the first included, so a first run (a --path replay) runs as the others did
    this.processesReusable = this.system.idle !== undefined;
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

  process(id: string): P {
    const p = this.sut.get(id);
    if (!p) throw new Error(`no SUT process named ${id}`);
    return p;
  }

  processControl(id: string): ProcessControl {
    return this.process(id);
  }

  linkControl(name: string): LinkControl {
    return proxyLinkControl(this.link(name).proxy);
  }

  allProcessesAlive(): boolean {
    return [...this.sut.values()].every((p) => p.alive());
  }

  /** Remove every toxic and re-enable every link. */
  async healLinks(): Promise<void> {
    await this.toxiproxyApi.reset();
  }

  /** Bring every SUT process back (resume paused ones, restart dead ones). */
  async healProcesses(): Promise<void> {
    await Promise.all([...this.sut.values()].map(async (p) => {
      await p.settle?.();
      if (p.alive()) p.resume();
      else await p.start();
      await p.settle?.();
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
    await this.redisControl.settle?.();
    if (!this.redisControl.alive()) await this.redisControl.restart();
    const sut = [...this.sut.values()];
    await Promise.all(sut.map((p) => p.settle?.()));
    const restart = !opts.reuseProcesses || sut.some((p) => !p.alive() || p.paused === true);
    if (restart) await Promise.all(sut.map((p) => p.kill()));
    await this.admin.flushall();
    this.flushed();
    if (restart) await Promise.all(sut.map((p) => p.start()));
    else if (this.system.atRest) await untilAtRest(() => this.system.atRest!(this.admin));
    else await untilListening(this.admin, this.parts.workers.length + this.parts.keepers.length);
    return restart;
  }

  async stop(): Promise<void> {
    this.admin?.disconnect();
    await this.teardown();
  }
}
