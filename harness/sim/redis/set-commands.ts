// Set commands beyond commands.ts's: SMISMEMBER, SMOVE, SINTER, SUNION, SDIFF and their STORE
// forms, SINTERCARD, SPOP, SRANDMEMBER, SSCAN, with redis-server 7.0's replies, checks in its order, and keyspace effects (an
// emptied set is deleted; a STORE of an empty result deletes its destination).

import { parseLL, touch, typed } from './commands.ts';
import type { CommandSpec, Ctx } from './context.ts';
import { array, bulk, bulks, EMPTY_ARRAY, error, int, NIL, NOT_INTEGER, ONE, SYNTAX, WRONGTYPE, ZERO, type Reply } from './reply.ts';
import { scanCollection } from './scan.ts';

function smismember(ctx: Ctx, argv: string[]): Reply {
  const s = typed(ctx, argv[1], 'set');
  if (s === 'wrongtype') return WRONGTYPE;
  return array(argv.slice(2).map((m) => (s?.v.has(m) ? ONE : ZERO)));
}

/** smoveCommand: an absent source answers 0 before any type is checked */
function smove(ctx: Ctx, argv: string[]): Reply {
  const [, srcKey, dstKey, member] = argv;
  const src = typed(ctx, srcKey, 'set');
  const dstRaw = ctx.db.get(dstKey);
  if (src === undefined) return ZERO;
  if (src === 'wrongtype' || (dstRaw !== undefined && dstRaw.type !== 'set')) return WRONGTYPE;
  if (srcKey === dstKey) return src.v.has(member) ? ONE : ZERO;
  if (!src.v.delete(member)) return ZERO;
  touch(ctx, srcKey);
  ctx.db.deleteIfEmpty(srcKey);
  if (dstRaw === undefined) ctx.db.create(dstKey, { type: 'set', v: new Set([member]) });
  else (dstRaw.v as Set<string>).add(member);
  touch(ctx, dstKey);
  return ONE;
}

type SetOp = 'inter' | 'union' | 'diff';

/** the sets at keys (an absent key is an empty set), or WRONGTYPE if any key holds another type */
function setsAt(ctx: Ctx, keys: string[]): Array<Set<string> | undefined> | Reply {
  const sets: Array<Set<string> | undefined> = [];
  for (const k of keys) {
    const s = typed(ctx, k, 'set');
    if (s === 'wrongtype') return WRONGTYPE;
    sets.push(s?.v);
  }
  return sets;
}

function combine(op: SetOp, sets: Array<Set<string> | undefined>): Set<string> {
  if (op === 'inter') {
    if (sets.some((s) => s === undefined)) return new Set();
    const [first, ...rest] = sets as Array<Set<string>>;
    return new Set([...first].filter((m) => rest.every((s) => s.has(m))));
  }
  if (op === 'union') {
    const out = new Set<string>();
    for (const s of sets) if (s) for (const m of s) out.add(m);
    return out;
  }
  const [first, ...rest] = sets;
  return new Set([...(first ?? [])].filter((m) => !rest.some((s) => s?.has(m))));
}

function setOp(ctx: Ctx, argv: string[], op: SetOp, store: boolean): Reply {
  const keys = argv.slice(store ? 2 : 1);
  const sets = setsAt(ctx, keys);
  if (!Array.isArray(sets)) return sets;
  const result = combine(op, sets);
  if (!store) return bulks([...result]);
  const dst = argv[1];
  if (result.size === 0) {
    ctx.db.delete(dst);
    return ZERO;
  }
  ctx.db.set(dst, { type: 'set', v: result });
  return int(result.size);
}

const LONG_MAX = 9223372036854775807n;

