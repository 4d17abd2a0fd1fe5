// One simulated run's world: the in-process Redis, the network, and the reference system's own
// roles (orchestrator, workers with their executors, keepers) started through its embedding
// seam (system-under-test/embed.ts), all on the virtual clock. It is a RunEnvironment, so the
// live runner (runOnce), the nemesis and the checkers work on it unchanged; only the edges a
// role needs from the operating system are the simulation's: a payload is a virtual-time sleep
// with its exit code and output, a request to the orchestrator is a call, a process is an
// endpoint on the network that can be killed, paused and started again. Each incarnation is
// an owner on the virtual clock (VirtualClock.runAs): its code, its executor's and its payload's
// run as it, so a pause freezes their timers along with their traffic.

import { consumerName, reference } from '../systems/reference.ts';
import type { Rejoin } from '../nemesis/types.ts';
import { Redis } from 'ioredis';
import {
  connectRedis, inProcessExecutor, Lifecycle, parseBugs, startKeeper, startOrchestrator, startWorker,
  type Edges, type ExecutorEvents, type InProcessExecutor, type LinkOptions, type OrchestratorHandle, type PayloadHandle, type RoleHandle, type RunMessage,
} from '../../system-under-test/embed.ts';
import type { LinkControl, ProcessControl, RedisControl, RunEnvironment } from '../env/surface.ts';
import type { HistoryRecorder } from '../history/recorder.ts';
import type { PayloadStartEntry } from '../history/types.ts';
import type { Transport } from '../workload/client.ts';
import { runAs, type VirtualClock } from './clock.ts';
import { Endpoint, SimNetwork, type Toxic } from './network.ts';
import { SimRedis } from './redis/engine.ts';
import type { SystemShape } from '../systems/types.ts';

export interface SimShape {
  workers: number;
  keepers: number;
  leaseMs: number;
  bugs: string[];
  /**
   * Another copy's embedding module (a path to its embed.ts) to run instead of
   * system-under-test/embed.ts, e.g. a mutant of the reference system (harness/bench/mutants.ts).
   * simRunOnce imports it before the run; absent, the world uses the statically imported one.
   */
  embed?: string;
}

/** What the world takes from an embedding module: system-under-test/embed.ts, or a copy's (SimShape.embed). */
export type Embedding = Pick<typeof import('../../system-under-test/embed.ts'), 'connectRedis' | 'inProcessExecutor' | 'parseBugs' | 'startKeeper' | 'startOrchestrator' | 'startWorker' | 'Lifecycle'>;

const REFERENCE_EMBEDDING: Embedding = { connectRedis, inProcessExecutor, parseBugs, startKeeper, startOrchestrator, startWorker, Lifecycle };

/** the live keeper's defaults (main.ts) */
const KEEPER_DEFAULTS = { runningTtlMs: 60_000, reclaimMs: 5000 };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const connError = (code: string, message: string) => Object.assign(new Error(message), { code });

/**
 * A role incarnation: its endpoint on the network and its handle. It is also the owner, on the
 * virtual clock, of every timer its code sets (its executor's and its payloads' included).
 */
interface Incarnation {
  endpoint: Endpoint;
  handle?: RoleHandle;
  /** its stop switch, given to it at its start: a kill while it is still starting (no handle yet) crashes it through this */
  lifecycle: InstanceType<Embedding['Lifecycle']>;
  /** settles when it is killed, so requests in flight to it fail as on a reset connection */
  killed: Promise<never>;
  kill: () => void;
  /** a worker's current executor and its endpoint */
  executor?: { handle: InProcessExecutor; endpoint: Endpoint };
  /** while paused: settles when it runs again */
  awake?: { promise: Promise<void>; resolve: () => void };
}

/** the most of one role's log a run keeps (its tail), as live */
const LOG_CAP_CHARS = 256 * 1024;

export class SimWorld implements RunEnvironment {
  readonly engine: SimRedis;
  readonly network: SimNetwork;
  readonly admin: Redis;
  readonly options: { leaseMs: number };
  readonly simulated = true;
  processesReusable = false;
  /** the last lines each role logged, for a failing run's story */
  readonly logs: string[] = [];
  /** each role's (and executor's) log lines since the last takeLogs, for the report of a failing run */
  private readonly logsBy = new Map<string, string>();

