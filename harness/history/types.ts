// One run's history: every observation on one timeline. `t` is milliseconds since the
// run started (wall clock of this machine, which Redis stream ids share), so client
// operations, keeper decisions and nemesis steps can be ordered against each other.

export const JOB_STATES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface Payload {
  durationMs: number;
  exitCode: number;
  output: string[];
  hang?: boolean;
}

export interface JobSpec {
  description: string;
  payload: Payload;
  timeoutMs: number;
}

/** What a client read or the final snapshot says about one job. */
export interface JobView {
  jobId: string;
  state: JobState;
  attempt?: number;
  exitCode?: number | null;
  output?: string | null;
  reason?: string | null;
  /** how long the payload ran, where the system's API says (the reference system's reads do, and its snapshot of a terminal job) */
  durationMs?: number | null;
}

export interface TaskView {
  taskId: string;
  /** what the API said (reads); absent in the snapshot, which is read from Redis where a task stores no status */
  status?: string;
  idempotencyKey?: string | null;
  jobs: JobView[];
}

export type ClientOp =
  /**
   * a submission names the Idempotency-Key it carried, or says `keyless: true` when it carried none
   * (one attempt, never retried: it made one task if answered, none if refused, none or one if its
   * answer was lost)
   */
  | { f: 'submit'; value: ({ idempotencyKey: string; keyless?: never } | { idempotencyKey?: never; keyless: true }) & { description: string; jobs: JobSpec[] } }
  | { f: 'read'; value: { taskId: string } }
  | { f: 'cancel'; value: { jobId: string } };

/** Jepsen-style client operation: an invoke, then ok / fail / info with the same opId. */
export interface ClientEntry {
  kind: 'client';
  t: number;
  type: 'invoke' | 'ok' | 'fail' | 'info';
  process: string;
  opId: number;
  f: 'submit' | 'read' | 'cancel';
  /** invoke: the request. ok: the response (submit → {taskId, jobIds}; read → TaskView; cancel → {jobId}). fail/info: ClientError. */
  value: unknown;
}

/** A fail or info entry's value: why, as one string, and the HTTP status when an answer came (a read's 404: no such task). */
export interface ClientError {
  error: string;
  status?: number;
}

/** One keeper decision, read from the SUT's transition log. */
export interface TransitionEntry {
  kind: 'transition';
  t: number;
  /** position in the transition log (a Redis stream id); orders transitions exactly */
  logId: string;
  jobId: string;
  eventId: string;
  type: string;
  source: string;
  sourceId: string;
  attempt: number;
  from: JobState | 'none';
  to: JobState | 'none';
  decision: 'applied' | 'ignored';
  reason: string;
  keeper: string;
  exitCode?: number | null;
  output?: string | null;
}

/** One start of a payload by an executor (the SUT's executions log). */
export interface ExecutionEntry {
  kind: 'execution';
  t: number;
  jobId: string;
  attempt: number;
  executorId: string;
  /** when the executor reported this start's payload over (a library worker's end entry); absent when the log has no end (the reference system's outcome is its event) */
  endedAt?: number;
}

/**
 * What an injection did: `ok` (the fault is in place), `failed` (the injection threw: detail.error
 * says why) or `empty` (nothing to hit, e.g. a kill of a process that is already dead; detail.why).
 * Only `ok` steps count as faults in coverage.
 */
export type InjectOutcome = 'ok' | 'failed' | 'empty';

export interface NemesisEntry {
  kind: 'nemesis';
  t: number;
  type: 'start' | 'end';
  stepId: number;
  fault: string;
  target: string;
  /** start entries: what the injection did (absent in histories written before it was recorded: ok) */
  outcome?: InjectOutcome;
  /**
   * start entries: the fault kind's family, as its module says (`process`: a kill, pause or restart
   * of a process, `link`, `redis`); absent for a kind that names none, and in histories written
   * before it was recorded
   */
  family?: string;
  /**
   * start entries: what the step does to what it strikes, as its kind's module says (FaultEffect);
   * absent for a kind that names none, and in histories written before it was recorded
   */
  effect?: FaultEffect;
  detail?: Record<string, unknown>;
}

