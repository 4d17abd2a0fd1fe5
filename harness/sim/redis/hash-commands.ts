// Hash commands beyond commands.ts's: HKEYS, HVALS, HSTRLEN, HSCAN, with redis-server 7.0's
// replies.

import { typed } from './commands.ts';
import type { CommandSpec, Ctx } from './context.ts';
import { bulks, EMPTY_ARRAY, int, WRONGTYPE, type Reply } from './reply.ts';
import { scanCollection } from './scan.ts';

function hkeysOrVals(ctx: Ctx, argv: string[], keys: boolean): Reply {
  const h = typed(ctx, argv[1], 'hash');
  if (h === 'wrongtype') return WRONGTYPE;
  if (!h) return EMPTY_ARRAY;
  return bulks(keys ? [...h.v.keys()] : [...h.v.values()]);
}

function hstrlen(ctx: Ctx, argv: string[]): Reply {
  const h = typed(ctx, argv[1], 'hash');
  if (h === 'wrongtype') return WRONGTYPE;
  const v = h?.v.get(argv[2]);
  return int(v === undefined ? 0 : v.length); // a byte string: one char a byte
}

export const HASH_COMMANDS: Record<string, CommandSpec> = {
  hkeys: { arity: 2, handler: (c, a) => hkeysOrVals(c, a, true) },
  hvals: { arity: 2, handler: (c, a) => hkeysOrVals(c, a, false) },
  hstrlen: { arity: 3, handler: hstrlen },
  hscan: { arity: -3, handler: (c, a) => scanCollection(c, a, 'hash', (h) => [...h.v].map(([f, v]) => [f, v])) },
};