  private readonly roles = new Map<string, Incarnation>();
  private readonly bugs;
  private readonly edges: Edges;
  private idCount = 0;
  /** new consumers each role has been started as (a kill healed with rejoin 'new') */
  private readonly rejoins = new Map<string, number>();
  /** every payload started at the payload edge, as the world saw it (virtual wall-clock ms) */
  private readonly starts: { wallMs: number; jobId: string; attempt: number; executorId: string }[] = [];

  constructor(
    readonly shape: SimShape,
    private readonly clock: VirtualClock,
    /** uniform in [0, 1), seeded */
    private readonly random: () => number,
    /** whose roles run here (default: the reference system's own embedding) */
    private readonly sut: Embedding = REFERENCE_EMBEDDING,
    /**
     * whether a process can be paused in this run: only then is each incarnation an owner on the
     * clock (telling its timers apart costs an AsyncLocalStorage's promise hook, ~5% of a run's
     * CPU); without it a pause still freezes a role's traffic, but not its timers
     */
    private readonly pausable = true,
  ) {
    this.options = { leaseMs: shape.leaseMs };
    this.parts = reference.shape(shape);
    this.bugs = this.sut.parseBugs(shape.bugs.join(','));
    this.engine = new SimRedis({ now: () => clock.now() });
    this.network = new SimNetwork(this.engine, () => clock.now(), random);
    this.edges = this.makeEdges();
    // the harness's own connection: its own link, never faulted
    this.admin = new Redis({ ...this.network.redisOptions(new Endpoint('admin', 'admin')), maxRetriesPerRequest: null, retryStrategy: () => 50 });
    this.admin.on('error', () => undefined);
  }

  // ---- the edges the roles get ------------------------------------------------------------------

  private makeEdges(): Edges {
    const edges: Edges = {
      redis: (link, log, purpose, blockMs) => this.sut.connectRedis(link, log, purpose, blockMs, this.network.redisOptions(this.endpointOf(link.id))),
      newId: () => {
        // a UUID-shaped id from the seed (task ids)
        const hex = Array.from({ length: 32 }, () => Math.floor(this.random() * 16).toString(16)).join('');
        this.idCount++;
        return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
      },
      startExecutor: (link, _log, events) => {
        const worker = link.id.replace(/-executor$/, '');
        const role = this.roles.get(worker);
        const endpoint = new Endpoint('executor', link.id, this.ownerOf(role));
        const executor = { handle: undefined as unknown as InProcessExecutor, endpoint };
        // the endpoint must exist before the executor's first connection
        if (role) role.executor = executor;
        // its own payload edge, which knows whose starts it records (a job carries no executor id);
        // what it tells its worker waits while the worker is frozen (it is one process group)
        executor.handle = this.sut.inProcessExecutor(link, role ? this.whenAwake(role, events) : events, { ...edges, runPayload: (job) => this.payload(job, link.id) });
        if (role?.endpoint.paused) endpoint.paused = true;
        return executor.handle;
      },
      // payloads start only through an executor's own edge (startExecutor above)
      runPayload: () => {
        throw new Error('a simulated payload starts only through its executor');
      },
      log: (id) => (line: string) => {
        this.logs.push(`${this.clock.now()} ${id}: ${line}`);
        if (this.logs.length > 400) this.logs.splice(0, this.logs.length - 400);
        // a role's own log, by its process (an executor's goes with its worker's), on the virtual clock
        const owner = id.replace(/-executor$/, '');
        this.logsBy.set(owner, ((this.logsBy.get(owner) ?? '') + `${new Date(this.clock.now()).toISOString()} ${id}: ${line}\n`).slice(-LOG_CAP_CHARS));
      },
    };
    return edges;
  }

