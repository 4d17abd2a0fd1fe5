import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { RunEnvironment } from '../env/surface.ts';
import { HistoryRecorder } from '../history/recorder.ts';
import type { ExecutionEntry, History, ShapeEntry, SnapshotEntry, TransitionEntry } from '../history/types.ts';
import { LIVE_CLOCK_MARGIN_MS } from '../checkers/roles.ts';
import { effectiveFault, healAll, maxDelayMs, playSchedule, type Schedule } from '../nemesis/index.ts';
import { watchStarvation } from '../env/starvation.ts';
import { probeLiveness } from './liveness.ts';
import { Client, type SubmitRequest, type Submitted } from '../workload/client.ts';
import type { Heard } from '../systems/types.ts';
import type { SubmitStyle, Workload } from '../workload/workload.ts';

export interface RunPlan {
  workload: Workload;
  schedule: Schedule;
  /**
   * After the final heal, how long the system may go without progress (no log entry, no job
   * reaching a terminal state) before an unfinished job counts as lost: "lost" means lost, not late.
   */
  settleMs: number;
  /** the settle period never lasts longer than this after the heal, progress or not (default: max(6 × settleMs, 60 s)) */
  settleCapMs?: number;
  /** how often the client reads every task it was answered for, from the first answer until the settle period ends */
  readIntervalMs?: number;
  /** prefix of this run's Idempotency-Keys (default: random; the simulation derives it from the seed) */
  runKey?: string;
}

export interface RunOutcome {
  history: History;
  durationMs: number;
  /** time from the final heal until every job was terminal, the system was quiet, it made no progress for settleMs, or the cap */
  settleTookMs: number;
  /** the settle period ended at its cap while the system was still making progress */
  settleCapped: boolean;
  /** after the settle: the wait for quiet, the first snapshot and the quiet period after it, reading the SUT's logs and the final snapshot, the idle check */
  collectMs: number;
  /** the reset before the run (not part of durationMs), and whether it restarted the SUT processes */
  resetMs: number;
  restarted: boolean;
  /** what each system process wrote during the run (stdout and stderr), where the environment captures it */
  logs?: Record<string, string>;
}

const QUIET_CHECK_MS = 400;
const SETTLE_POLL_MS = 100;
/** between the first snapshot and the final one: as long as settle's two quiet checks lie apart (every run pays it, so it stays short) */
const SECOND_LOOK_MS = QUIET_CHECK_MS;
/**
 * The same in simulation, where waiting costs only the events that fire meanwhile: long enough
 * for a write a system's own timer sends seconds later (a retry, a confirmation, a watchdog) to
 * land before the final snapshot.
 */
const SIM_SECOND_LOOK_MS = 10_000;
/** a command or reply of the system (a job hash with its output), to bound what a bandwidth or slicer toxic holds it for */
const MESSAGE_BYTES = 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One live run: fresh state, the workload and the nemesis schedule side by side, a final heal,
 * a settle period, then a first snapshot once the system is quiet and, a quiet period later, the
 * SUT's own logs and the final snapshot are added to the history. The SUT
 * processes are restarted first unless env.processesReusable says nothing is in flight in them.
 * The client keeps reading the tasks it was answered for through the faults and the settle
 * period, so the checkers can hold what the API said against the logs and the snapshot.
 */
