import type { Fault, FaultModule } from './types.ts';

type CrashPoint = Extract<Fault, { kind: 'crash-point' }>;

/**
 * A crash point: armed at the step's start, it waits for the watched role (or executor) to have
 * its nth command executed by Redis, and at that moment, before the reply reaches it, kills or
 * pauses its process (or kills the worker's executor). The step starts when it fires (playSchedule
 * records that instant); one that never fires within its window is an empty step. Only an
 * environment that sees each command reach Redis (the simulation: commandTrigger) has it.
 */
/** a step's second stop (`then`) under way, by step id, until its heal */
const secondStops = new Map<number, Promise<void>>();

export const crashPoint: FaultModule<CrashPoint> = {
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
    const then = fault.then;
    if (then) {
      // the second stop is armed now: it lands on the process while it recovers from the first
      const second = env.commandTrigger(then.watch, then.command, then.nth);
      // the heal waits for it: a stop begun just before the heal is over before the heal looks at the process
      secondStops.set(stepId, Promise.race([second.fired.then(() => true), window.healAt.then(() => false)]).then(async (hit) => {
        if (!hit) {
          second.cancel();
          return;
        }
        if (!p.alive()) return;
        window.also?.({ kind: then.action, process: fault.process, ...(then.action === 'kill' && fault.rejoin ? { rejoin: fault.rejoin } : {}) }, { trigger: { watch: then.watch, command: then.command, nth: then.nth, after: 'crash point' } });
        if (then.action === 'kill') await p.kill();
        else p.pause();
      }));
    }
    return { fired: true };
  },
  async heal(env, fault, stepId) {
    await secondStops.get(stepId);
    secondStops.delete(stepId);
    const p = env.processControl(fault.process);
    const last = fault.then?.action ?? fault.action;
    if (fault.action === 'pause' || last === 'pause') p.resume();
    if ((fault.action === 'kill' || last === 'kill') && !p.alive()) await p.start({ rejoin: fault.rejoin });
  },
};

const ordinal = (n: number) => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

/**
 * What a fired crash point did, as the fault the history records (its kind, target and the
 * trigger's details): the checkers and the report know kills, pauses and executor kills, and a
 * crash point is one of those, landed at a chosen command boundary.
 */
export function effectiveFault(fault: Fault): Fault {
  if (fault.kind !== 'crash-point') return fault;
  switch (fault.action) {
    case 'kill': return { kind: 'kill', process: fault.process, ...(fault.rejoin ? { rejoin: fault.rejoin } : {}) };
    case 'pause': return { kind: 'pause', process: fault.process };
    case 'kill-executor': return { kind: 'kill-executor', worker: fault.process };
  }
}
