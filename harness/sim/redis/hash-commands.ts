// Hash commands beyond commands.ts's: HKEYS, HVALS, HSTRLEN, HSCAN, HINCRBYFLOAT, HRANDFIELD, with
// redis-server 7.0's replies.

import { parseLL, touch, typed } from './commands.ts';
import type { CommandSpec, Ctx } from './context.ts';
import { bulk, bulks, EMPTY_ARRAY, error, int, NIL, NOT_INTEGER, SYNTAX, WRONGTYPE, type Reply } from './reply.ts';
import { pickDistinct, pickRepeated } from './set-commands.ts';
import { addLongDouble, formatLongDouble, parseLongDouble } from './long-double.ts';
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

/** HINCRBYFLOAT: the increment first (finite), then the key's type, then the field's value; long double */
function hincrbyfloat(ctx: Ctx, argv: string[]): Reply {
  const by = parseLongDouble(argv[3]);
  if (by === undefined) return error('ERR value is not a valid float');
  if (typeof by === 'string') return error('ERR value is NaN or Infinity');
  const h = typed(ctx, argv[1], 'hash');
  if (h === 'wrongtype') return WRONGTYPE;
  const old = h?.v.get(argv[2]);
  const cur = parseLongDouble(old ?? '0');
  if (cur === undefined) return error('ERR hash value is not a float');
  if (typeof cur === 'string') return error('ERR increment would produce NaN or Infinity');
  const sum = addLongDouble(cur, by);
  if (sum === 'inf') return error('ERR increment would produce NaN or Infinity');
  const text = formatLongDouble(sum);
  if (h) h.v.set(argv[2], text);
  else ctx.db.create(argv[1], { type: 'hash', v: new Map([[argv[2], text]]) });
  touch(ctx, argv[1]);
  return bulk(text);
}

/** HRANDFIELD key [count [WITHVALUES]]: the count, then the option, then the key */
function hrandfield(ctx: Ctx, argv: string[]): Reply {
  let count: number | undefined;
  let withValues = false;
  if (argv.length >= 3) {
    const n = parseLL(argv[2]);
    if (n === undefined) return NOT_INTEGER;
    if (BigInt(argv[2]) < -9223372036854775807n) return error('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
    if (argv.length > 4 || (argv.length === 4 && argv[3].toLowerCase() !== 'withvalues')) return SYNTAX;
    if (argv.length === 4) {
      withValues = true;
      if (BigInt(argv[2]) < -4611686018427387903n || BigInt(argv[2]) > 4611686018427387903n) return error('ERR value is out of range');
    }
    count = n;
  }
  const h = typed(ctx, argv[1], 'hash');
  if (h === undefined) return count === undefined ? NIL : EMPTY_ARRAY;
  if (h === 'wrongtype') return WRONGTYPE;
  const fields = [...h.v.keys()];
  if (count === undefined) return bulk(fields[ctx.server.random(fields.length)]);
  if (count === 0) return EMPTY_ARRAY;
  const picked = count > 0 ? pickDistinct(ctx, fields, count) : pickRepeated(ctx, fields, -count);
  return bulks(withValues ? picked.flatMap((f) => [f, h.v.get(f)!]) : picked);
}

export const HASH_COMMANDS: Record<string, CommandSpec> = {
  hkeys: { arity: 2, handler: (c, a) => hkeysOrVals(c, a, true) },
  hvals: { arity: 2, handler: (c, a) => hkeysOrVals(c, a, false) },
  hstrlen: { arity: 3, handler: hstrlen },
  hincrbyfloat: { arity: 4, handler: hincrbyfloat },
  hrandfield: { arity: -2, handler: hrandfield },
  hscan: { arity: -3, handler: (c, a) => scanCollection(c, a, 'hash', (h) => [...h.v].map(([f, v]) => [f, v])) },
};
