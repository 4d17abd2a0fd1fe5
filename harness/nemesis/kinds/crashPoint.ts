import fc from 'fast-check';
import type { Targets } from '../arbitraries.ts';
import type { RunEnvironment } from '../../env/surface.ts';
import type { Fault, Rejoin, StepWindow } from '../types.ts';
import { COLOURS, rejoin, type BuiltinKindModule } from './shared.ts';

/**
 * A crash point: armed at the step's start, it fires the moment the role `watch` (a process, or
 * `<worker>-executor`) has had its `nth` command (of name `command`, or any when '*') executed by
 * Redis, before the reply reaches it, and then does `action` to `process` (kill, kill-executor,
 * pause) until the heal. Simulation only: live it is an empty step. With `then` (after an
 * executor kill, which leaves the worker running): a second trigger is armed the moment the
 * first fires, and stops the worker at its `then.nth` command from then on, while it recovers.
 */
export type CrashPointFault = { kind: 'crash-point'; process: string; watch: string; command: string; nth: number; action: CrashAction; rejoin?: Rejoin; then?: CrashThen };

/** A crash point's second stop, armed when its first fired: the process stopped at a step of its recovery. */
export interface CrashThen {
  watch: string;
  command: string;
  nth: number;
  action: 'kill' | 'pause';
}

export type CrashAction = 'kill' | 'kill-executor' | 'pause';

/**
 * Commands a crash point may wait for by name when the system does not say what its roles send
 * (Targets.commands): the steps of a Redis job system's protocol where a crash leaves the most to
 * recover — after a read of new work, a takeover, an acknowledgement, a script, a write, a
 * transaction's end.
 */
export const TRIGGER_COMMANDS = ['XREADGROUP', 'XAUTOCLAIM', 'XCLAIM', 'XACK', 'XADD', 'EVALSHA', 'EVAL', 'HSET', 'SET', 'EXEC', 'PUBLISH'] as const;

/** a step's second stop (`then`) under way, by step id, until its heal */
const secondStops = new Map<number, Promise<void>>();

/**
 * Arms a step's second stop the moment its first has fired (a crash point's, or an executor kill's
 * in simulation): it stops `process` at the `then.nth` command of `then.watch` from now on, while
 * the process recovers, and is recorded as a fault of its own. The step's heal waits for it
 * (secondStopDone): a stop begun just before the heal is over before the heal looks at the process.
 */
export function armSecondStop(env: RunEnvironment, process: string, then: CrashThen, rejoin: Rejoin | undefined, stepId: number, window: StepWindow, after = 'crash point'): void {
  if (!env.commandTrigger) return;
  const p = env.processControl(process);
  const second = env.commandTrigger(then.watch, then.command, then.nth);
  secondStops.set(stepId, Promise.race([second.fired.then(() => true), window.healAt.then(() => false)]).then(async (hit) => {
    if (!hit) {
      second.cancel();
      return;
    }
    if (!p.alive()) return;
    window.also?.({ kind: then.action, process, ...(then.action === 'kill' && rejoin ? { rejoin } : {}) }, { trigger: { watch: then.watch, command: then.command, nth: then.nth, after } });
    if (then.action === 'kill') await p.kill();
    else p.pause();
  }));
}

/** Waits for a step's second stop, if it has one under way, to be over. */
export async function secondStopDone(stepId: number): Promise<void> {
  await secondStops.get(stepId);
  secondStops.delete(stepId);
}

/**
 * A second stop for a worker whose executor was just killed (it goes on running and recovers):
 * at one of its (or its new executor's) first commands, any or a named step of them. A recovery is
 * short: its crash windows lie in the first commands after the incident (hand a job back, take one
 * over, ack a requeued one), so it counts few.
 */
export function secondStopArb(t: Targets, process: string): fc.Arbitrary<CrashThen> {
  const executor = t.executors?.[process];
  const watchable = executor ? [process, executor] : [process];
  const recovering = (watch: string) => {
    const named = t.commands?.[watch] ?? TRIGGER_COMMANDS;
    return fc.oneof(
      { weight: 3, arbitrary: fc.record({ watch: fc.constant(watch), command: fc.constant('*'), nth: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 16 })) }) },
      { weight: 2, arbitrary: fc.record({ watch: fc.constant(watch), command: fc.constantFrom<string>(...named), nth: fc.integer({ min: 1, max: 2 }) }) },
    );
  };
  return fc.record({ counted: fc.constantFrom(...watchable).chain(recovering), action: fc.constantFrom<'kill' | 'pause'>('kill', 'pause') })
    .map(({ counted, action }) => ({ watch: counted.watch, command: counted.command, nth: counted.nth, action }));
}

/**
 * A crash point: armed at the step's start, it waits for the watched role (or executor) to have
 * its nth command executed by Redis, and at that moment, before the reply reaches it, kills or
 * pauses its process (or kills the worker's executor). The step starts when it fires (playSchedule
 * records that instant); one that never fires within its window is an empty step. Only an
 * environment that sees each command reach Redis (the simulation: commandTrigger) has it.
 */
