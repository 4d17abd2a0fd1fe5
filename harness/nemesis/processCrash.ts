import type { Fault, FaultModule } from './types.ts';

/** SIGKILL a SUT process; healing starts it again under the same name, or as a new consumer (rejoin 'new'). */
export const killProcess: FaultModule<Extract<Fault, { kind: 'kill' }>> = {
  async inject(env, fault) {
    const p = env.processControl(fault.process);
    if (!p.alive()) return { empty: `${fault.process} is not running` };
    await p.kill();
  },
  async heal(env, fault) {
    const p = env.processControl(fault.process);
    if (!p.alive()) await p.start({ rejoin: fault.rejoin });
  },
};

/** SIGKILL the executor a worker forked; the worker forks a new one itself. */
export const killExecutor: FaultModule<Extract<Fault, { kind: 'kill-executor' }>> = {
  async inject(env, fault) {
    const worker = env.processControl(fault.worker);
    if (!worker.alive()) return { empty: `${fault.worker} is not running` };
    if (!worker.killExecutor()) return { empty: `${fault.worker} has no executor` };
  },
  async heal() {
    /* the worker restarts its executor */
  },
};

/** SIGTERM then start again: a graceful restart (deploy), not a crash. */
export const restartProcess: FaultModule<Extract<Fault, { kind: 'restart' }>> = {
  async inject(env, fault) {
    const p = env.processControl(fault.process);
    if (!p.alive()) return { empty: `${fault.process} is not running` };
    await p.terminate(2000);
  },
  async heal(env, fault) {
    const p = env.processControl(fault.process);
    if (!p.alive()) await p.start();
  },
};
