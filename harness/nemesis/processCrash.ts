import type { Fault, FaultModule } from './types.ts';

/** SIGKILL a SUT process; healing starts it again under the same name. */
export const killProcess: FaultModule<Extract<Fault, { kind: 'kill' }>> = {
  async inject(env, fault) {
    await env.process(fault.process).kill();
  },
  async heal(env, fault) {
    const p = env.process(fault.process);
    if (!p.alive()) await p.start();
  },
};

/** SIGKILL the executor a worker forked; the worker forks a new one itself. */
export const killExecutor: FaultModule<Extract<Fault, { kind: 'kill-executor' }>> = {
  async inject(env, fault) {
    env.process(fault.worker).killExecutor();
  },
  async heal() {
    /* the worker restarts its executor */
  },
};

/** SIGTERM then start again: a graceful restart (deploy), not a crash. */
export const restartProcess: FaultModule<Extract<Fault, { kind: 'restart' }>> = {
  async inject(env, fault) {
    const p = env.process(fault.process);
    p.signal('SIGTERM');
    await Promise.race([p.process.exited, new Promise((r) => setTimeout(r, 2000))]);
    await p.kill();
  },
  async heal(env, fault) {
    const p = env.process(fault.process);
    if (!p.alive()) await p.start();
  },
};
