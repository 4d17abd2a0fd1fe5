// One simulated run's world: the in-process Redis, the network, and a system's own processes
// started through its simulated form (harness/sim/embedding.ts: the reference system's roles, or
// any system that provides one), all on the virtual clock. It is a RunEnvironment, so the live
// runner (runOnce), the nemesis and the checkers work on it unchanged; only the edges a process
// needs from the operating system are the simulation's: a payload is a virtual-time sleep with
// its exit code and output, a request to the front door is a call, a process is an endpoint on
// the network that can be killed, paused and started again. Each incarnation is an owner on the
// virtual clock (VirtualClock.runAs): its code, its children's and its payloads' run as it, so a
// pause freezes their timers along with their traffic.

import type { Rejoin } from '../nemesis/types.ts';
import { Redis } from 'ioredis';
import type { LinkControl, PayloadStart, ProcessControl, RedisControl, RunEnvironment } from '../env/surface.ts';
import type { HistoryRecorder } from '../history/recorder.ts';
import type { PayloadStartEntry } from '../history/types.ts';
import type { Payload } from '../instrument/index.ts';
import type { Transport } from '../workload/client.ts';
import { runAs, type VirtualClock } from './clock.ts';
import type { SimEdges, SimPayload, SimPayloadExit, SimProcess, SimProcessOptions, SimSystem } from './embedding.ts';
import { Endpoint, SimNetwork, type Toxic } from './network.ts';
import { SimRedis } from './redis/engine.ts';
import type { SystemModule, SystemShape } from '../systems/types.ts';

export interface SimShape {
  workers: number;
  keepers: number;
  leaseMs: number;
  bugs: string[];
  /** jobs one worker runs at once (default 1) */
  concurrency?: number;
  /**
   * Another copy's embedding module to run instead of the system's own (SimLoader's `embed`),
   * e.g. a mutant of the reference system (harness/bench/mutants.ts). simRunOnce loads it before the run.
   */
  embed?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const connError = (code: string, message: string) => Object.assign(new Error(message), { code });

/** a child process of an incarnation (the reference system's executor): its endpoint, and how it dies alone */
interface Child {
  endpoint: Endpoint;
  crash: () => void;
}

/**
 * A process incarnation: its endpoint on the network and its handle. It is also the owner, on the
 * virtual clock, of every timer its code sets (its children's and its payloads' included).
 */
interface Incarnation {
  endpoint: Endpoint;
  handle: SimProcess;
  /** it became ready (a graceful stop of one still starting is no stop: it is killed) */
  started?: boolean;
  /** settles when it is killed, so requests in flight to it fail as on a reset connection */
  killed: Promise<never>;
  kill: () => void;
  /** its child processes, by id (a worker's current executor) */
  children: Map<string, Child>;
  /** while paused: settles when it runs again */
  awake?: { promise: Promise<void>; resolve: () => void };
}

/** the most of one process's log a run keeps (its tail), as live */
const LOG_CAP_CHARS = 256 * 1024;

export class SimWorld implements RunEnvironment {
  readonly engine: SimRedis;
  readonly network: SimNetwork;
  readonly admin: Redis;
  readonly options: { leaseMs: number };
  readonly simulated = true;
  processesReusable = false;
  /** the last lines each process logged, for a failing run's story */
  readonly logs: string[] = [];
  /** each process's (and child's) log lines since the last takeLogs, for the report of a failing run */
  private readonly logsBy = new Map<string, string>();

  readonly system: SystemModule;
  private readonly sim: SimSystem;
  private readonly roles = new Map<string, Incarnation>();
  private idCount = 0;
  /** new consumers each process has been started as (a kill healed with rejoin 'new') */
  private readonly rejoins = new Map<string, number>();
  /** every payload started at the payload edge, as the world saw it (virtual wall-clock ms) */
  private readonly starts: { wallMs: number; jobId: string; attempt: number; executorId: string }[] = [];
  /** payload triggers armed (payloadTrigger): each fires once, at the next start of its job (or any) */
  private readonly payloadWatches = new Set<{ jobId?: string; fire: (start: PayloadStart) => void }>();

  constructor(
    readonly shape: SimShape,
    private readonly clock: VirtualClock,
    /** uniform in [0, 1), seeded */
    private readonly random: () => number,
    /** the system under test, and its simulated form */
    target: { system: SystemModule; sim: SimSystem },
    /**
     * whether a process can be paused in this run: only then is each incarnation an owner on the
     * clock (telling its timers apart costs an AsyncLocalStorage's promise hook, ~5% of a run's
     * CPU); without it a pause still freezes a process's traffic, but not its timers
     */
    private readonly pausable = true,
  ) {
    this.options = { leaseMs: shape.leaseMs };
    this.system = target.system;
    this.sim = target.sim;
    this.parts = this.system.shape(shape);
    this.engine = new SimRedis({ now: () => clock.now() });
    this.network = new SimNetwork(this.engine, () => clock.now(), random);
    // the harness's own connection: its own link, never faulted
    this.admin = new Redis({ ...this.network.redisOptions(new Endpoint('admin', 'admin')), maxRetriesPerRequest: null, retryStrategy: () => 50 });
    this.admin.on('error', () => undefined);
  }

