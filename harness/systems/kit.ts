// A system of your own that writes its evidence with the instrumentation kit (harness/instrument/)
// needs no reading code: `kitSystem` makes its SystemModule from a process contract per role (a
// front door that speaks system-under-test/PROTOCOL.md's HTTP API, and workers) and the kit's key
// prefix. The judge reads the kit's task records, execution log and transition log, and each
// job's state as the kit last recorded it.
import type { Redis } from 'ioredis';
import { evidenceKeys, type EvidenceKeys } from '../instrument/index.ts';
import type { HistoryRecorder } from '../history/recorder.ts';
import type { FinalState } from '../history/collect.ts';
import { JOB_STATES, type JobState, type JobView } from '../history/types.ts';
import { everyStartEnded, readAppExecutions, readAppTasks, readAppTransitions } from './evidence.ts';
import { libraryShape, snapshotOfTasks } from './library.ts';
import type { Capability, ProcessSpec, Progress, ReadySignal, StartContext, SystemModule, SystemShape } from './types.ts';

/**
 * How one process of the system is started and stopped. In `command`, `cwd`, `env` values and an
 * HTTP ready URL, `{id}` is the process's id, `{redisPort}` the port of its own link to Redis
 * (through Toxiproxy: connect there, never to Redis itself), `{httpPort}` the port the front door
 * must serve on, `{leaseMs}` and `{concurrency}` the run's settings. The Redis password is in
 * SUT_REDIS_PASSWORD.
 */
export interface ProcessContract {
  command: readonly string[];
  /** its working directory (absolute, or relative to the harness's working directory) */
  cwd?: string;
  /** variables it gets (the harness passes PATH, HOME and SUT_REDIS_PASSWORD, nothing else of its own) */
  env?: Readonly<Record<string, string>>;
  /** `line`: the JSON line `{"ready":true}` on stdout (default); `{ tcp: '{httpPort}' }`; `{ http: 'http://127.0.0.1:{httpPort}/health' }` */
  ready?: 'line' | { tcp: number | string } | { http: string };
  /** a graceful stop: the signal (default SIGTERM) and how long it may take before SIGKILL */
  stop?: { signal?: NodeJS.Signals; graceMs?: number };
}

export interface KitSystemOptions {
  /** the --system name */
  name: string;
  /** what the report names it (default: the name) */
  label?: string;
  /** one line on how it is set up, for the report */
  settings?: string;
  /** the key prefix it writes the kit's evidence under (default `app:`) */
  prefix?: string;
  frontDoor: ProcessContract;
  worker: ProcessContract;
  /** what it can do beyond the basics (e.g. `concurrency`: its workers take --concurrency) */
  capabilities?: readonly Capability[];
  /** scenarios it does not run, each with why */
  skip?: Readonly<Record<string, string>>;
  /** the longest a healthy idle worker takes to pick up new work after a heal (its own timers); default: the harness's */
  pickupMs?: number;
  /** its promise on cancels, if it makes one (SystemModule.cancelWithinMs): a cancelled job's payload stops within this many ms */
  cancelWithinMs?: number;
  /** its promise on recovery, if it makes one (SystemModule.recoveryWithinMs): after the final heal its front door answers, and an idle fleet takes waiting work (a dead worker's job a lease after the heal), within this many ms */
  recoveryWithinMs?: number;
}

const TERMINAL = new Set<JobState>(['completed', 'failed', 'cancelled']);

/** `{name}` placeholders of a contract, filled for one process. */
function fill(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

function specOf(id: string, role: string, c: ProcessContract, values: Readonly<Record<string, string>>): ProcessSpec {
  const f = (t: string) => fill(t, values);
  const ready: ReadySignal | undefined = c.ready === undefined || c.ready === 'line' ? undefined
    : 'tcp' in c.ready ? { tcp: Number(f(String(c.ready.tcp))) } : { http: f(c.ready.http) };
  return {
    id, role, argv: c.command.map(f),
    ...(c.cwd ? { cwd: f(c.cwd) } : {}),
    ...(c.env ? { env: Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, f(v)])) } : {}),
    ...(ready ? { ready } : {}),
    ...(c.stop ? { stop: c.stop } : {}),
  };
}