  /** The endpoint a role's (or executor's) new connection goes through. */
  private endpointOf(id: string): Endpoint {
    if (id.endsWith('-executor')) {
      const executor = this.roles.get(id.replace(/-executor$/, ''))?.executor;
      if (executor) return executor.endpoint;
    }
    const role = this.roles.get(id);
    if (!role) throw new Error(`no simulated role ${id}`);
    return role.endpoint;
  }

  /** what the clock knows an incarnation's timers by (none when no process can be paused: see `pausable`) */
  private ownerOf(role: Incarnation | undefined): object | undefined {
    return this.pausable ? role : undefined;
  }

  /**
   * An executor's events to its worker, held while the worker is paused and handed on in order
   * once it runs again (live, the frozen worker reads its child's messages and exit after SIGCONT).
   */
  private whenAwake(role: Incarnation, events: ExecutorEvents): ExecutorEvents {
    let held = 0;
    let chain = Promise.resolve();
    const deliver = (fn: () => void) => {
      if (!role.awake && held === 0) return fn();
      held++;
      chain = chain.then(() => role.awake?.promise).then(() => {
        held--;
        fn();
      });
    };
    return {
      message: (message) => deliver(() => events.message(message)),
      exit: (how) => deliver(() => events.exit(how)),
    };
  }

  /** A payload on virtual time: sleeps its duration (or until killed when it hangs), prints its lines, exits with its code. */
  private payload(job: RunMessage, executorId: string): PayloadHandle {
    this.starts.push({ wallMs: this.clock.now(), jobId: job.jobId, attempt: job.attempt, executorId });
    let finish!: (exit: { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; output: string }) => void;
    const ended = new Promise<{ kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; output: string }>((r) => (finish = r));
    let timer: NodeJS.Timeout | undefined;
    if (!job.payload.hang) {
      timer = setTimeout(() => finish({ kind: 'exited', code: job.payload.exitCode, signal: null, output: job.payload.output.map((l) => `${l}\n`).join('') }), job.payload.durationMs);
    }
    return {
      ended,
      kill: () => {
        clearTimeout(timer);
        finish({ kind: 'exited', code: null, signal: 'SIGKILL', output: '' });
      },
    };
  }

  // ---- roles ----------------------------------------------------------------------------------------

  /** the reference system: the only one this environment runs */
  readonly system = reference;
  readonly parts: SystemShape;

  private linkOptions(id: string): LinkOptions {
    return { redisHost: 'sim', redisPort: 0, id, bugs: this.bugs };
  }

  /**
   * Starts the role `id` as a new incarnation (a fresh endpoint: the old one stays dead); with
   * rejoin 'new', under a new consumer name (PROTOCOL.md `--consumer`), as live.
   */
  private async startRole(id: string, rejoin: Rejoin = 'same'): Promise<void> {
    let kill!: () => void;
    const killed = new Promise<never>((_, reject) => (kill = () => reject(connError('ECONNRESET', `${id} is gone`))));
    killed.catch(() => undefined);
    const lifecycle = new this.sut.Lifecycle(this.edges.log(id));
    const incarnation = { lifecycle, killed, kill } as Incarnation;
    incarnation.endpoint = new Endpoint(id, id, this.ownerOf(incarnation));
    this.roles.set(id, incarnation);
    let link: LinkOptions = this.linkOptions(id);
    if (rejoin === 'new' && id !== 'orchestrator') {
      const n = (this.rejoins.get(id) ?? 0) + 1;
      this.rejoins.set(id, n);
      link = { ...link, consumer: consumerName(id, n) };
    }
    // everything the role does from here on runs as this incarnation (its timers are its own)
    const starting = runAs(this.ownerOf(incarnation), () => id === 'orchestrator' ? this.sut.startOrchestrator({ ...link, httpPort: 0 } as never, this.edges, lifecycle)
      : id.startsWith('worker-') ? this.sut.startWorker({ ...link, leaseMs: this.shape.leaseMs, executorRedisPort: 0 }, this.edges, lifecycle)
      : this.sut.startKeeper({ ...link, ...KEEPER_DEFAULTS }, this.edges, lifecycle));
    // killed before it was ready (a restart's heal still waiting for Redis when the next restart
    // strikes): the start fails, as a live process that exits before its ready line does. Waiting
    // on would never end: a connection cut while it reconnects never says so (seed 2, front-door)
    incarnation.handle = await Promise.race([starting, killed]);
  }