  // ---- the edges a process gets ------------------------------------------------------------------

  /** The edges of process `role` (or of its child `id`, whose endpoint is `endpoint`). */
  private edgesOf(role: Incarnation, id: string, endpoint: Endpoint): SimEdges {
    return {
      id,
      redisOptions: () => this.network.redisOptions(endpoint),
      socket: () => this.network.socket(endpoint),
      newId: () => {
        // a UUID-shaped id from the seed (task ids)
        const hex = Array.from({ length: 32 }, () => Math.floor(this.random() * 16).toString(16)).join('');
        this.idCount++;
        return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
      },
      log: (line) => this.log(role, id, line),
      runPayload: (payload, start) => {
        const run = this.payload(payload, start.jobId, start.attempt, id);
        this.payloadStarted({ jobId: start.jobId, attempt: start.attempt, process: role.endpoint.name });
        return run;
      },
      child: (childId, crash) => {
        const child: Child = { endpoint: new Endpoint(this.linkOf(childId, endpoint.link), childId, this.ownerOf(role)), crash };
        // the endpoint exists before the child's first connection; a frozen parent's child is born frozen
        role.children.set(childId, child);
        if (role.endpoint.paused) child.endpoint.paused = true;
        return this.edgesOf(role, childId, child.endpoint);
      },
      inbox: () => this.inbox(role),
    };
  }

  /** the link a child's traffic goes through: the shape's shared link that lists it, else its parent's */
  private linkOf(childId: string, parentLink: string): string {
    for (const [link, ids] of Object.entries(this.parts.sharedLinks ?? {})) if (ids.includes(childId)) return link;
    return parentLink;
  }

  private log(role: Incarnation, id: string, line: string): void {
    this.logs.push(`${this.clock.now()} ${id}: ${line}`);
    if (this.logs.length > 400) this.logs.splice(0, this.logs.length - 400);
    // a process's own log (a child's goes with its parent's), on the virtual clock
    const owner = role.endpoint.name;
    this.logsBy.set(owner, ((this.logsBy.get(owner) ?? '') + `${new Date(this.clock.now()).toISOString()} ${id}: ${line}\n`).slice(-LOG_CAP_CHARS));
  }

  /** what the clock knows an incarnation's timers by (none when no process can be paused: see `pausable`) */
  private ownerOf(role: Incarnation | undefined): object | undefined {
    return this.pausable ? role : undefined;
  }

  /**
   * An inbox of an incarnation: what a child tells it, held while it is paused and handed on in
   * order once it runs again (live, the frozen worker reads its child's messages and exit after SIGCONT).
   */
  private inbox(role: Incarnation): (fn: () => void) => void {
    let held = 0;
    let chain = Promise.resolve();
    return (fn) => {
      if (!role.awake && held === 0) return fn();
      held++;
      chain = chain.then(() => role.awake?.promise).then(() => {
        held--;
        fn();
      });
    };
  }

