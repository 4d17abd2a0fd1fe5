// What a run and the nemesis need of an environment, and nothing more: the live environment
// (local processes behind Toxiproxy, environment.ts) implements it, and so can another one (the
// simulation's in-process system on a virtual clock, containers). The fault modules speak only
// these controls, so the nemesis vocabulary is the same everywhere.

import type { Redis } from 'ioredis';
import type { Transport } from '../workload/client.ts';
import type { SystemModule, SystemShape } from '../systems/types.ts';
import type { HistoryRecorder } from '../history/recorder.ts';
import type { PayloadStartEntry } from '../history/types.ts';
import type { Rejoin } from '../nemesis/types.ts';

/** One process of the system under test (a role), as faults see it. */
export interface ProcessControl {
  alive(): boolean;
  /** SIGKILL: gone at once, nothing flushed */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited within graceMs */
  terminate(graceMs: number): Promise<void>;
  /**
   * start it again: under the same name, or with `rejoin: 'new'` as a new consumer (a name of its
   * own, as when names come from host and pid), so what the dead one held must be taken over
   */
  start(opts?: { rejoin?: Rejoin }): Promise<void>;
  /** freeze it (SIGSTOP) and thaw it (SIGCONT) */
  pause(): void;
  resume(): void;
  /** SIGKILL the worker's executor; false when it has none */
  killExecutor(): boolean;
}

export type ToxicStream = 'upstream' | 'downstream';

/** One link (a role's connection to Redis, or the client's to the orchestrator), as faults see it. */
export interface LinkControl {
  /** down: open connections are cut, new ones refused; up: accepted again */
  setEnabled(enabled: boolean): Promise<void>;
  /** a named Toxiproxy-style toxic (latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data); `{ empty }` when this environment has no form of it */
  addToxic(toxic: { name: string; type: string; stream: ToxicStream; attributes: Record<string, number> }): Promise<void | { empty: string }>;
  /** removes that toxic; no error when it is already gone */
  removeToxic(name: string): Promise<void>;
}

/** redis-server, as faults see it. */
export interface RedisControl {
  alive(): boolean;
  /** SIGKILL, resolved once it is gone */
  kill(): Promise<void>;
  /** start again on the same port and data */
  restart(): Promise<void>;
  /**
   * While it is down: remove its data (append-only and RDB files), so the next start comes up
   * empty (the redis-wipe fault). Absent where the environment cannot (then a wipe is `empty`).
   */
  erase?(): Promise<void>;
}

export interface RunEnvironment {
  readonly options: { leaseMs: number };
  /** the system under test: its shape, and how its history is read */
  readonly system: SystemModule;
  /** its processes (front door, workers, keepers) and links, as the system's module gives them */
  readonly parts: SystemShape;
  /** runs on the simulation's virtual clock (one clock for the harness and Redis: no skew) */
  readonly simulated?: boolean;
  /** the harness's own Redis connection: never through a link, never faulted */
  readonly admin: Redis;
  /** how the client's requests reach the orchestrator (through the `client` link) */
  readonly transport: Transport;
  /** the runner's note that the last run ended with every process idle, so the next may reuse them */
  processesReusable: boolean;
  processControl(id: string): ProcessControl;
  linkControl(name: string): LinkControl;
  readonly redisControl: RedisControl;
  /** every process of the system is running */
  allProcessesAlive(): boolean;
  /** remove every toxic and bring every link up */
  healLinks(): Promise<void>;
  /** resume paused processes, start dead ones */
  healProcesses(): Promise<void>;
  /** fresh state for the next run; returns whether the processes were restarted */
  reset(opts: { reuseProcesses?: boolean }): Promise<boolean>;
  /**
   * What the last fault operation on a resource (a nemesis resource: `process <id>`, `redis`) did,
   * when this environment can say more than the fault's name (the docker environment: which
   * container, which operation). The nemesis adds it to the step's start entry as `hit`.
   * Steps never overlap on a resource, so the last operation is the step's own.
   */
  lastOperation?(resource: string): Record<string, string> | undefined;
  /**
   * Nothing is in transit between the system and Redis (no command or reply held or delayed on
   * any link), when this environment can see its own network (the simulation). Without it (live:
   * Toxiproxy does not say what it holds) the runner waits out the largest delay the schedule drew.
   */
  drained?(): boolean;
  /**
   * The payload starts of the run that just ended as this environment saw them itself (not the
   * system's own start log), on the run's timeline; emptied by reset. Absent when it sees none:
   * the system's log is then the only witness of what ran.
   */
  payloadStarts?(history: HistoryRecorder): PayloadStartEntry[];
  /**
   * What each of the system's processes wrote (stdout and stderr, as they came, the tail of each
   * when long) since the last call, by process id; and from now on, what they write next. Absent
   * where the environment does not capture them.
   */
  takeLogs?(): Record<string, string>;
  /**
   * Each of the system's processes by id, with its pid while it runs, where this environment runs
   * them as processes of this machine: the runner measures their run-queue wait (starvation.ts).
   * Absent elsewhere (the simulation has no CPU to share; containers are not measured).
   */
  rolePids?(): ReadonlyMap<string, number | undefined>;
  /**
   * A crash point's trigger, where this environment sees each command reach Redis (the
   * simulation): `fired` settles the moment the role or executor `watch` has had its `nth`
   * command since now (of name `command`; '*' counts any) executed, before the reply reaches it.
   * Whatever the caller does in the microtasks that follow happens before anything else moves.
   * Absent live: Toxiproxy does not see commands.
   */
  commandTrigger?(watch: string, command: string, nth: number): { fired: Promise<void>; cancel(): void };
  /**
   * A payload's trigger, where this environment sees payloads start: `fired` settles with the
   * next payload start from now (of job `jobId` when given) and the process it started under (a
   * worker, whose executor or itself ran it). In simulation before the payload has run a moment;
   * live (environment.ts) within a few milliseconds of the harness's wrapper recording it, for a
   * system whose executors run payloads through the wrapper. Absent (the docker environment): no
   * start is seen.
   */
  payloadTrigger?(jobId?: string): { fired: Promise<PayloadStart>; cancel(): void };
}

/** A payload start as a payload trigger sees it: which job and attempt, under which process (a worker). */
export interface PayloadStart {
  jobId: string;
  attempt: number;
  process: string;
}
