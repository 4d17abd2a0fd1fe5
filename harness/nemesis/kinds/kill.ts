import fc from 'fast-check';
import type { Rejoin } from '../types.ts';
import { COLOURS, rejoin, type BuiltinKindModule } from './shared.ts';

/** rejoin 'new': healed as a new consumer (a new name), as when names come from host and pid; its old work must be taken over */
export type KillFault = { kind: 'kill'; process: string; rejoin?: Rejoin };

/** SIGKILL a SUT process; healing starts it again under the same name, or as a new consumer (rejoin 'new'). */
export const kill: BuiltinKindModule<KillFault> = {
  kind: 'kill',
  summary: 'a process killed (SIGKILL), started again at the heal under its name or as a new consumer',
  family: 'process',
  effect: 'ends',
  colour: COLOURS.death,
  target: (f) => f.process,
  resource: (f) => `process ${f.process}`,
  arbitrary: (t) => fc.record({ kind: fc.constant('kill' as const), process: fc.constantFrom(...t.processes), rejoin }),
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
