import type { Fault, FaultModule } from './types.ts';

/** SIGSTOP a SUT process for the step's duration, then SIGCONT (a GC pause, a frozen VM). */
export const pauseProcess: FaultModule<Extract<Fault, { kind: 'pause' }>> = {
  async inject(env, fault) {
    const p = env.processControl(fault.process);
    if (!p.alive()) return { empty: `${fault.process} is not running` };
    p.pause();
  },
  async heal(env, fault) {
    env.processControl(fault.process).resume();
  },
};
