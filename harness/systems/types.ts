// A system under test, as the harness sees it: one module per system (the reference system,
// BullMQ, bee-queue, or one of your own) behind this one interface. Everything else (the
// nemesis, the links through Toxiproxy, the client, the checkers, the report) is shared.
//
// To add a system: write its processes (a front door that speaks the client API of
// system-under-test/PROTOCOL.md over HTTP, and workers), a module that implements SystemModule,
// and list it in harness/systems/index.ts. README "Pointing the harness at another system".

import type { Redis } from 'ioredis';
import type { FinalState } from '../history/collect.ts';
import type { HistoryRecorder } from '../history/recorder.ts';
import type { EvidenceKind, ExecutionEntry, TransitionEntry } from '../history/types.ts';
import type { SimLoader } from '../sim/embedding.ts';

export type { EvidenceKind } from '../history/types.ts';

/**
 * What a system can do, as scenarios and the command line ask for it:
 * - `keepers`: processes that decide events (keeper-race, keeper-crash);
 * - `executors`: a separate executor process per worker (kill-executor; executor-crash); the worker holds the job and its lease while its executor runs the payload, so an executor's death alone lets no lease lapse (reexecution);
 * - `event-sources`: two processes publish a job's events, the worker and its executor (reorder);
 * - `consumer-names`: a process keeps its consumer name across a restart, so a kill healed as a new consumer means a takeover (takeover);
 * - `concurrency`: a worker runs several jobs at once when asked (--concurrency);
 * - `planted-bugs`: switchable bugs (--bugs, verify);
 * - `simulation`: its processes run in the harness's process on a virtual clock (--sim);
 * - `containers`: images for --env docker.
 */
export type Capability = 'keepers' | 'executors' | 'event-sources' | 'consumer-names' | 'cancels' | 'concurrency' | 'planted-bugs' | 'simulation' | 'containers';

export interface Provides {
  capabilities: readonly Capability[];
  evidence: readonly EvidenceKind[];
}

/** The parts of one system: its processes and the links a fault can hit. */
export interface SystemShape {
  /** the process the client's HTTP requests reach (through the `client` link) */
  frontDoor: string;
  /** processes that run jobs (fault targets of worker-crash, pause, ...) */
  workers: string[];
  /** processes that decide events (the reference system's keepers; none in a library) */
  keepers: string[];
  /** every link, each one Toxiproxy proxy: one per process's Redis connections, plus `client` (to the front door's HTTP port) */
  links: string[];
  /** each worker's executor id (the executorId of its payload starts, the sourceId of its outcome events); absent: a worker runs its payloads itself */
  executors?: Record<string, string>;
  /** links that are neither a process's own nor `client`, and the ids whose traffic they carry (the reference system's `executor` link: every executor) */
  sharedLinks?: Record<string, string[]>;
  /**
   * The Redis commands each process (or executor) sends in its protocol's steps, by id: a crash
   * point may wait for one of them by name (else it counts any command). Absent: a common list.
   */
  commands?: Record<string, readonly string[]>;
}

/** What a process needs to know to start: the ports of the links it talks through. */
export interface StartContext {
  /** the local port of a link (Toxiproxy's listen port for it) */
  linkPort(link: string): number;
  /** the HTTP port the front door must listen on (the `client` link's upstream) */
  httpPort: number;
  redisPassword: string;
  /** how long a job may go unrenewed before another worker may take it over (lease, lock, stall interval) */
  leaseMs: number;
  /** planted bugs to switch on (only the reference system has any) */
  bugs: string[];
  /** jobs one worker process runs at once (--concurrency; only a system with `concurrency` takes more than 1) */
  concurrency: number;
}

/**
 * One process of a system: its full command line. It must print one JSON line
 * `{"ready":true,...}` on stdout once it serves (optionally `executorPid` for a child the
 * `kill-executor` fault may kill), and read the Redis password from SUT_REDIS_PASSWORD.
 */
export interface ProcessSpec {
  id: string;
  role: string;
  argv: string[];
  /** its working directory (absolute); absent: the harness's project folder */
  cwd?: string;
  /** variables it gets besides the harness's own (PATH, HOME, SUT_REDIS_PASSWORD, ...); the rest of the harness's environment is not passed */
  env?: Readonly<Record<string, string>>;
  /**
   * how it says it is ready: the JSON ready line on stdout (the default), a TCP port on 127.0.0.1
   * that accepts a connection, or an HTTP URL that answers 2xx
   */
  ready?: ReadySignal;
  /** how a graceful stop (the restart fault) stops it: the signal (default SIGTERM) and how long it may take before SIGKILL (default: the fault's) */
  stop?: { signal?: NodeJS.Signals; graceMs?: number };
  /**
   * The arguments that start it as its n-th new consumer (a kill healed with `rejoin: 'new'`),
   * added to argv. Absent: the system has no consumer names of its own (a library whose every
   * process start is already a new consumer), and it starts as always.
   */
  rejoinArgs?(n: number): string[];
}

export type ReadySignal = { line: true } | { tcp: number } | { http: string };

export interface Progress {
  /** jobs of the system that are not in a terminal state */
  unfinished: number;
  /** changes whenever the system makes progress (a log grows, a job finishes) */
  signature: string;
}

/** What a system records only as it happens (e.g. pub/sub events), collected over a connection of the harness's own. */
export interface Recording {
  /** stops listening; what was heard, as transitions on the run's timeline, and when nothing could be heard (the listening connection was down) */
  stop(): Promise<Heard>;
}

