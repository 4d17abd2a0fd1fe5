// The liveness probe: after the final heal and the settle period, does every worker that is up
// still take new work? Without it, one worker wedged for good (stuck at a blocking read, stuck
// in a job, deaf after a reconnect) goes unnoticed while the others drain the queue.
//
// The harness submits one-job probe tasks through the normal client, in rounds, until each worker
// up has started and finished a job (read from the system's own logs), or the bound passes. Each
// round keeps as many probes outstanding as there are workers up, so that every worker has one
// to take: a worker runs one job at a time (concurrency 1 in every system here), and a probe
// runs long enough that a worker busy with one cannot come back for a second before an idle
// healthy worker, which Redis serves as soon as a job is there (XREADGROUP BLOCK and BRPOPLPUSH
// hand a new entry to a blocked reader; BullMQ wakes one blocked BZPOPMIN per marker and re-adds
// the marker when it takes a job), has read one. A round's probe runs twice as long as the one
// before (up to PROBE_MAX_MS), so a worker slow to come back is still offered work while the
// rounds stay few. On a healthy system one round of PROBE_FIRST_MS does it.
//
// The bound is the system's own (SystemModule.livenessBoundMs: the longest a healthy idle worker
// takes to pick up new work after a heal) plus two probe payloads and a margin: a worker that
// comes back at the end of its pickup bound finds a probe waiting, or takes one of the next
// round, which starts once the current one's probes (at most PROBE_MAX_MS each) are done, or
// after twice its payload and a slack (a worker wedged in a job may hold one for good).
// What the checker `progress` needs is recorded as the history's probe entry: when probing began,
// the bound, the workers up, the probe submits and the tasks the front door answered for.
//
// Everything here waits on the global timers and the client: in simulation, the virtual clock.

import type { RunEnvironment } from '../env/surface.ts';
import type { HistoryRecorder } from '../history/recorder.ts';
import type { ExecutionEntry, NemesisEntry, ProbeEntry, TransitionEntry } from '../history/types.ts';
import { liveWorkers } from '../checkers/progress.ts';
import { rolesOf } from '../checkers/roles.ts';
import { TERMINAL, type Client } from '../workload/client.ts';

/** the first round's probe payload (ms) */
export const PROBE_FIRST_MS = 100;
/** the longest probe payload (ms): rounds double up to it */
export const PROBE_MAX_MS = 2000;
/** beyond the pickup bound and the payloads: the outcome logged, the runner's polls, its look at the logs */
export const PROBE_MARGIN_MS = 2000;
/** a system that gives no bound of its own: a blocking read's timeout, reconnects and a retry delay (BRPOP / BZPOPMIN-style queues wait 5-10 s), plus a lease */
export const DEFAULT_PICKUP_MS = 15_000;
/** how often the probes' tasks are read while waiting for them */
const POLL_MS = 50;
/** a round waits at most this long beyond twice its payload for its probes to finish (a wedged worker may hold one for good) */
const ROUND_SLACK_MS = 1000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Probes every worker up, records the probe entry in the history and returns it. */
export async function probeLiveness(env: RunEnvironment, history: HistoryRecorder, client: Client, runKey: string): Promise<ProbeEntry> {
  const roles = rolesOf(history.entries);
  const t = history.now();
  const workers = roles.workers.filter((w) => env.processControl(w).alive());
  const down = roles.workers.filter((w) => !workers.includes(w));
  const frontDoor = roles.shape?.processes.find((p) => p.role === 'front-door')?.id;
  const frontDoorUp = frontDoor !== undefined && env.processControl(frontDoor).alive();
  const firstFault = history.entries.filter((e): e is NemesisEntry => e.kind === 'nemesis' && e.type === 'start' && (e.outcome ?? 'ok') === 'ok').reduce((m, e) => Math.min(m, e.t), Infinity);
  const faultSpanMs = Number.isFinite(firstFault) ? Math.max(0, t - firstFault) : 0;
  const pickupMs = Math.ceil(env.system.livenessBoundMs?.({ leaseMs: env.options.leaseMs, faultSpanMs }) ?? DEFAULT_PICKUP_MS + env.options.leaseMs);
  const boundMs = pickupMs + 2 * PROBE_MAX_MS + PROBE_MARGIN_MS;
  const deadline = t + boundMs;
  const window = { from: t, to: deadline, marginMs: roles.clockMarginMs };

  const probes = new Map<string, boolean>(); // taskId → terminal (as last read)
  const keys: string[] = []; // every probe submit's Idempotency-Key, in order
  const nextKey = () => {
    const k = `${runKey}-probe-${keys.length}`;
    keys.push(k);
    return k;
  };
  let rounds = 0;
  let live = new Set<string>();
  const outstanding = () => [...probes].filter(([, done]) => !done).map(([id]) => id);

  /** Reads the unfinished probes until all are terminal or `until` passes. */
  const waitForProbes = async (until: number) => {
    // at least one poll's pause, even with nothing to read: a front door that refuses every probe must not make this loop spin
    do {
      await sleep(POLL_MS);
      await Promise.all(outstanding().map(async (id) => {
        const view = await client.read(id);
        if (view && view.jobs.length > 0 && view.jobs.every((j) => TERMINAL.has(j.state))) probes.set(id, true);
      }));
    } while (outstanding().length > 0 && history.now() < until);
  };

  while (frontDoorUp && workers.some((w) => !live.has(w)) && history.now() < deadline) {
    const durationMs = Math.min(PROBE_FIRST_MS * 2 ** rounds, PROBE_MAX_MS);
    rounds++;
    const answers = await Promise.all(Array.from({ length: Math.max(0, workers.length - outstanding().length) }, () =>
      client.submit({
        idempotencyKey: nextKey(),
        description: 'liveness probe',
        jobs: [{ description: 'liveness probe', payload: { durationMs, exitCode: 0, output: ['probe'] }, timeoutMs: 30_000 }],
      })));
    for (const a of answers) if (a) probes.set(a.taskId, false);
    await waitForProbes(Math.min(deadline, history.now() + 2 * durationMs + ROUND_SLACK_MS));
    live = new Set((await evidence(env, history).then((e) => liveWorkers(roles, window, e)).catch(() => new Map())).keys());
  }
  // every probe must finish before the final state is read, or it would count as lost; a healthy
  // system has finished them within another bound
  if (outstanding().length > 0) await waitForProbes(Math.max(history.now(), deadline) + boundMs);

  const entry: ProbeEntry = { kind: 'probe', t, boundMs, pickupMs, workers, down, rounds, keys, taskIds: [...probes.keys()], frontDoorUp, endedAt: history.now() };
  history.add(entry);
  return entry;
}

/** The system's logs as they are now (starts and outcomes), over the harness's own connection. */
async function evidence(env: RunEnvironment, history: HistoryRecorder): Promise<{ executions: ExecutionEntry[]; transitions: TransitionEntry[] }> {
  const { executions, transitions } = await env.system.readFinalState(env.admin, history);
  return { executions, transitions };
}
