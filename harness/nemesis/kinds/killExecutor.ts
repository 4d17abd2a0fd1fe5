import fc from 'fast-check';
import { COLOURS, type BuiltinKindModule } from './shared.ts';

export type KillExecutorFault = { kind: 'kill-executor'; worker: string };

/**
 * SIGKILL the executor a worker forked; the worker forks a new one itself. It holds the worker
 * (whose executor dies and freezes with it) only at the instant it is placed: its heal undoes
 * nothing, so the worker may be killed or paused while it recovers.
 */
export const killExecutor: BuiltinKindModule<KillExecutorFault> = {
  kind: 'kill-executor',
  summary: "a worker's executor killed (SIGKILL); the worker starts a new one itself",
  family: 'process',
  colour: COLOURS.death,
  target: (f) => `executor of ${f.worker}`,
  resource: (f) => `process ${f.worker}`,
  holdMs: () => 0,
  arbitrary: (t) => fc.record({ kind: fc.constant('kill-executor' as const), worker: fc.constantFrom(...t.workers) }),
  async inject(env, fault) {
    const worker = env.processControl(fault.worker);
    if (!worker.alive()) return { empty: `${fault.worker} is not running` };
    if (!worker.killExecutor()) return { empty: `${fault.worker} has no executor` };
  },
  async heal() {
    /* the worker restarts its executor */
  },
};