  async start(): Promise<void> {
    await this.startRole('orchestrator');
    for (const id of [...this.parts.workers, ...this.parts.keepers]) await this.startRole(id);
  }

  /** Stops every role and closes every connection (the world is thrown away after its run). */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.roles.values()].map((r) => runAs(this.ownerOf(r), () => r.handle?.stop('end of run'))));
    this.admin.disconnect();
  }

  private alive(id: string): boolean {
    return this.roles.get(id)?.endpoint.alive ?? false;
  }

  /** SIGKILL: its connections reset and refused from now on, its executor and payload gone, its code stopped. */
  private killRole(id: string): void {
    const role = this.roles.get(id);
    if (!role || !role.endpoint.alive) return;
    this.network.kill(role.endpoint);
    runAs(this.ownerOf(role), () => {
      if (role.executor) {
        this.network.kill(role.executor.endpoint);
        role.executor.handle.crash();
      }
      role.kill();
      role.awake?.resolve();
      // as under SIGKILL: its connections cut without QUIT, its loops and timers end; one killed while
      // still starting has no handle yet, and would otherwise go on starting as a zombie (its executor
      // taken for the next incarnation's: a heal that never ended, found by the simulated soak)
      if (role.handle) role.handle.crash();
      else role.lifecycle.crash();
    });
    // killed while frozen: what is left of it (its code ends at its next step) runs as a killed
    // role's does, its timers no longer held
    this.clock.thaw(role);
  }

  private setPaused(id: string, paused: boolean): void {
    const role = this.roles.get(id);
    if (!role) return;
    if (paused && !role.awake) {
      let resolve!: () => void;
      role.awake = { promise: new Promise<void>((r) => (resolve = r)), resolve };
    }
    if (!paused) {
      role.awake?.resolve();
      role.awake = undefined;
    }
    this.network.setPaused(role.endpoint, paused);
    if (role.executor) this.network.setPaused(role.executor.endpoint, paused);
    // SIGSTOP / SIGCONT: its timers (its executor's and payload's too) hold, then what came due fires
    if (paused) this.clock.freeze(role);
    else this.clock.thaw(role);
  }

  processControl(id: string): ProcessControl {
    if (![this.parts.frontDoor, ...this.parts.workers, ...this.parts.keepers].includes(id)) throw new Error(`no simulated process ${id}`);
    return {
      alive: () => this.alive(id),
      kill: async () => this.killRole(id),
      terminate: async (graceMs) => {
        const role = this.roles.get(id);
        if (role?.handle) await Promise.race([runAs(this.ownerOf(role), () => role.handle!.stop('SIGTERM')), sleep(graceMs)]);
        this.killRole(id);
      },
      start: (opts) => this.startRole(id, opts?.rejoin),
      pause: () => this.setPaused(id, true),
      resume: () => this.setPaused(id, false),
      killExecutor: () => {
        const role = this.roles.get(id);
        const executor = role?.executor;
        if (!role || !executor || !executor.endpoint.alive) return false;
        this.network.kill(executor.endpoint);
        // its worker hears of it as itself (what it does then sets the worker's timers)
        runAs(this.ownerOf(role), () => executor.handle.crash());
        return true;
      },
    };
  }

  linkControl(name: string): LinkControl {
    return {
      setEnabled: async (enabled) => this.network.setEnabled(name, enabled),
      addToxic: async ({ name: toxic, type, stream, attributes: a }) => {
        const t = simToxic(type, stream, a);
        if (t) this.network.addToxic(name, toxic, t);
        // slicer and slow_close change how bytes are cut and when a close is seen: no simulated form
        else return { empty: `${type} has no simulated form` };
      },
      removeToxic: (toxic) => this.network.removeToxic(name, toxic),
    };
  }

  get redisControl(): RedisControl {
    return {
      alive: () => this.network.redisIsUp,
      kill: async () => this.network.redisDown(),
      restart: async () => this.network.redisBack(),
      erase: async () => this.network.redisErase(),
    };
  }

  allProcessesAlive(): boolean {
    return [...this.roles.keys()].every((id) => this.alive(id));
  }

  commandTrigger(watch: string, command: string, nth: number): { fired: Promise<void>; cancel(): void } {
    let fire!: () => void;
    const fired = new Promise<void>((r) => (fire = r));
    const cancel = this.network.watch(watch, command, nth, fire);
    return { fired, cancel };
  }

  drained(): boolean {
    return this.network.inFlight() === 0;
  }

  healLinks(): Promise<void> {
    return this.network.healLinks();
  }

  async healProcesses(): Promise<void> {
    for (const id of [...this.roles.keys()]) {
      if (this.alive(id)) this.setPaused(id, false);
      else await this.startRole(id);
    }
  }

  /** The payload starts the world saw at its payload edge, on the run's timeline (one clock: no skew). */
  takeLogs(): Record<string, string> {
    const out = Object.fromEntries(this.logsBy);
    this.logsBy.clear();
    return out;
  }

  payloadStarts(history: HistoryRecorder): PayloadStartEntry[] {
    return this.starts.map(({ wallMs, ...ids }) => ({ kind: 'payload', t: history.fromWall(wallMs), ...ids }));
  }

  /** The world is fresh for its one run: nothing to reset. */
  async reset(): Promise<boolean> {
    return true;
  }

  /** The client's requests: a call to the orchestrator, through the `client` link's state. */
  get transport(): Transport {
    return async ({ method, path, headers, body, timeoutMs }) => {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' })), timeoutMs);
      });
      // what a message that a timeout toxic dropped leaves the client waiting for: the close, or its own timeout
      const dropped = () => new Promise<never>(() => undefined);
      const call = async () => {
        // one connection through the `client` link: refused while it is down; reset whenever the
        // link goes down or a toxic closes it during the request (the orchestrator, if the request
        // reached it, goes on with it)
        const conn = this.network.openVirtual('client');
        if (!conn) throw connError('ECONNREFUSED', 'connect ECONNREFUSED (client link down)');
        const exchange = async () => {
          const sent = (body?.length ?? 0) + 100;
          await this.network.transit('client', 'upstream', sent);
          if (!conn.pass('upstream', sent)) return dropped();
          // a paused orchestrator accepts the connection and answers nothing until it runs again
          await this.roles.get('orchestrator')?.awake?.promise;
          const role = this.roles.get('orchestrator');
          if (!role || !role.endpoint.alive) throw connError('ECONNREFUSED', 'connect ECONNREFUSED (orchestrator is down)');
          const handle = role.handle as OrchestratorHandle;
          // the orchestrator serves it as itself: what it sets meanwhile freezes with it
          const res = await Promise.race([runAs(this.ownerOf(role), () => handle.request(method, path, headers, body)), role.killed]);
          const text = JSON.stringify(res.body);
          await this.network.transit('client', 'downstream', text.length + 100);
          if (!conn.pass('downstream', text.length + 100)) return dropped();
          return { status: res.status, text };
        };
        try {
          return await Promise.race([exchange(), conn.closed]);
        } finally {
          conn.end();
        }
      };
      try {
        return await Promise.race([call(), timedOut]);
      } finally {
        clearTimeout(timer);
      }
    };
  }
}

/** A live toxic's attributes in the simulation's terms; undefined when it has no simulated form. */
function simToxic(type: string, stream: 'upstream' | 'downstream', a: Record<string, number>): Toxic | undefined {
  switch (type) {
    case 'latency': return { type, stream, latencyMs: a.latency ?? 0, jitterMs: a.jitter ?? 0 };
    case 'bandwidth': return { type, stream, rateKBps: a.rate ?? 1 };
    case 'timeout': return { type, stream, timeoutMs: a.timeout ?? 0 };
    case 'reset_peer': return { type, stream, timeoutMs: a.timeout ?? 0 };
    case 'limit_data': return { type, stream, bytes: a.bytes ?? 0 };
    default: return undefined;
  }
}
