// List commands (LPUSH, RPOP, BLPOP and friends) with Redis 7.0's replies and error texts.

import { parseLL, parseTimeoutSeconds, touch, typed } from './commands.ts';
import type { BlockRequest, CommandSpec, Ctx } from './context.ts';
import { array, bulk, bulks, EMPTY_ARRAY, error, int, NIL, NIL_ARRAY, NOT_INTEGER, OK, SYNTAX, WRONGTYPE, ZERO, type Reply } from './reply.ts';

function push(ctx: Ctx, argv: string[], left: boolean): Reply {
  const v = typed(ctx, argv[1], 'list');
  if (v === 'wrongtype') return WRONGTYPE;
  let list = v?.v;
  if (!list) {
    list = [];
    ctx.db.create(argv[1], { type: 'list', v: list });
  }
  for (let i = 2; i < argv.length; i++) {
    if (left) list.unshift(argv[i]);
    else list.push(argv[i]);
  }
  touch(ctx, argv[1]);
  ctx.server.signalReady(argv[1]);
  return int(list.length);
}

function pop(ctx: Ctx, argv: string[], left: boolean): Reply {
  let count: number | undefined;
  if (argv.length > 3) return error(`ERR wrong number of arguments for '${argv[0].toLowerCase()}' command`);
  if (argv.length === 3) {
    const n = parseLL(argv[2]);
    if (n === undefined || n < 0) return error('ERR value is out of range, must be positive');
    count = n;
  }
  const v = typed(ctx, argv[1], 'list');
  if (v === 'wrongtype') return WRONGTYPE;
  if (!v) return count === undefined ? NIL : NIL_ARRAY;
  const take = count === undefined ? 1 : Math.min(count, v.v.length);
  const out = left ? v.v.splice(0, take) : v.v.splice(v.v.length - take, take).reverse();
  if (take > 0) {
    touch(ctx, argv[1]);
    ctx.db.deleteIfEmpty(argv[1]);
  }
  return count === undefined ? bulk(out[0] ?? null) : bulks(out);
}

function llen(ctx: Ctx, argv: string[]): Reply {
  const v = typed(ctx, argv[1], 'list');
  if (v === 'wrongtype') return WRONGTYPE;
  return int(v?.v.length ?? 0);
}

function lrange(ctx: Ctx, argv: string[]): Reply {
  let start = parseLL(argv[2]);
  let end = parseLL(argv[3]);
  if (start === undefined || end === undefined) return NOT_INTEGER;
  const v = typed(ctx, argv[1], 'list');
  if (v === 'wrongtype') return WRONGTYPE;
  if (!v) return EMPTY_ARRAY;
  const n = v.v.length;
  if (start < 0) start = n + start;
  if (end < 0) end = n + end;
  if (start < 0) start = 0;
  if (start > end || start >= n) return EMPTY_ARRAY;
  if (end >= n) end = n - 1;
  return bulks(v.v.slice(start, end + 1));
}

function bpop(ctx: Ctx, argv: string[], left: boolean): Reply | BlockRequest {
  const timeout = parseTimeoutSeconds(argv[argv.length - 1]);
  if (typeof timeout !== 'number') return timeout;
  const keyList = argv.slice(1, -1);
  for (const k of keyList) {
    const v = typed(ctx, k, 'list');
    if (v === 'wrongtype') return WRONGTYPE;
    if (v && v.v.length) return popFrom(ctx, k, left)!;
  }
  if (ctx.nonBlocking) return NIL_ARRAY;
  return {
    kind: 'block',
    keys: keyList,
    timeoutMs: timeout,
    tryServe: (c, key) => popFrom(c, key, left),
  };
}

function popFrom(ctx: Ctx, key: string, left: boolean): Reply | undefined {
  const v = ctx.db.get(key);
  if (!v || v.type !== 'list' || v.v.length === 0) return undefined;
  const item = left ? v.v.shift()! : v.v.pop()!;
  touch(ctx, key);
  ctx.db.deleteIfEmpty(key);
  return array([bulk(key), bulk(item)]);
}
/** the list at key: 'wrongtype', or undefined when absent */
function listFor(ctx: Ctx, key: string): string[] | undefined | 'wrongtype' {
  const v = typed(ctx, key, 'list');
  if (v === 'wrongtype') return v;
  return v?.v;
}

/** after an in-place change: WATCH hears of it, an emptied list is deleted */
function changed(ctx: Ctx, key: string): void {
  touch(ctx, key);
  ctx.db.deleteIfEmpty(key);
}

