import type { Toxiproxy } from 'toxiproxy-node-client';
import { bootstrap } from './binaries.ts';
import { BackedEnvironment } from './backed.ts';
import { OWNER_VAR, ProcessRegistry, trackForExit } from './processes.ts';
import { redisControlOf, RedisServer } from './redis.ts';
import { SutProcess } from './sut.ts';
import { PayloadRecord } from './payload-record.ts';
import { ToxiproxyServer } from './toxiproxy.ts';
import type { PayloadStart, RedisControl } from './surface.ts';
import type { HistoryRecorder } from '../history/recorder.ts';
import type { PayloadStartEntry } from '../history/types.ts';
import type { SystemModule } from '../systems/types.ts';

export type { Link } from './backed.ts';

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

/**
 * The real servers a run needs (redis-server, toxiproxy-server), one link per SUT process,
 * and the SUT processes themselves, each a process group spawned here (backed.ts shares the
 * links, heal and reset with the docker environment). Long-lived: `reset()` makes it fresh for
 * the next run.
 */
export class Environment extends BackedEnvironment<SutProcess> {
  /** the harness's own record of payload starts: every SUT process is told to run its payloads through the wrapper into it */
  readonly payloadRecord: PayloadRecord;
  private untrack: () => void = () => undefined;

  private constructor(
    options: EnvironmentOptions,
    readonly registry: ProcessRegistry,
    readonly redis: RedisServer,
    readonly toxiproxy: ToxiproxyServer,
    system: SystemModule,
  ) {
    super(options, system);
    this.payloadRecord = new PayloadRecord(redis.dir);
  }

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
      await env.startSystem();
      return env;
    } catch (err) {
      await registry.stopAll(500);
      redis?.stop().catch(() => undefined);
      untrack();
      throw err;
    }
  }

  protected get redisPort(): number {
    return this.redis.port;
  }

  protected get toxiproxyApi(): Toxiproxy {
    return this.toxiproxy.api;
  }

  get redisControl(): RedisControl {
    return redisControlOf(this.redis);
  }

  protected get redisPassword(): string {
    return this.redis.password;
  }

  protected async startProcesses(): Promise<void> {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', SUT_REDIS_PASSWORD: this.redis.password, ...this.payloadRecord.env() };
    if (process.env[OWNER_VAR]) env[OWNER_VAR] = process.env[OWNER_VAR];
    for (const spec of this.specs()) this.sut.set(spec.id, new SutProcess(spec, this.registry, env));
    await Promise.all([...this.sut.values()].map((p) => p.start()));
  }

  /** after the kill: no executor of the last run is left to record a start into the next one */
  protected flushed(): void {
    this.payloadRecord.clear();
  }

  takeLogs(): Record<string, string> {
    return Object.fromEntries([...this.sut].map(([id, p]) => [id, p.takeLog()]));
  }

  rolePids(): ReadonlyMap<string, number | undefined> {
    return new Map([...this.sut].map(([id, p]) => [id, p.alive() ? p.pid : undefined]));
  }

  payloadStarts(history: HistoryRecorder): PayloadStartEntry[] {
    return this.payloadRecord.starts(history);
  }

  /**
   * A payload's trigger, live: the next start the wrapper records (of job `jobId` when given),
   * under the worker whose executor (or which itself) ran it; read within a few milliseconds
   * (PayloadRecord.watch). Only a system whose executors run payloads through the harness's
   * wrapper (the reference system) records starts: for another, it never fires.
   */
  payloadTrigger(jobId?: string): { fired: Promise<PayloadStart>; cancel(): void } {
    const workerOf = (executorId: string) => this.parts.workers.find((w) => this.parts.executors?.[w] === executorId || w === executorId);
    let fire!: (start: PayloadStart) => void;
    const fired = new Promise<PayloadStart>((r) => (fire = r));
    const cancel = this.payloadRecord.watch(
      (r) => (jobId === undefined || r.jobId === jobId) && workerOf(r.executorId) !== undefined,
      (r) => fire({ jobId: r.jobId, attempt: r.attempt, process: workerOf(r.executorId)! }),
    );
    return { fired, cancel };
  }

  protected async teardown(): Promise<void> {
    this.payloadRecord.unwatchAll();
    await Promise.all([...this.sut.values()].map((p) => p.kill()));
    this.payloadRecord.clear();
    await this.toxiproxy.stop();
    await this.redis.stop();
    await this.registry.stopAll(1000);
    this.untrack();
  }
}