/** SINTERCARD numkeys key ... [LIMIT n]: how many members all the sets share, counting stops at n (0: no limit) */
function sintercard(ctx: Ctx, argv: string[]): Reply {
  const numkeys = parseLL(argv[1]);
  if (numkeys === undefined || numkeys < 1) return error('ERR numkeys should be greater than 0');
  if (numkeys > argv.length - 2) return error("ERR Number of keys can't be greater than number of args");
  let limit = 0;
  for (let j = 2 + numkeys; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (argv[j].toLowerCase() === 'limit' && more) {
      const n = parseLL(argv[++j]);
      if (n === undefined || n < 0) return error("ERR LIMIT can't be negative");
      limit = n;
    } else return SYNTAX;
  }
  const sets = setsAt(ctx, argv.slice(2, 2 + numkeys));
  if (!Array.isArray(sets)) return sets;
  const n = combine('inter', sets).size;
  return int(limit > 0 ? Math.min(n, limit) : n);
}

/** a count argument: an integer in [min, LONG_MAX] (getRangeLongFromObjectOrReply), else its error */
function countArg(s: string, positive: boolean): number | Reply {
  const n = parseLL(s);
  if (n === undefined) return positive ? error('ERR value is out of range, must be positive') : NOT_INTEGER;
  if (positive ? n < 0 : BigInt(s) < -LONG_MAX) return error(positive ? 'ERR value is out of range, must be positive' : 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
  return n;
}

/** `count` distinct picks (all when count >= size), in the order picked */
export function pickDistinct<T>(ctx: Ctx, items: T[], count: number): T[] {
  if (count >= items.length) return [...items];
  const pool = [...items];
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(pool.splice(ctx.server.random(pool.length), 1)[0]);
  return out;
}

/** `count` picks with repeats */
export function pickRepeated<T>(ctx: Ctx, items: T[], count: number): T[] {
  return Array.from({ length: count }, () => items[ctx.server.random(items.length)]);
}

function spop(ctx: Ctx, argv: string[]): Reply {
  if (argv.length > 3) return SYNTAX;
  let count: number | undefined;
  if (argv.length === 3) {
    const c = countArg(argv[2], true);
    if (typeof c !== 'number') return c;
    count = c;
  }
  const s = typed(ctx, argv[1], 'set');
  if (s === undefined) return count === undefined ? NIL : EMPTY_ARRAY;
  if (s === 'wrongtype') return WRONGTYPE;
  if (count === 0) return EMPTY_ARRAY;
  const popped = pickDistinct(ctx, [...s.v], count ?? 1);
  for (const m of popped) s.v.delete(m);
  touch(ctx, argv[1]);
  ctx.db.deleteIfEmpty(argv[1]);
  return count === undefined ? bulk(popped[0]) : bulks(popped);
}

function srandmember(ctx: Ctx, argv: string[]): Reply {
  if (argv.length > 3) return SYNTAX;
  let count: number | undefined;
  if (argv.length === 3) {
    const c = countArg(argv[2], false);
    if (typeof c !== 'number') return c;
    count = c;
  }
  const s = typed(ctx, argv[1], 'set');
  if (s === undefined) return count === undefined ? NIL : EMPTY_ARRAY;
  if (s === 'wrongtype') return WRONGTYPE;
  const members = [...s.v];
  if (count === undefined) return bulk(members[ctx.server.random(members.length)]);
  if (count === 0) return EMPTY_ARRAY;
  return bulks(count > 0 ? pickDistinct(ctx, members, count) : pickRepeated(ctx, members, -count));
}

export const SET_COMMANDS: Record<string, CommandSpec> = {
  smismember: { arity: -3, handler: smismember },
  smove: { arity: 4, handler: smove },
  sinter: { arity: -2, handler: (c, a) => setOp(c, a, 'inter', false) },
  sinterstore: { arity: -3, handler: (c, a) => setOp(c, a, 'inter', true) },
  sunion: { arity: -2, handler: (c, a) => setOp(c, a, 'union', false) },
  sunionstore: { arity: -3, handler: (c, a) => setOp(c, a, 'union', true) },
  sdiff: { arity: -2, handler: (c, a) => setOp(c, a, 'diff', false) },
  sdiffstore: { arity: -3, handler: (c, a) => setOp(c, a, 'diff', true) },
  sintercard: { arity: -3, handler: sintercard },
  spop: { arity: -2, handler: spop },
  srandmember: { arity: -2, handler: srandmember },
  sscan: { arity: -3, handler: (c, a) => scanCollection(c, a, 'set', (s) => [...s.v].map((m) => [m])) },
};