  /** A payload on virtual time: sleeps its duration (or until killed when it hangs), prints its lines, exits with its code. */
  private payload(p: Payload, jobId: string, attempt: number, executorId: string): SimPayload {
    this.starts.push({ wallMs: this.clock.now(), jobId, attempt, executorId });
    let finish!: (exit: SimPayloadExit) => void;
    const ended = new Promise<SimPayloadExit>((r) => (finish = r));
    let timer: NodeJS.Timeout | undefined;
    if (!p.hang) {
      timer = setTimeout(() => finish({ kind: 'exited', code: p.exitCode, signal: null, output: p.output.map((l) => `${l}\n`).join('') }), p.durationMs);
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

  readonly parts: SystemShape;

  private roleOf(id: string): SimProcessOptions['role'] {
    return id === this.parts.frontDoor ? 'front-door' : this.parts.workers.includes(id) ? 'worker' : 'keeper';
  }

  /**
   * Starts the process `id` as a new incarnation (a fresh endpoint: the old one stays dead); with
   * rejoin 'new', as its next new consumer (PROTOCOL.md `--consumer`), as live.
   */
  private async startRole(id: string, rejoin: Rejoin = 'same'): Promise<void> {
    let kill!: () => void;
    const killed = new Promise<never>((_, reject) => (kill = () => reject(connError('ECONNRESET', `${id} is gone`))));
    killed.catch(() => undefined);
    const incarnation = { killed, kill, children: new Map() } as unknown as Incarnation;
    incarnation.endpoint = new Endpoint(id, id, this.ownerOf(incarnation));
    this.roles.set(id, incarnation);
    const role = this.roleOf(id);
    let consumer: number | undefined;
    if (rejoin === 'new' && role !== 'front-door') {
      consumer = (this.rejoins.get(id) ?? 0) + 1;
      this.rejoins.set(id, consumer);
    }
    const options: SimProcessOptions = { id, role, leaseMs: this.shape.leaseMs, bugs: this.shape.bugs, concurrency: this.shape.concurrency ?? 1, ...(consumer !== undefined ? { consumer } : {}) };
    // everything the process does from here on runs as this incarnation (its timers are its own)
    incarnation.handle = runAs(this.ownerOf(incarnation), () => this.sim.start(options, this.edgesOf(incarnation, id, incarnation.endpoint)));
    // killed before it was ready (a restart's heal still waiting for Redis when the next restart
    // strikes): the start fails, as a live process that exits before its ready line does. Waiting
    // on would never end: a connection cut while it reconnects never says so (seed 2, front-door)
    await Promise.race([incarnation.handle.ready, killed]);
    incarnation.started = true;
  }

  async start(): Promise<void> {
    await this.startRole(this.parts.frontDoor);
    for (const id of [...this.parts.workers, ...this.parts.keepers]) await this.startRole(id);
  }

  /** Stops every role and closes every connection (the world is thrown away after its run). */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.roles.values()].map((r) => runAs(this.ownerOf(r), () => (r.started ? r.handle.stop('end of run') : undefined))));
    this.admin.disconnect();
  }

  private alive(id: string): boolean {
    return this.roles.get(id)?.endpoint.alive ?? false;
  }

  /** SIGKILL: its connections reset and refused from now on, its children and payloads gone, its code stopped. */
  private killRole(id: string): void {
    const role = this.roles.get(id);
    if (!role || !role.endpoint.alive) return;
    this.network.kill(role.endpoint);
    runAs(this.ownerOf(role), () => {
      for (const child of role.children.values()) {
        this.network.kill(child.endpoint);
        child.crash();
      }
      role.kill();
      role.awake?.resolve();
      // as under SIGKILL: its connections cut without QUIT, its loops and timers end; one killed
      // while still starting must stop starting too, or it goes on as a zombie (its executor taken
      // for the next incarnation's: a heal that never ended, found by the simulated soak)
      role.handle.crash();
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
    for (const child of role.children.values()) this.network.setPaused(child.endpoint, paused);
    // SIGSTOP / SIGCONT: its timers (its children's and payloads' too) hold, then what came due fires
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
        if (role?.started) await Promise.race([runAs(this.ownerOf(role), () => role.handle.stop('SIGTERM')), sleep(graceMs)]);
        this.killRole(id);
      },
      start: (opts) => this.startRole(id, opts?.rejoin),
      pause: () => this.setPaused(id, true),
      resume: () => this.setPaused(id, false),
      killExecutor: () => {
        const role = this.roles.get(id);
        const executorId = this.parts.executors?.[id];
        const executor = executorId !== undefined ? role?.children.get(executorId) : undefined;
        if (!role || !executor || !executor.endpoint.alive) return false;
        this.network.kill(executor.endpoint);
        // its worker hears of it as itself (what it does then sets the worker's timers)
        runAs(this.ownerOf(role), () => executor.crash());
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

  payloadTrigger(jobId?: string): { fired: Promise<PayloadStart>; cancel(): void } {
    let fire!: (start: PayloadStart) => void;
    const fired = new Promise<PayloadStart>((r) => (fire = r));
    const w = { jobId, fire };
    this.payloadWatches.add(w);
    return { fired, cancel: () => this.payloadWatches.delete(w) };
  }

  private payloadStarted(start: PayloadStart): void {
    for (const w of [...this.payloadWatches]) {
      if (w.jobId !== undefined && w.jobId !== start.jobId) continue;
      this.payloadWatches.delete(w);
      w.fire(start);
    }
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
          const frontDoor = this.parts.frontDoor;
          await this.roles.get(frontDoor)?.awake?.promise;
          const role = this.roles.get(frontDoor);
          if (!role || !role.endpoint.alive) throw connError('ECONNREFUSED', `connect ECONNREFUSED (${frontDoor} is down)`);
          const { handle } = role;
          if (!handle.request) throw new Error(`the simulated ${frontDoor} answers no requests (SimProcess.request)`);
          // the front door serves it as itself: what it sets meanwhile freezes with it
          const res = await Promise.race([runAs(this.ownerOf(role), () => handle.request!({ method, path, headers, body })), role.killed]);
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
