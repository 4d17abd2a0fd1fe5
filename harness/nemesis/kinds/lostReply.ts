import fc from 'fast-check';
import type { Targets } from '../arbitraries.ts';
import { armSecondStop, countedCommandArb, ordinal, secondStopArb, secondStopDone, type CrashThen } from './crashPoint.ts';
import { COLOURS, type BuiltinKindModule } from './shared.ts';

/**
 * A lost reply: armed at the step's start, it fires the moment the role `watch` (a process, or
 * `<worker>-executor`) has had its `nth` command (of name `command`, or any when '*') executed by
 * Redis, and takes `link` (the one that command travelled on) down before the reply gets back:
 * the command ran, its sender never hears so, and the link stays down until the heal. A client
 * that resends what went unanswered after a reconnect (ioredis does, by default) runs it twice; a
 * blocking read's entries are delivered to it in Redis and never reach it. With `then`: a second
 * stop of `process` (the watched role, or the executor's worker), armed the moment the first
 * fires, at its `then.nth` command while the link is still down (what it does meanwhile, it does
 * without what the cut link carries). Simulation only: live it is an empty step.
 */
export type LostReplyFault = { kind: 'lost-reply'; link: string; process: string; watch: string; command: string; nth: number; then?: CrashThen };

/** The link the commands of `watch` travel on: its own, or the shared link that carries it (an executor's). */
function linkOf(t: Targets, watch: string): string | undefined {
  const shared = Object.entries(t.sharedLinks ?? {}).find(([l, carried]) => t.links.includes(l) && carried.includes(watch));
  if (shared) return shared[0];
  return t.links.includes(watch) ? watch : undefined;
}

export const lostReply: BuiltinKindModule<LostReplyFault> = {
  kind: 'lost-reply',
  summary: "the reply to a process's (or executor's) n-th command lost: Redis ran it, its link goes down before the reply gets back (simulation only)",
  family: 'link',
  effect: 'cuts',
  colour: COLOURS.down,
  target: (f) => `link ${f.link}`,
  resource: (f) => `link ${f.link}`,
  arbitrary: lostReplyArb,
  // recorded as what it did (a link down) with its trigger; a second stop records itself
  recordedAs: (f) => ({ fault: { kind: 'down', link: f.link }, detail: { trigger: { watch: f.watch, command: f.command, nth: f.nth, reply: 'lost' } } }),
  simulationOnly: () => 'a lost reply needs the simulation to see each command reach Redis',
  async inject(env, fault, stepId, window) {
    if (!env.commandTrigger) return { empty: 'lost replies run in simulation only (Toxiproxy does not see commands)' };
    const trigger = env.commandTrigger(fault.watch, fault.command, fault.nth);
    const fired = await Promise.race([trigger.fired.then(() => true), window.healAt.then(() => false)]);
    if (!fired) {
      trigger.cancel();
      return { empty: `${fault.watch} had no ${ordinal(fault.nth)} ${fault.command === '*' ? '' : `${fault.command} `}command executed in the step's window` };
    }
    await env.linkControl(fault.link).setEnabled(false);
    if (fault.then) armSecondStop(env, fault.process, fault.then, undefined, stepId, window, 'lost reply');
    return { fired: true };
  },
  async heal(env, fault, stepId) {
    await secondStopDone(stepId);
    await env.linkControl(fault.link).setEnabled(true);
    if (!fault.then) return;
    const p = env.processControl(fault.process);
    if (fault.then.action === 'pause') p.resume();
    else if (!p.alive()) await p.start({});
  },
};

/**
 * A lost reply on one process's traffic (its own, or its executor's): any command or a named one,
 * as a crash point counts them; half the time a second stop of the process while the link is down.
 */
function lostReplyArb(t: Targets): fc.Arbitrary<LostReplyFault> {
  const watchable = (process: string) => [process, ...(t.executors?.[process] ? [t.executors[process]!] : [])].filter((w) => linkOf(t, w) !== undefined);
  const processes = t.processes.filter((p) => watchable(p).length > 0);
  if (processes.length === 0) throw new Error('lost-reply: no process has a link of its own or a shared one (Targets.links)');
  return fc.constantFrom(...processes).chain((process) =>
    fc.record({
      counted: fc.constantFrom(...watchable(process)).chain((watch) => countedCommandArb(t, watch)),
      then: fc.option(secondStopArb(t, process), { nil: undefined, freq: 2 }),
    }).map(({ counted, then }): LostReplyFault => ({ kind: 'lost-reply', link: linkOf(t, counted.watch)!, process, ...counted, ...(then ? { then } : {}) })),
  );
}
