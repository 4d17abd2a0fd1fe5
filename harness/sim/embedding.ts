// The embedding contract: what a system provides to run in simulation (--sim), and what the
// simulation gives each of its processes. A system whose processes are Node programs on ioredis
// provides `SystemModule.simulation`: a loader of a `SimSystem`, whose `start` runs one process's
// own code in the harness's process, on edges the simulation supplies instead of the operating
// system's:
//
// - its Redis connections: ioredis clients made with `edges.redisOptions()` (a `Connector` into
//   the in-process Redis, through the process's link of the simulated network, where faults hit),
//   or, for another client on redis-parser 3 (node-redis v3), sockets from `edges.socket()`;
// - fresh ids drawn from the run's seed (`edges.newId`), never crypto.randomUUID or Math.random;
// - its payloads: `edges.runPayload`, a sleep on the virtual clock with the payload's exit code
//   and output;
// - its log (`edges.log`), kept per process for a failing run's report;
// - a child process of its own, e.g. an executor the kill-executor fault kills (`edges.child`).
//
// Timers and the clock are the global setTimeout / setInterval / Date.now, faked by the
// simulation while a run goes on: a process needs nothing of this contract for them. Anything it
// waits for outside these edges (a real socket, a file, a real child process, a timer of another
// clock) is real time and real I/O, and stops the run as "stuck".
//
// The front door answers the client's requests through `SimProcess.request` (the client's HTTP
// request as a call), and every other process needs only `stop` and `crash`. The harness kills,
// pauses and restarts processes as live: a kill cuts the process's connections and calls its
// `crash`; a pause freezes its traffic and its timers; a restart calls `start` again.

import type { Duplex } from 'node:stream';
import type { RedisOptions } from 'ioredis';
import type { Payload } from '../instrument/index.ts';

/** How a simulated payload ended: its exit code (null when killed, with the signal) and its stdout. */
export interface SimPayloadExit {
  kind: 'exited';
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** A payload running on the virtual clock. */
export interface SimPayload {
  /** settles (never rejects) once it has ended */
  readonly ended: Promise<SimPayloadExit>;
  /** kills it now (its end comes through `ended`, signal SIGKILL) */
  kill(): void;
}

/** What the simulation gives one process of a system (or one child process of it). */
export interface SimEdges {
  /** the process's id (the shape's: `orchestrator`, `worker-1`, ... or a child's own) */
  readonly id: string;
  /**
   * Options for a new ioredis connection through this process's link in the simulated network:
   * spread them last over the process's own settings (they carry the `Connector`).
   */
  redisOptions(): Pick<RedisOptions, 'Connector'>;
  /**
   * A socket into the in-process Redis through the same link, for a client other than ioredis
   * (node-redis v3: its `stream` option, a new one on each reconnect). It behaves as
   * net.connect's: 'connect' on the next tick, or, when the link refuses, 'error' then 'close'.
   * The client writes RESP; replies come back as objects that redis-parser 3 (ioredis's and
   * node-redis's parser) is taught to read (redis/connection.ts).
   */
  socket(): Duplex;
  /** a fresh id (UUID-shaped) from the run's seed */
  newId(): string;
  /** one line of the process's log */
  log(line: string): void;
  /**
   * Runs a job's payload on the virtual clock (durationMs, then its output and exit code; far
   * past any timeout when it hangs). The start is recorded as payload evidence of `start`'s job
   * and attempt by this process.
   */
  runPayload(payload: Payload, start: { jobId: string; attempt: number }): SimPayload;
  /**
   * A child process of this one (e.g. an executor): its own edges, on its own endpoint of the
   * network (the shape's shared link that lists it, else its parent's), paused and killed with
   * its parent. `crash` is how it dies alone (the kill-executor fault), after the world has cut
   * its connections.
   */
  child(id: string, crash: () => void): SimEdges;
  /**
   * An inbox of this process: each `fn` put in it runs in order, at once, or, while the process
   * is paused, once it runs again (what a child tells a frozen parent waits for SIGCONT).
   */
  inbox(): (fn: () => void) => void;
}

/** One process to start, as the system's shape names it. */
export interface SimProcessOptions {
  id: string;
  role: 'front-door' | 'worker' | 'keeper';
  /** how long a job may go unrenewed before another worker may take it (lease, lock, stall interval) */
  leaseMs: number;
  /** planted bugs to switch on (systems with `planted-bugs`) */
  bugs: readonly string[];
  /** jobs one worker runs at once (systems with `concurrency`) */
  concurrency: number;
  /** started as its n-th new consumer (a kill healed with rejoin 'new'; systems with `consumer-names`); absent: its own name */
  consumer?: number;
}

/** A request of the client's API (system-under-test/PROTOCOL.md), as the front door's HTTP server would get it. */
export interface SimRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface SimResponse {
  status: number;
  /** the JSON body */
  body: unknown;
}

/** A process started in simulation. */
export interface SimProcess {
  /** settles once it serves (its ready line, live); rejects when it cannot start */
  readonly ready: Promise<unknown>;
  /** stops it gracefully (SIGTERM): its loops end, its connections are closed; the same promise every call */
  stop(why?: string): Promise<void>;
  /** dies at once, as under SIGKILL: its loops end at their next step, nothing is cleaned up (callable while it is still starting) */
  crash(): void;
  /** the front door only: answers one request of the client's API */
  request?(req: SimRequest): Promise<SimResponse>;
}

/** A system's simulated form. */
export interface SimSystem {
  /** starts one process of the system in this process, on the simulation's edges */
  start(o: SimProcessOptions, edges: SimEdges): SimProcess;
}

/** SystemModule.simulation: loads the simulated form (imported on real time, before any run), optionally from another copy's module (e.g. a mutant's). */
export type SimLoader = (o: { embed?: string }) => Promise<SimSystem>;