/**
 * What a fault step does to the part it strikes, for the checkers (a fault kind's module says it,
 * the nemesis records it on the step's start entry):
 * - `ends`: the process (or executor, or Redis) dies: what it ran is killed by a signal, what it held must be taken over or run again (kill, restart, kill-executor, redis-restart);
 * - `erases`: Redis dies as with `ends` and comes back empty: what was in it before may be gone (redis-wipe); what was acknowledged after it came back is owed in full;
 * - `freezes`: the process stops and later goes on: its payload may outlive its timeout, its lease may lapse (pause);
 * - `cuts`: a command in flight on the link fails or goes unanswered, so it may be resent (down, timeout, reset_peer, limit_data);
 * - `stalls`: the link slows without a bound on one message, past any lease (bandwidth);
 * - `delays`: each message on the link waits its fault's `latencyMs` + `jitterMs` (latency);
 * - `none`: nothing a checker must excuse (slow_close, slicer).
 */
export type FaultEffect = 'ends' | 'erases' | 'freezes' | 'cuts' | 'stalls' | 'delays' | 'none';

/** A part of the final state the harness could not read (after retries): the checkers say `unknown` for it, never `lost`. */
export interface Unreadable {
  /** the Redis key, or '*' when nothing could be read */
  key: string;
  taskId?: string;
  jobId?: string;
  error: string;
}

/**
 * Evidence the harness did read but that breaks the protocol (a job state outside the state
 * machine, a task's jobIds that are no list of ids): a violation, never a gap in what was read.
 */
export interface Malformed {
  /** the Redis key */
  key: string;
  taskId?: string;
  jobId?: string;
  /** what is wrong, e.g. "state 'canceled' is not a job state" */
  problem: string;
}

/** A job hash that no task lists (its own taskId field, when it has one, says whose it claims to be). */
export interface Orphan {
  key: string;
  jobId: string;
  taskId?: string;
  /** its state field as read (malformed or not) */
  state: string;
}

/**
 * State of the system after the final heal and settle period, read over the harness's own
 * Redis connection (the keys of PROTOCOL.md) in one MULTI together with the SUT's logs, so the
 * snapshot and the logs are one consistent cut.
 */
export interface SnapshotEntry {
  kind: 'snapshot';
  t: number;
  tasks: TaskView[];
  runningSet: string[];
  runningInfo: string[];
  /** what could not be read; absent or empty when everything was */
  unreadable?: Unreadable[];
  /** what was read but breaks the protocol; those jobs are absent from `tasks` (absent or empty when none) */
  malformed?: Malformed[];
  /** job hashes no task of `tasks` lists (absent or empty when none) */
  orphans?: Orphan[];
  /**
   * When the system's log is what the harness heard it publish (bee-queue's pub/sub events), the
   * intervals in which the harness was not listening: the log may lack what happened then, so a
   * snapshot ahead of the log is no evidence of an unlogged write. Absent for a stored log.
   */
  logGaps?: { from: number; to: number }[];
  /**
   * true on the first of a run's two snapshots: taken once the system was quiet and nothing was in
   * flight, and held against the final one (the one without it, read with the logs) a quiet
   * period later, so a stale write that lands in between is judged (checkers/snapshotStable.ts).
   */
  first?: boolean;
  /**
   * The queue the system's roles hand job events over (the reference system's `sut:events` and
   * its `keepers` group, read in the same cut as the transition log): every entry still in the
   * stream, where the group's delivery stands and what is still pending in it. An entry delivered
   * (at or before lastDeliveredId) and no longer pending has been let go of by the group: it must
   * have been decided (checkers/eventsDecided.ts). Absent for a system with no such queue, or when
   * the stream does not exist (nothing was published, or it was erased).
   */
  eventQueue?: EventQueueView;
}

/** The events queue as the snapshot read it (SnapshotEntry.eventQueue). */
export interface EventQueueView {
  entries: { id: string; jobId: string; type: string; source: string; sourceId: string }[];
  /** the group's last-delivered id ('0-0' when it has delivered nothing, or the group does not exist) */
  lastDeliveredId: string;
  /** entries delivered to a consumer and not acknowledged: by whom, how long since their last delivery, how often delivered */
  pending: { id: string; consumer: string; idleMs: number; deliveries: number }[];
}

/** The role a process plays in the system, whatever it is called. */
export type ProcessRole = 'front-door' | 'worker' | 'keeper';

/**
 * The system's shape as this run had it, the first entry of every history: each process's role,
 * the executor of each worker, what each link carries, and the names of the system's evidence.
 * The checkers read roles from here, never from a process's name or a key literal.
 */