export async function runOnce(env: RunEnvironment, plan: RunPlan): Promise<RunOutcome> {
  const resetStart = performance.now();
  const reuseProcesses = env.processesReusable;
  env.processesReusable = false; // until this run has ended idle
  // the processes' logs from here on are this run's (what a restart in the reset writes included)
  env.takeLogs?.();
  const restarted = await env.reset({ reuseProcesses });
  const resetMs = performance.now() - resetStart;
  const history = new HistoryRecorder();
  history.add(shapeEntry(env));
  // what the system only emits as it happens (its events over pub/sub), heard over a connection of the harness's own
  const recording = await env.system.record?.(env.admin, history);
  // a process starved of CPU on a busy machine is paused as surely as by SIGSTOP: measured, recorded as such
  const starvation = env.rolePids ? watchStarvation(history, () => env.rolePids!()) : undefined;
  // two client processes: the second sends what real clients send from a second place (the same
  // key at once, a second cancel); the first does everything else
  const client = new Client(env.transport, history, 'client-0');
  const other = new Client(env.transport, history, 'client-1');
  const runKey = plan.runKey ?? randomUUID().slice(0, 8);
  const submitted = new Map<string, string[]>(); // taskId → jobIds
  let reading = true;

  const workload = Promise.all(plan.workload.tasks.map(async (task, i) => {
    await sleep(Math.max(0, task.atMs - history.now()));
    // a keyless task is sent without a key, as one attempt (client.ts)
    const answers = await submitTask(client, other, { ...(task.keyless ? {} : { idempotencyKey: `${runKey}-${i}` }), description: task.description, jobs: task.jobs }, task.submit);
    // two answers for one key name one task on a correct system; the reader follows every one
    for (const a of answers) submitted.set(a.taskId, a.jobIds);
    const res = answers[0];
    if (!res) return;
    if (task.cancel) {
      await sleep(task.cancel.afterMs);
      const jobId = res.jobIds[task.cancel.jobIndex];
      await Promise.all([client.cancel(jobId), task.cancel.twice ? other.cancel(jobId) : undefined]);
    }
  }));

  const reader = (async () => {
    while (reading) {
      await sleep(plan.readIntervalMs ?? 250);
      if (reading) await Promise.all([...submitted.keys()].map((id) => client.read(id)));
    }
  })();

  // what the system only publishes is listened to until the final snapshot has been read: a
  // change published after the listening stopped would be in the snapshot and not in the log
  let stopped: Promise<Heard> | undefined;
  const stopListening = (): Promise<Heard> => (stopped ??= recording ? recording.stop() : Promise.resolve({ transitions: [], gaps: [] }));
  let settle: Settled;
  let collectStart: number;
  let collected: { transitions: TransitionEntry[]; executions: ExecutionEntry[] };
  try {
    try {
      await Promise.all([workload, playSchedule(env, plan.schedule, history)]);
      await healAll(env);
      settle = await settleAfterHeal(env, history, plan);
      await probeLiveness(env, history, client, runKey); // every worker up must still take new work (checker: progress)
    } finally {
      reading = false;
      await reader;
      starvation?.stop();
    }
    collectStart = history.now();
    await firstSnapshot(env, history, plan, settle);
    collected = await collectRun(env, history, stopListening);
  } finally {
    await stopListening();
  }
  const { transitions, executions } = collected;
  // every SUT process ended the run alive and idle: the next run may reuse them (a simulated
  // world is thrown away after its one run: nothing reuses it, and the check's reads are spared)
  env.processesReusable = !env.simulated && settle.allTerminal && (await idle(env, transitions, executions));
  const entries = [...history.entries].sort((a, b) => a.t - b.t);
  return {
    history: entries,
    durationMs: history.now(),
    settleTookMs: settle.tookMs,
    settleCapped: settle.capped,
    collectMs: history.now() - collectStart,
    resetMs,
    restarted,
    ...(env.takeLogs ? { logs: env.takeLogs() } : {}),
  };
}

/** The system's shape as this run has it (the history's first entry): roles, executors, what each link carries, evidence names. */
export function shapeEntry(env: RunEnvironment): ShapeEntry {
  const { frontDoor, workers, keepers, links, executors = {}, sharedLinks = {} } = env.parts;
  const processes: ShapeEntry['processes'] = [
    { id: frontDoor, role: 'front-door' },
    ...workers.map((id) => ({ id, role: 'worker' as const, executor: executors[id] ?? id })),
    ...keepers.map((id) => ({ id, role: 'keeper' as const })),
  ];
  const carries = (link: string): string[] => sharedLinks[link] ?? (link === 'client' ? [frontDoor] : [link]);
  return {
    kind: 'shape',
    t: 0,
    system: env.system.name,
    processes,
    links: links.map((name) => ({ name, carries: carries(name) })),
    evidence: env.system.evidence ?? {},
    clockMarginMs: env.simulated ? 0 : LIVE_CLOCK_MARGIN_MS,
    leaseMs: env.options.leaseMs,
    ...(env.system.cancelWithinMs !== undefined ? { cancelWithinMs: env.system.cancelWithinMs } : {}),
    ...(env.system.eventsDecidedWithinMs !== undefined ? { eventsDecidedWithinMs: env.system.eventsDecidedWithinMs } : {}),
    ...(env.system.recoveryWithinMs !== undefined ? { recoveryWithinMs: env.system.recoveryWithinMs } : {}),
    ...(env.system.attemptPerStart ? { attemptPerStart: true } : {}),
  };
}