function pushx(ctx: Ctx, argv: string[], left: boolean): Reply {
  const list = listFor(ctx, argv[1]);
  if (list === 'wrongtype') return WRONGTYPE;
  if (!list) return ZERO;
  return push(ctx, argv, left);
}

function lindex(ctx: Ctx, argv: string[]): Reply {
  const list = listFor(ctx, argv[1]);
  if (list === 'wrongtype') return WRONGTYPE;
  if (!list) return NIL;
  const i = parseLL(argv[2]);
  if (i === undefined) return NOT_INTEGER;
  const at = i < 0 ? list.length + i : i;
  return bulk(at >= 0 && at < list.length ? list[at] : null);
}

function lset(ctx: Ctx, argv: string[]): Reply {
  const list = listFor(ctx, argv[1]);
  if (list === 'wrongtype') return WRONGTYPE;
  if (!list) return error('ERR no such key');
  const i = parseLL(argv[2]);
  if (i === undefined) return NOT_INTEGER;
  const at = i < 0 ? list.length + i : i;
  if (at < 0 || at >= list.length) return error('ERR index out of range');
  list[at] = argv[3];
  touch(ctx, argv[1]);
  return OK;
}

function ltrim(ctx: Ctx, argv: string[]): Reply {
  let start = parseLL(argv[2]);
  let end = start === undefined ? undefined : parseLL(argv[3]);
  if (start === undefined || end === undefined) return NOT_INTEGER;
  const list = listFor(ctx, argv[1]);
  if (list === 'wrongtype') return WRONGTYPE;
  if (!list) return OK;
  const n = list.length;
  if (start < 0) start = n + start;
  if (end < 0) end = n + end;
  if (start < 0) start = 0;
  if (start > end || start >= n) list.splice(0, n);
  else {
    if (end >= n) end = n - 1;
    list.splice(end + 1);
    list.splice(0, start);
  }
  changed(ctx, argv[1]);
  return OK;
}

function lrem(ctx: Ctx, argv: string[]): Reply {
  const count = parseLL(argv[2]);
  if (count === undefined) return NOT_INTEGER;
  const list = listFor(ctx, argv[1]);
  if (list === 'wrongtype') return WRONGTYPE;
  if (!list) return ZERO;
  const limit = count === 0 ? Infinity : Math.abs(count);
  let removed = 0;
  if (count >= 0) {
    for (let i = 0; i < list.length && removed < limit; ) {
      if (list[i] === argv[3]) {
        list.splice(i, 1);
        removed++;
      } else i++;
    }
  } else {
    for (let i = list.length - 1; i >= 0 && removed < limit; i--) {
      if (list[i] === argv[3]) {
        list.splice(i, 1);
        removed++;
      }
    }
  }
  if (removed) changed(ctx, argv[1]);
  return int(removed);
}

function linsert(ctx: Ctx, argv: string[]): Reply {
  const where = argv[2].toLowerCase();
  if (where !== 'before' && where !== 'after') return SYNTAX;
  const list = listFor(ctx, argv[1]);
  if (list === 'wrongtype') return WRONGTYPE;
  if (!list) return ZERO;
  const at = list.indexOf(argv[3]);
  if (at < 0) return int(-1);
  list.splice(where === 'before' ? at : at + 1, 0, argv[4]);
  touch(ctx, argv[1]);
  return int(list.length);
}

function lpos(ctx: Ctx, argv: string[]): Reply {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const o = argv[j].toLowerCase();
    const more = argv.length - 1 - j > 0;
    if (o === 'rank' && more) {
      const r = parseLL(argv[++j]);
      if (r === undefined) return NOT_INTEGER;
      if (r === 0) return error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
      rank = r;
    } else if (o === 'count' && more) {
      const c = parseLL(argv[++j]);
      if (c === undefined || c < 0) return error("ERR COUNT can't be negative");
      count = c;
    } else if (o === 'maxlen' && more) {
      const m = parseLL(argv[++j]);
      if (m === undefined || m < 0) return error("ERR MAXLEN can't be negative");
      maxlen = m;
    } else return SYNTAX;
  }
  const list = listFor(ctx, argv[1]);
  if (list === 'wrongtype') return WRONGTYPE;
  if (!list) return count === -1 ? NIL : EMPTY_ARRAY;
  const fromTail = rank < 0;
  const skip = Math.abs(rank);
  const n = list.length;
  const found: number[] = [];
  let matches = 0;
  for (let k = 0; k < n && (maxlen === 0 || k < maxlen); k++) {
    const at = fromTail ? n - 1 - k : k;
    if (list[at] !== argv[2]) continue;
    matches++;
    if (matches < skip) continue;
    found.push(at);
    if (count === -1 || (count > 0 && found.length >= count)) break;
  }
  if (count === -1) return found.length ? int(found[0]) : NIL;
  return array(found.map((i) => int(i)));
}

