// Set commands beyond commands.ts's: SMISMEMBER, SMOVE, SINTER, SUNION, SDIFF and their STORE
// forms, SSCAN, with redis-server 7.0's replies, checks in its order, and keyspace effects (an
// emptied set is deleted; a STORE of an empty result deletes its destination).

import { touch, typed } from './commands.ts';
import type { CommandSpec, Ctx } from './context.ts';
import { array, bulks, int, ONE, WRONGTYPE, ZERO, type Reply } from './reply.ts';
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

export const SET_COMMANDS: Record<string, CommandSpec> = {
  smismember: { arity: -3, handler: smismember },
  smove: { arity: 4, handler: smove },
  sinter: { arity: -2, handler: (c, a) => setOp(c, a, 'inter', false) },
  sinterstore: { arity: -3, handler: (c, a) => setOp(c, a, 'inter', true) },
  sunion: { arity: -2, handler: (c, a) => setOp(c, a, 'union', false) },
  sunionstore: { arity: -3, handler: (c, a) => setOp(c, a, 'union', true) },
  sdiff: { arity: -2, handler: (c, a) => setOp(c, a, 'diff', false) },
  sdiffstore: { arity: -3, handler: (c, a) => setOp(c, a, 'diff', true) },
  sscan: { arity: -3, handler: (c, a) => scanCollection(c, a, 'set', (s) => [...s.v].map((m) => [m])) },
};
