// List commands (LPUSH, RPOP, BLPOP and friends) with Redis 7.0's replies and error texts.

import { parseLL, parseTimeoutSeconds, touch, typed } from './commands.ts';
import type { BlockRequest, CommandSpec, Ctx } from './context.ts';
import { array, bulk, bulks, EMPTY_ARRAY, error, int, NIL, NIL_ARRAY, NOT_INTEGER, SYNTAX, WRONGTYPE, type Reply } from './reply.ts';

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
  if (argv.length > 3) return SYNTAX;
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

export const LIST_COMMANDS: Record<string, CommandSpec> = {
  lpush: { arity: -3, handler: (c, a) => push(c, a, true) },
  rpush: { arity: -3, handler: (c, a) => push(c, a, false) },
  lpop: { arity: -2, handler: (c, a) => pop(c, a, true) },
  rpop: { arity: -2, handler: (c, a) => pop(c, a, false) },
  brpop: { arity: -3, handler: (c, a) => bpop(c, a, false), noscript: true },
  blpop: { arity: -3, handler: (c, a) => bpop(c, a, true), noscript: true },
  llen: { arity: 2, handler: llen },
  lrange: { arity: 4, handler: lrange },
};