export interface ShapeEntry {
  kind: 'shape';
  t: number;
  /** the --system name */
  system: string;
  processes: {
    id: string;
    role: ProcessRole;
    /** a worker's executor: the id its payload starts (executorId) and outcome events (sourceId) carry; the worker itself when it runs payloads in-process */
    executor?: string;
  }[];
  /** each link and the process ids whose traffic it carries (a worker's executor is named by its executor id) */
  links: { name: string; carries: string[] }[];
  /** names of the system's evidence in Redis (for messages, and to tell which unreadable key hides what) */
  evidence: { transitionLog?: string; runningSet?: string; executionsLog?: string };
  /** how far a client's clock may be off the log's (stream ids are Redis's clock): 0 in simulation, where one clock serves both */
  clockMarginMs: number;
  /** how long a job may go unrenewed before another worker may take it over (--lease-ms): what a slowed link must be comparable to before it explains a rerun */
  leaseMs?: number;
  /** the system's promise on cancels (SystemModule.cancelWithinMs): absent when it makes none, and then cancelEffective does not judge */
  cancelWithinMs?: number;
  /** the system's promise on pending events (SystemModule.eventsDecidedWithinMs): absent when it makes none, and then eventsDecided does not judge a pending event */
  eventsDecidedWithinMs?: number;
  /** the system's promise on recovery (SystemModule.recoveryWithinMs): absent when it makes none, and then backAfterHeal does not judge */
  recoveryWithinMs?: number;
  /** the system numbers every start of a job's payload with an attempt of its own (SystemModule.attemptPerStart): two starts of one attempt are then a violation (reexecution) */
  attemptPerStart?: boolean;
}

/**
 * One start of a payload as the harness itself saw it (not the system's log): in simulation at the
 * payload edge, live through a wrapper around the payload process that writes to the harness's own
 * record. The system's executions log is a second witness, held against this one.
 */
export interface PayloadStartEntry {
  kind: 'payload';
  t: number;
  jobId: string;
  attempt: number;
  executorId: string;
}

/**
 * The liveness probe after the final heal and settle (harness/runner/liveness.ts): from `t` on, the
 * harness offered new work to the workers that were up (one-job probe tasks through the client, in
 * rounds) until each had started and finished a job, or `t + boundMs` passed. The checker
 * `progress` holds each of `workers` to that window.
 */
export interface ProbeEntry {
  kind: 'probe';
  /** when probing began */
  t: number;
  /** each worker of `workers` must start and finish a job within this many ms after `t` */
  boundMs: number;
  /** the system's own bound it was derived from (SystemModule.livenessBoundMs): the longest a healthy idle worker takes to pick up new work after a heal */
  pickupMs: number;
  /** the workers up when probing began: the ones judged */
  workers: string[];
  /** the workers that were not up (left down by the schedule): not judged */
  down: string[];
  /** probe rounds submitted */
  rounds: number;
  /** the Idempotency-Keys of the probe submits (each submit op of the history with one of them is a probe) */
  keys: string[];
  /** the probe tasks the front door answered for */
  taskIds: string[];
  /** the front door was up when probing began (a front door left down offers no work: nothing is judged) */
  frontDoorUp: boolean;
  /** when probing ended (every probe finished, or the bound passed and the probes were waited for) */
  endedAt: number;
}

export type HistoryEntry = ClientEntry | TransitionEntry | ExecutionEntry | NemesisEntry | SnapshotEntry | ShapeEntry | PayloadStartEntry | ProbeEntry;
export type History = HistoryEntry[];

export interface Evidence {
  message: string;
  jobId?: string;
  taskId?: string;
  at?: number;
  entries?: HistoryEntry[];
}

export interface Verdict {
  checker: string;
  valid: boolean | 'unknown';
  evidence: Evidence[];
  stats?: Record<string, number>;
}

/**
 * What a system's history carries besides every client operation, fault and the final snapshot:
 * - `transition-log`: every state change it applied, with the state it changed from (legalTransitions);
 * - `running-set`: a set of the jobs it counts as running (runningSetConsistent);
 * - `task-status`: the client API reports a task's status, aggregated from its jobs' (taskAggregate);
 * - `executions-log`: each payload start and outcome;
 * - `event-queue`: the stream and consumer group its job events travel through, read with the
 *   transition log in one cut (SnapshotEntry.eventQueue; eventsDecided).
 */
export type EvidenceKind = 'transition-log' | 'running-set' | 'task-status' | 'executions-log' | 'event-queue';
