import type { Fault, FaultModule } from './types.ts';

/** A partition of one link: its connections closed, new ones refused. */
export const linkDown: FaultModule<Extract<Fault, { kind: 'down' }>> = {
  async inject(env, fault) {
    await env.linkControl(fault.link).setEnabled(false);
  },
  async heal(env, fault) {
    await env.linkControl(fault.link).setEnabled(true);
  },
};