export const crashPoint: BuiltinKindModule<CrashPointFault> = {
  kind: 'crash-point',
  summary: "a process killed or paused (or a worker's executor killed) the moment its n-th command has run in Redis (simulation only)",
  family: 'process',
  colour: COLOURS.death,
  target: (f) => f.process,
  resource: (f) => `process ${f.process}`,
  // a plain executor kill holds the worker only at its instant, as kill-executor does
  holdMs: (step) => (step.fault.action === 'kill-executor' && !step.fault.then ? 0 : step.durationMs),
  arbitrary: crashPointArb,
  // recorded as what it did, with its trigger
  recordedAs: (f) => ({ fault: effectiveFault(f), detail: { trigger: { watch: f.watch, command: f.command, nth: f.nth } } }),
  simulationOnly: () => 'its crash points need the simulation to see each command reach Redis',
  async inject(env, fault, stepId, window) {
    if (!env.commandTrigger) return { empty: 'crash points run in simulation only (Toxiproxy does not see commands)' };
    const p = env.processControl(fault.process);
    if (!p.alive()) return { empty: `${fault.process} is not running` };
    const trigger = env.commandTrigger(fault.watch, fault.command, fault.nth);
    const fired = await Promise.race([trigger.fired.then(() => true), window.healAt.then(() => false)]);
    if (!fired) {
      trigger.cancel();
      return { empty: `${fault.watch} had no ${ordinal(fault.nth)} ${fault.command === '*' ? '' : `${fault.command} `}command executed in the step's window` };
    }
    if (!p.alive()) return { empty: `${fault.process} was no longer running when the crash point fired` };
    switch (fault.action) {
      case 'kill': await p.kill(); break;
      case 'pause': p.pause(); break;
      case 'kill-executor': if (!p.killExecutor()) return { empty: `${fault.process} had no executor when the crash point fired` }; break;
    }
    if (fault.then) armSecondStop(env, fault.process, fault.then, fault.rejoin, stepId, window);
    return { fired: true };
  },
  async heal(env, fault, stepId) {
    await secondStopDone(stepId);
    const p = env.processControl(fault.process);
    const last = fault.then?.action ?? fault.action;
    if (fault.action === 'pause' || last === 'pause') p.resume();
    if ((fault.action === 'kill' || last === 'kill') && !p.alive()) await p.start({ rejoin: fault.rejoin });
  },
};

export const ordinal = (n: number) => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

/**
 * What a fired crash point did, as the fault the history records (its kind, target and the
 * trigger's details): the checkers and the report know kills, pauses and executor kills, and a
 * crash point is one of those, landed at a chosen command boundary.
 */
function effectiveFault(fault: CrashPointFault): Fault {
  switch (fault.action) {
    case 'kill': return { kind: 'kill', process: fault.process, ...(fault.rejoin ? { rejoin: fault.rejoin } : {}) };
    case 'pause': return { kind: 'pause', process: fault.process };
    case 'kill-executor': return { kind: 'kill-executor', worker: fault.process };
  }
}

/**
 * Which command of `watch` (a process, or a worker's executor) a trigger waits for: mostly any
 * command (every boundary a candidate, the early ones most often: a role idle at a blocking read
 * sends few), sometimes a named step of the protocol.
 */
export function countedCommandArb(t: Targets, watch: string): fc.Arbitrary<{ watch: string; command: string; nth: number }> {
  const named = t.commands?.[watch] ?? TRIGGER_COMMANDS;
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ watch: fc.constant(watch), command: fc.constant('*'), nth: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 40 })) }) },
    { weight: 2, arbitrary: fc.record({ watch: fc.constant(watch), command: fc.constantFrom<string>(...named), nth: fc.integer({ min: 1, max: 3 }) }) },
  );
}

/**
 * A crash point on one process: it watches the process itself or (a worker) its executor, counts
 * any command or one named one, and then kills or pauses the process or kills its executor.
 */
function crashPointArb(t: Targets): fc.Arbitrary<CrashPointFault> {
  return fc.constantFrom(...t.processes).chain((process) => {
    const executor = t.executors?.[process];
    const isWorker = t.workers.includes(process);
    const actions: CrashAction[] = isWorker && executor ? ['kill', 'kill-executor', 'pause'] : ['kill', 'pause'];
    const watchable = executor ? [process, executor] : [process];
    // after an executor kill (the worker goes on), half the time a second stop while the worker
    // recovers: at one of its first commands, or a named step of them (a crash during recovery)
    const then: fc.Arbitrary<CrashThen | undefined> = fc.option(secondStopArb(t, process), { nil: undefined, freq: 2 });
    return fc.record({
      kind: fc.constant('crash-point' as const),
      process: fc.constant(process),
      counted: fc.constantFrom(...watchable).chain((watch) => countedCommandArb(t, watch)),
      action: fc.constantFrom(...actions),
      rejoin,
      then,
    }).map(({ counted, rejoin: r, then: t, ...f }) => {
      const second = f.action === 'kill-executor' ? t : undefined;
      return { ...f, ...counted, ...(f.action === 'kill' || second?.action === 'kill' ? { rejoin: r } : {}), ...(second ? { then: second } : {}) };
    });
  });
}
