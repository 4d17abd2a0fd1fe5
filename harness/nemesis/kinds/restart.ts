import fc from 'fast-check';
import { COLOURS, type BuiltinKindModule } from './shared.ts';

export type RestartFault = { kind: 'restart'; process: string };

/** SIGTERM then start again: a graceful restart (deploy), not a crash. */
export const restart: BuiltinKindModule<RestartFault> = {
  kind: 'restart',
  summary: 'a process stopped gracefully (SIGTERM), started again at the heal',
  family: 'process',
  effect: 'ends',
  colour: COLOURS.death,
  target: (f) => f.process,
  resource: (f) => `process ${f.process}`,
  arbitrary: (t) => fc.record({ kind: fc.constant('restart' as const), process: fc.constantFrom(...t.processes) }),
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