/** One task sent the way its plan says (SubmitStyle); the answers that named a task. */
async function submitTask(client: Client, other: Client, req: SubmitRequest, style: SubmitStyle = { kind: 'patient' }): Promise<Submitted[]> {
  const answered = (...xs: (Submitted | undefined)[]) => xs.filter((x): x is Submitted => x !== undefined);
  switch (style.kind) {
    case 'patient':
      return answered(await client.submit(req));
    case 'impatient':
      return answered(await client.submit(req, { timeoutMs: style.timeoutMs }));
    case 'hedged':
      return answered(await client.submit(req, { hedgeAfterMs: style.afterMs }));
    case 'two-clients':
      return answered(...(await Promise.all([client.submit(req), sleep(style.skewMs).then(() => other.submit(req))])));
  }
}

interface Settled {
  /** the final heal, on the run's timeline */
  healedAt: number;
  tookMs: number;
  allTerminal: boolean;
  capped: boolean;
}

/**
 * The settle period: waits, reading the system over the harness's own connection, until every
 * job of every task that exists is terminal (acknowledged or not: a task from an indeterminate
 * submission must finish too). It keeps waiting while the system makes progress (its logs grow,
 * jobs finish), until it has made none for settleMs or the cap is reached. It stops early when
 * nothing in the system can still move a job (quiet for two checks QUIET_CHECK_MS apart: a
 * terminal state overwritten by a late event looks like this).
 */
async function settleAfterHeal(env: RunEnvironment, history: HistoryRecorder, plan: RunPlan): Promise<Settled> {
  const healedAt = history.now();
  const cap = healedAt + (plan.settleCapMs ?? Math.max(6 * plan.settleMs, 60_000));
  let idleUntil = healedAt + plan.settleMs;
  let signature = '';
  let quietSince: number | undefined;
  let nextQuietCheck = healedAt + QUIET_CHECK_MS;
  for (;;) {
    const progress = await env.system.progress(env.admin).catch(() => undefined);
    const now = history.now();
    if (progress) {
      if (progress.unfinished === 0) return { healedAt, tookMs: now - healedAt, allTerminal: true, capped: false };
      if (progress.signature !== signature) {
        signature = progress.signature;
        idleUntil = Math.max(idleUntil, now + plan.settleMs);
      }
    }
    if (now >= idleUntil) return { healedAt, tookMs: now - healedAt, allTerminal: false, capped: false };
    if (now >= cap) return { healedAt, tookMs: now - healedAt, allTerminal: false, capped: true };
    if (now >= nextQuietCheck) {
      nextQuietCheck = now + QUIET_CHECK_MS;
      if (await quiescent(env).catch(() => false)) {
        if (quietSince !== undefined) return { healedAt, tookMs: history.now() - healedAt, allTerminal: false, capped: false };
        quietSince = now;
      } else quietSince = undefined;
    }
    await sleep(SETTLE_POLL_MS);
  }
}

/**
 * The first of the run's two snapshots (SnapshotEntry.first), then a further quiet period before
 * the final one (collectRun). Taken the moment every job was terminal, a snapshot missed a stale
 * write that landed after it: now it waits for the system to be quiet and nothing to be in flight
 * (untilQuiet), and a change between the first and the final snapshot is judged
 * (checkers/snapshotStable.ts).
 */
async function firstSnapshot(env: RunEnvironment, history: HistoryRecorder, plan: RunPlan, settle: Settled): Promise<void> {
  await untilQuiet(env, history, plan, settle);
  const { snapshot } = await env.system.readFinalState(env.admin, history);
  history.add({ ...snapshot, first: true });
  await sleep(env.simulated ? simSecondLookMs(env, history, snapshot, settle) : SECOND_LOOK_MS);
}

/**
 * In simulation the final snapshot comes SIM_SECOND_LOOK_MS after the first, or, when events were
 * still pending at the first, once the system's promise on pending events is due since the heal
 * (SystemModule.eventsDecidedWithinMs): waiting is cheap there, and only then can a stuck event be
 * told from one on its way (eventsDecided).
 */
function simSecondLookMs(env: RunEnvironment, history: HistoryRecorder, first: SnapshotEntry, settle: Settled): number {
  const promise = env.system.eventsDecidedWithinMs;
  if (promise === undefined || !first.eventQueue?.pending.length) return SIM_SECOND_LOOK_MS;
  return Math.max(SIM_SECOND_LOOK_MS, settle.healedAt + promise + QUIET_CHECK_MS - history.now());
}