/** A job as the kit last recorded its state (a recorded job without one is queued). */
async function viewOf(admin: Redis, keys: EvidenceKeys, jobId: string, starts: number): Promise<JobView> {
  const h = await admin.hgetall(keys.statePrefix + jobId);
  const state = (JOB_STATES as readonly string[]).includes(h.state ?? '') ? (h.state as JobState) : 'queued';
  return {
    jobId, state, attempt: h.attempt !== undefined ? Number(h.attempt) : starts,
    ...(h.exitCode !== undefined ? { exitCode: h.exitCode === '' ? null : Number(h.exitCode) } : {}),
    ...(h.output !== undefined ? { output: h.output } : {}),
    ...(h.reason !== undefined ? { reason: h.reason } : {}),
  };
}

async function unfinishedJobs(admin: Redis, keys: EvidenceKeys): Promise<number> {
  const jobIds = (await readAppTasks(admin, keys)).flatMap((task) => task.jobIds);
  if (jobIds.length === 0) return 0;
  const multi = admin.multi();
  for (const id of jobIds) multi.hget(keys.statePrefix + id, 'state');
  const states = ((await multi.exec()) ?? []).map(([, v]) => v as string | null);
  return states.filter((s) => !TERMINAL.has((s ?? 'queued') as JobState)).length;
}

export function kitSystem(o: KitSystemOptions): SystemModule {
  const keys = evidenceKeys(o.prefix);
  return {
    name: o.name,
    label: o.label ?? o.name,
    settings: o.settings ?? `its own processes, evidence under ${keys.executions.slice(0, -'executions'.length)}* (instrumentation kit)`,
    provides: { capabilities: o.capabilities ?? [], evidence: ['executions-log', 'transition-log'] },
    ...(o.skip ? { skip: o.skip } : {}),
    evidence: { executionsLog: keys.executions, transitionLog: keys.transitions },
    shape: (s): SystemShape => libraryShape(s),
    processes(shape: SystemShape, ctx: StartContext): ProcessSpec[] {
      const values = (id: string): Record<string, string> => ({
        id, redisPort: String(ctx.linkPort(id)), httpPort: String(ctx.httpPort), leaseMs: String(ctx.leaseMs), concurrency: String(ctx.concurrency),
      });
      return [
        specOf(shape.frontDoor, 'front-door', o.frontDoor, values(shape.frontDoor)),
        ...shape.workers.map((id) => specOf(id, 'worker', o.worker, values(id))),
      ];
    },
    async readFinalState(admin: Redis, history: HistoryRecorder): Promise<FinalState> {
      const tasks = await readAppTasks(admin, keys);
      const executions = await readAppExecutions(admin, history, keys);
      const snapshot = await snapshotOfTasks(history, tasks, executions, (jobId, starts) => viewOf(admin, keys, jobId, starts), (jobId) => keys.statePrefix + jobId);
      return { transitions: await readAppTransitions(admin, history, keys), executions, snapshot };
    },
    async progress(admin: Redis): Promise<Progress> {
      const unfinished = await unfinishedJobs(admin, keys);
      const [changes, starts] = await Promise.all([admin.xlen(keys.transitions), admin.xlen(keys.executions)]);
      return { unfinished, signature: `${changes}/${starts}/${unfinished}` };
    },
    /** every recorded job finished, and every payload start has its end */
    async quiescent(admin: Redis): Promise<boolean> {
      return (await unfinishedJobs(admin, keys)) === 0 && (await everyStartEnded(admin, keys));
    },
    ...(o.pickupMs !== undefined ? { livenessBoundMs: () => o.pickupMs! } : {}),
    ...(o.cancelWithinMs !== undefined ? { cancelWithinMs: o.cancelWithinMs } : {}),
    ...(o.recoveryWithinMs !== undefined ? { recoveryWithinMs: o.recoveryWithinMs } : {}),
  };
}