/** "LEFT" or "RIGHT" (getListPositionFromObjectOrReply) */
function whereArg(s: string): boolean | undefined {
  const w = s.toLowerCase();
  return w === 'left' ? true : w === 'right' ? false : undefined;
}

/** moves one element from src to dst; undefined when src is empty or absent, WRONGTYPE for a non-list dst */
function moveOne(ctx: Ctx, src: string, dst: string, fromLeft: boolean, toLeft: boolean): Reply | undefined {
  const from = listFor(ctx, src);
  if (from === 'wrongtype') return WRONGTYPE;
  if (!from || from.length === 0) return undefined;
  let to = listFor(ctx, dst);
  if (to === 'wrongtype') return WRONGTYPE;
  const item = fromLeft ? from.shift()! : from.pop()!;
  if (!to) {
    to = [];
    ctx.db.create(dst, { type: 'list', v: to });
  }
  if (toLeft) to.unshift(item);
  else to.push(item);
  touch(ctx, dst);
  ctx.server.signalReady(dst);
  changed(ctx, src);
  return bulk(item);
}

function lmove(ctx: Ctx, argv: string[], fromLeft: boolean, toLeft: boolean): Reply {
  return moveOne(ctx, argv[1], argv[2], fromLeft, toLeft) ?? NIL;
}

function lmoveCmd(ctx: Ctx, argv: string[]): Reply {
  const from = whereArg(argv[3]);
  if (from === undefined) return SYNTAX;
  const to = whereArg(argv[4]);
  if (to === undefined) return SYNTAX;
  return lmove(ctx, argv, from, to);
}

function blmove(ctx: Ctx, argv: string[], fromLeft: boolean, toLeft: boolean, timeoutArg: string): Reply | BlockRequest {
  const timeout = parseTimeoutSeconds(timeoutArg);
  if (typeof timeout !== 'number') return timeout;
  const src = listFor(ctx, argv[1]);
  if (src === 'wrongtype') return WRONGTYPE;
  if (src && src.length) return lmove(ctx, argv, fromLeft, toLeft);
  if (ctx.nonBlocking) return NIL;
  return {
    kind: 'block',
    keys: [argv[1]],
    timeoutMs: timeout,
    // a waiter is served only by a list with elements (a key of another type leaves it waiting)
    tryServe: (c, key) => {
      const v = c.db.get(key);
      return v?.type === 'list' && v.v.length ? moveOne(c, key, argv[2], fromLeft, toLeft) : undefined;
    },
  };
}

function blmoveCmd(ctx: Ctx, argv: string[]): Reply | BlockRequest {
  const from = whereArg(argv[3]);
  if (from === undefined) return SYNTAX;
  const to = whereArg(argv[4]);
  if (to === undefined) return SYNTAX;
  return blmove(ctx, argv, from, to, argv[5]);
}

export const LIST_COMMANDS: Record<string, CommandSpec> = {
  lpush: { arity: -3, handler: (c, a) => push(c, a, true) },
  rpush: { arity: -3, handler: (c, a) => push(c, a, false) },
  lpop: { arity: -2, handler: (c, a) => pop(c, a, true) },
  rpop: { arity: -2, handler: (c, a) => pop(c, a, false) },
  brpop: { arity: -3, handler: (c, a) => bpop(c, a, false), noscript: true },
  blpop: { arity: -3, handler: (c, a) => bpop(c, a, true), noscript: true },
  llen: { arity: 2, handler: llen },
  lrange: { arity: 4, handler: lrange },
  lpushx: { arity: -3, handler: (c, a) => pushx(c, a, true) },
  rpushx: { arity: -3, handler: (c, a) => pushx(c, a, false) },
  lindex: { arity: 3, handler: lindex },
  lset: { arity: 4, handler: lset },
  ltrim: { arity: 4, handler: ltrim },
  lrem: { arity: 4, handler: lrem },
  linsert: { arity: 5, handler: linsert },
  lpos: { arity: -3, handler: lpos },
  rpoplpush: { arity: 3, handler: (c, a) => lmove(c, a, false, true) },
  lmove: { arity: 5, handler: lmoveCmd },
  brpoplpush: { arity: 4, handler: (c, a) => blmove(c, a, false, true, a[3]), noscript: true },
  blmove: { arity: 6, handler: blmoveCmd, noscript: true },
};