/**
 * Waits until the quiet check holds (every process up, nothing in the system can still move a
 * job) and nothing is in flight: in simulation the network says so (RunEnvironment.drained);
 * live, the largest delay the schedule drew has passed since the final heal, so a message a
 * toxic held is not still on its way. Past that grace it waits for quiet at most:
 * - settleMs (the system's own "no progress" period) after a settle that ended with every job
 *   terminal: a resumed worker's payload, a dead keeper's events reclaimed, may still report;
 * - QUIET_CHECK_MS when the schedule killed what runs payloads (quietOutOfReach): the quiet check
 *   waits for every payload start to report, and a killed one never will;
 * - not at all after a settle that did not end with every job terminal (it already waited for
 *   quiet or for progress, or hit its cap).
 * The snapshot is then taken as things are.
 */
async function untilQuiet(env: RunEnvironment, history: HistoryRecorder, plan: RunPlan, settle: Settled): Promise<void> {
  const graceUntil = env.drained ? history.now() : Math.max(history.now(), settle.healedAt + largestDelayMs(plan.schedule));
  const patienceMs = !settle.allTerminal ? 0 : quietOutOfReach(env, plan.schedule) ? QUIET_CHECK_MS : plan.settleMs;
  const giveUpAt = graceUntil + patienceMs;
  for (;;) {
    const now = history.now();
    if (now >= graceUntil) {
      if ((await quiescent(env).catch(() => false)) && (env.drained?.() ?? true)) return;
      if (history.now() >= giveUpAt) return;
    }
    await sleep(now < graceUntil ? Math.min(SETTLE_POLL_MS, graceUntil - now) : SETTLE_POLL_MS);
  }
}

/** A step of the schedule killed (or restarted) a worker or an executor: a payload start of it may never report, so the quiet check may never hold. */
function quietOutOfReach(env: RunEnvironment, schedule: Schedule): boolean {
  return schedule.some(({ fault }) => {
    const f = effectiveFault(fault);
    return f.kind === 'kill-executor' || ((f.kind === 'kill' || f.kind === 'restart') && env.parts.workers.includes(f.process));
  });
}

/**
 * The longest one step of the schedule can hold a message of MESSAGE_BYTES on its link, as its
 * kind's module says (maxDelayMs, nemesis/kinds/): latency plus jitter, a slow_close's delay, the
 * time a bandwidth or slicer toxic takes over the message. Faults that cut (down, timeout,
 * reset_peer, limit_data) delay nothing: what they held is gone.
 */
export function largestDelayMs(schedule: Schedule): number {
  return Math.max(0, ...schedule.map((step) => maxDelayMs(step.fault, MESSAGE_BYTES)));
}

/**
 * Adds the SUT's own logs (transitions, executions), what was heard of it during the run, and a
 * snapshot of its state, read over the harness's own connection, to the history. `heard` may be
 * what stops the listening: it is called once the snapshot has been read, so everything published
 * before the snapshot is heard.
 */
export async function collectRun(env: RunEnvironment, history: HistoryRecorder, heard: Heard | (() => Promise<Heard>) = { transitions: [], gaps: [] }): Promise<{ transitions: TransitionEntry[]; executions: ExecutionEntry[] }> {
  const { transitions: logged, executions, snapshot } = await env.system.readFinalState(env.admin, history);
  if (typeof heard === 'function') heard = await heard();
  const transitions = [...logged, ...heard.transitions];
  if (heard.gaps.length) snapshot.logGaps = heard.gaps;
  for (const e of [...transitions, ...executions]) history.add(e);
  for (const e of env.payloadStarts?.(history) ?? []) history.add(e);
  history.add(snapshot);
  return { transitions, executions };
}

/**
 * Nothing of this run can still reach Redis: every process is up and the system says nothing
 * of it is in flight (SystemModule.idle). Only then may the next run reuse the processes.
 */
async function idle(env: RunEnvironment, transitions: TransitionEntry[], executions: ExecutionEntry[]): Promise<boolean> {
  if (!env.system.idle || !env.allProcessesAlive()) return false;
  return env.system.idle(env.admin, transitions, executions);
}

/** While settling: every process is up and nothing in the system can still move a job (SystemModule.quiescent). */
export async function quiescent(env: RunEnvironment): Promise<boolean> {
  return env.allProcessesAlive() && env.system.quiescent(env.admin);
}