export interface Heard {
  transitions: TransitionEntry[];
  /** run-timeline intervals [from, to] in which the harness was not listening: what was published then is missing */
  gaps: { from: number; to: number }[];
}

export interface SystemModule {
  /** the --system name */
  readonly name: string;
  /** what the report names it: the library and its exact version */
  readonly label: string;
  /** one line on how its processes are set up (settings chosen), for the report and --help */
  readonly settings: string;
  shape(o: { workers: number; keepers: number }): SystemShape;
  processes(shape: SystemShape, ctx: StartContext): ProcessSpec[];
  /**
   * What it provides: the harness runs a scenario only where the system has what the scenario
   * needs (Scenario.needs), and a checker only where it has the evidence the checker reads
   * (CheckerDef.needs); what it leaves out is said with the reason (harness/registry/applies.ts).
   */
  readonly provides: Provides;
  /**
   * Its simulated form (capability `simulation`, --sim): loads what starts each of its processes
   * in the harness's process on the virtual clock (harness/sim/embedding.ts). Imported only when
   * --sim asks for it.
   */
  readonly simulation?: SimLoader;
  /** scenarios it does not run although it provides what they need, each with why (e.g. not yet measured) */
  readonly skip?: Readonly<Record<string, string>>;
  /** the names of its evidence in Redis, recorded in the history's shape entry (the checkers name no keys of their own) */
  readonly evidence?: { transitionLog?: string; runningSet?: string; executionsLog?: string };
  /** starts recording what the system only emits while it runs (optional) */
  record?(admin: Redis, history: HistoryRecorder): Promise<Recording>;
  /** its logs and a snapshot of its state, read over the harness's own connection */
  readFinalState(admin: Redis, history: HistoryRecorder): Promise<FinalState>;
  progress(admin: Redis): Promise<Progress>;
  /** nothing in it can still move a job (every process up is checked by the caller) */
  quiescent(admin: Redis): Promise<boolean>;
  /**
   * After a run: nothing of it is in flight, so the next run may reuse the processes after a
   * flush. A system without it restarts its processes before every run.
   */
  idle?(admin: Redis, transitions: TransitionEntry[], executions: ExecutionEntry[]): Promise<boolean>;
  /**
   * After a flush between runs that reuse its processes (with `idle`): every process of it waits
   * for work again, so the next run's first fault meets a system at rest. For a system that polls
   * Redis rather than blocking at it. Absent: every worker and keeper is seen blocked at Redis (or
   * subscribed), given up after 2 s.
   */
  atRest?(admin: Redis): Promise<boolean>;
  /**
   * The longest (ms) a healthy idle worker of this system may take, after the final heal, to pick
   * up new work: the sum of its own timers on that path (blocking-read timeout, reconnect backoff,
   * retry delays after a failed read, a stuck connection's timeout), each named where it is
   * implemented. The liveness probe (harness/runner/liveness.ts) derives its window from it.
   * Absent: harness/runner/liveness.ts DEFAULT_PICKUP_MS plus a lease.
   */
  livenessBoundMs?(ctx: LivenessContext): number;
  /**
   * Its promise on cancels, where it makes one: a payload of a job whose cancel the front door
   * acknowledged stops (or never starts) within this many ms, e.g. the interval at which its
   * executors poll the cancel flag. The checker cancelEffective holds it to that; a system that
   * makes no such promise is not judged on it.
   */
  readonly cancelWithinMs?: number;
  /**
   * Its promise on the events queue (SnapshotEntry.eventQueue), where it has one: once every part
   * is healed, an event pending in the group (on a live consumer or a dead one) is taken over and
   * decided within this many ms: its reclaim idle time, how often a reclaim round runs, and the
   * reconnect path after a heal. The checker eventsDecided calls an event pending that long, that
   * long after the final heal, stuck; a system that makes no such promise is not judged on it.
   */
  readonly eventsDecidedWithinMs?: number;
  /**
   * Its promise on recovery, where it makes one: once every part is healed, its front door answers
   * every request within this many ms (of the final heal, or of the request when it is sent later),
   * and a job does not wait longer than this while no payload runs anywhere (its workers are back
   * at work): one acknowledged after the heal from its acknowledgement, one left from before it
   * (never started, or its payload died with its worker) from a lease after the heal, when
   * whoever held it has let go of it. The reference system's: its reconnect backoff and the
   * handshake and commands of one request after a reconnect. After the final heal no connection a
   * fault touched is left open and silent (a timeout toxic closes its connections when it is
   * removed, a killed process is started again, a paused one resumed), so no stuck-connection
   * timeout applies. The checker backAfterHeal holds it to that; a system
   * that makes no such promise is not judged on it.
   */
  readonly recoveryWithinMs?: number;
  /**
   * Whether it gives every start of a job's payload an attempt number of its own (the reference
   * system: PROTOCOL.md, `(jobId, attempt)` identifies a start; a worker INCRs the job's counter on
   * every delivery). The checker reexecution then calls two starts the harness saw under one
   * attempt a violation (a re-execution the system's own log cannot tell from a logged repeat),
   * unless a Redis restart or wipe may have lost the counter between them.
   */
  readonly attemptPerStart?: boolean;
}

/** What a liveness bound may depend on besides the system's own settings. */
export interface LivenessContext {
  /** the run's --lease-ms (lock duration, stall interval) */
  leaseMs: number;
  /** from the first fault's start until probing began (0 without faults): a backoff that doubles on each failure can only have grown within it */
  faultSpanMs: number;
}
