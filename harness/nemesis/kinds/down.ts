import fc from 'fast-check';
import { COLOURS, type BuiltinKindModule } from './shared.ts';

export type DownFault = { kind: 'down'; link: string };

/** A partition of one link: its connections closed, new ones refused. It holds the link's enabled flag. */
export const down: BuiltinKindModule<DownFault> = {
  kind: 'down',
  summary: "a link down: its connections closed, new ones refused",
  family: 'link',
  effect: 'cuts',
  colour: COLOURS.down,
  target: (f) => `link ${f.link}`,
  resource: (f) => `link ${f.link}`,
  arbitrary: (t) => fc.record({ kind: fc.constant('down' as const), link: fc.constantFrom(...t.links) }),
  async inject(env, fault) {
    await env.linkControl(fault.link).setEnabled(false);
  },
  async heal(env, fault) {
    await env.linkControl(fault.link).setEnabled(true);
  },
};
