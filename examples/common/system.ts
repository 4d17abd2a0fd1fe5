// What the example library systems (bullmq, bull, bee-queue) share on the harness's side: their
// shape (a producer behind the client link, N workers, each process with its own link), how their
// processes are started (examples/<name>/<role>.ts under tsx), and the evidence their applications
// write themselves with the instrumentation kit: the execution log and the task records.
//
// They read library-native evidence (BullMQ's events stream, Bull's and bee-queue's pub/sub) with
// the harness's own readers, so they import its modules directly: a system of your own that only
// writes the kit's evidence needs none of this (kitSystem, see examples/node-resque/).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimLoader } from '../../harness/sim/embedding.ts';
import type { Redis } from 'ioredis';
import type { HistoryRecorder } from '../../harness/history/recorder.ts';
import type { TransitionEntry } from '../../harness/history/types.ts';
import type { ProcessSpec, Provides, Recording, StartContext, SystemModule, SystemShape } from '../../harness/systems/types.ts';
import { evidenceKeys } from '../../harness/instrument/index.ts';
import { libraryShape } from '../../harness/systems/library.ts';

// the evidence the applications write with the instrumentation kit, read under its default prefix
export { everyStartEnded, executionLogLength, readAppExecutions, readAppTasks } from '../../harness/systems/evidence.ts';
export { snapshotOfTasks } from '../../harness/systems/library.ts';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * What a queue library's application provides: jobs several at a time in one worker, and an
 * execution log of its own (app.ts). No keepers (the library decides a job's
 * state inside its own Redis scripts), no executor process (the worker runs the payload itself),
 * one event source (a worker reports through one connection), no consumer names (every start of
 * a worker is a new one already), no transition log with the state changed from, no running set,
 * no task status from its API, no planted bugs, no images; a simulated form where the application has one (`simulation`, examples/<dir>/sim.ts).
 */
export const LIBRARY_PROVIDES: Provides = { capabilities: ['concurrency'], evidence: ['executions-log'] };

/** Scenarios a library application provides enough for, but that it does not run yet. */
export const LIBRARY_SKIP: Readonly<Record<string, string>> = {
  'long-outage': 'not yet run against the library applications (their verdicts are unmeasured)',
  compound: 'not yet run against the library applications (their verdicts are unmeasured)',
  'redis-wipe': 'not yet run against the library applications (their verdicts are unmeasured)',
};

/**
 * The installed version of a package (what the report names), '?' when it cannot be read: the
 * package.json of the copy this module resolves, wherever npm put it (the package's own
 * node_modules, or the project's that installed the package).
 */
export function packageVersion(pkg: string): string {
  try {
    let dir = path.dirname(createRequire(import.meta.url).resolve(pkg));
    for (;;) {
      try {
        const json = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
        if (json.name === pkg) return json.version;
      } catch {
        /* no package.json here: one folder up */
      }
      if (path.dirname(dir) === dir) return '?';
      dir = path.dirname(dir);
    }
  } catch {
    return '?';
  }
}

/**
 * A library system: its application in examples/<dir>/, the library shape and scenarios and
 * checkers, processes restarted every run (no `idle`); what differs is how its evidence is read.
 */
export function libraryModule(o: {
  name: string; pkg: string; dir: string; settings: string;
  record?: SystemModule['record']; readFinalState: SystemModule['readFinalState']; progress: SystemModule['progress']; quiescent: SystemModule['quiescent'];
  livenessBoundMs: NonNullable<SystemModule['livenessBoundMs']>;
  /** its simulated form (examples/<dir>/sim.ts), where it has one */
  simulation?: SimLoader;
}): SystemModule {
  return {
    name: o.name,
    label: `${o.pkg} ${packageVersion(o.pkg)}`,
    settings: o.settings,
    provides: o.simulation ? { ...LIBRARY_PROVIDES, capabilities: [...LIBRARY_PROVIDES.capabilities, 'simulation'] } : LIBRARY_PROVIDES,
    ...(o.simulation ? { simulation: o.simulation } : {}),
    skip: LIBRARY_SKIP,
    evidence: { executionsLog: evidenceKeys().executions },
    shape: libraryShape,
    processes: (shape, ctx) => libraryProcesses(o.dir, shape, ctx),
    ...(o.record ? { record: o.record } : {}),
    readFinalState: o.readFinalState,
    progress: o.progress,
    quiescent: o.quiescent,
    livenessBoundMs: o.livenessBoundMs,
  };
}

/** `examples/<dir>/<role>.ts --id ID --redis-port P ...` under tsx, for the producer and every worker. */
export function libraryProcesses(dir: string, shape: SystemShape, ctx: StartContext): ProcessSpec[] {
  const script = (role: string) => [process.execPath, '--import', 'tsx', path.join(EXAMPLES, dir, `${role}.ts`)];
  const common = (id: string) => ['--id', id, '--redis-port', String(ctx.linkPort(id)), '--lease-ms', String(ctx.leaseMs)];
  return [
    { id: shape.frontDoor, role: 'producer', argv: [...script('producer'), ...common(shape.frontDoor), '--http-port', String(ctx.httpPort)] },
    ...shape.workers.map((id) => ({ id, role: 'worker', argv: [...script('worker'), ...common(id), ...(ctx.concurrency > 1 ? ['--concurrency', String(ctx.concurrency)] : [])] })),
  ];
}

/**
 * Listens to what a library only publishes (pub/sub: bee-queue's events, Bull's job channels) on
 * a connection of the harness's own, reconnecting within 20 ms. `patterns` are PSUBSCRIBE
 * patterns (a channel name is a pattern of itself); `parse` turns one message into a transition
 * stamped with this machine's clock (undefined: it moves no job; a throw: not the library's).
 * Pub/sub keeps nothing for a subscriber that is away: from the moment the connection drops (a
 * Redis restart) until it is subscribed again, what is published is lost; those intervals are
 * returned as gaps (the checkers then do not read a missing event as an unlogged write).
 */
export async function recordPublished(
  admin: Redis, history: HistoryRecorder, patterns: string[],
  parse: (channel: string, message: string, logId: string, t: number) => TransitionEntry | undefined,
): Promise<Recording> {
  const sub = admin.duplicate({ retryStrategy: () => 20, autoResubscribe: false });
  sub.on('error', () => undefined);
  const heard: TransitionEntry[] = [];
  const gaps: { from: number; to: number }[] = [];
  let downSince: number | undefined;
  let stopping = false;
  let seq = 0;
  sub.on('pmessage', (_pattern: string, channel: string, message: string) => {
    const now = Date.now();
    const logId = `${now}-${seq++}`;
    try {
      const e = parse(channel, message, logId, history.fromWall(now));
      if (e) heard.push(e);
    } catch {
      /* not the library's message */
    }
  });
  sub.on('close', () => {
    if (!stopping && downSince === undefined) downSince = history.now();
  });
  sub.on('ready', () => {
    if (downSince === undefined || stopping) return;
    // listening again once the PSUBSCRIBE is answered
    void sub.psubscribe(...patterns).then(() => {
      if (downSince !== undefined) gaps.push({ from: downSince, to: history.now() });
      downSince = undefined;
    }, () => undefined);
  });
  await sub.psubscribe(...patterns);
  return {
    async stop() {
      stopping = true;
      if (downSince !== undefined) gaps.push({ from: downSince, to: history.now() });
      await sub.punsubscribe().catch(() => undefined);
      sub.disconnect();
      return { transitions: heard, gaps };
    },
  };
}
