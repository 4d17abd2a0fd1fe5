import fc from 'fast-check';
import { COLOURS, type BuiltinKindModule } from './shared.ts';

export type PauseFault = { kind: 'pause'; process: string };

/** SIGSTOP a SUT process for the step's duration, then SIGCONT (a GC pause, a frozen VM). */
export const pause: BuiltinKindModule<PauseFault> = {
  kind: 'pause',
  summary: 'a process frozen (SIGSTOP) until the heal (SIGCONT)',
  family: 'process',
  effect: 'freezes',
  colour: COLOURS.pause,
  target: (f) => f.process,
  resource: (f) => `process ${f.process}`,
  arbitrary: (t) => fc.record({ kind: fc.constant('pause' as const), process: fc.constantFrom(...t.processes) }),
  async inject(env, fault) {
    const p = env.processControl(fault.process);
    if (!p.alive()) return { empty: `${fault.process} is not running` };
    p.pause();
  },
  async heal(env, fault) {
    env.processControl(fault.process).resume();
  },
};
