// String commands beyond commands.ts's GET/SET/INCR family: SETNX, SETEX, PSETEX, MGET, MSET,
// MSETNX, GETSET, GETDEL, GETEX, STRLEN, APPEND, DECRBY, INCRBYFLOAT, with redis-server 7.0's
// replies and errors.

import { parseLL, typed } from './commands.ts';
import type { CommandSpec, Ctx } from './context.ts';
import { addLongDouble, formatLongDouble, parseLongDouble } from './long-double.ts';
import { array, bulk, error, int, NIL, NOT_INTEGER, OK, ONE, SYNTAX, WRONGTYPE, ZERO, type Reply } from './reply.ts';

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

/** a byte string's length is its byte count (bytes.ts: one char a byte) */
const byteLength = (s: string): number => s.length;

function setnx(ctx: Ctx, argv: string[]): Reply {
  if (ctx.db.has(argv[1])) return ZERO;
  ctx.db.set(argv[1], { type: 'string', v: argv[2] });
  return ONE;
}

/** SETEX key seconds value / PSETEX key ms value (setGenericCommand with EX / PX) */
function setex(ctx: Ctx, argv: string[], unit: number): Reply {
  const n = parseLL(argv[2]);
  if (n === undefined) return NOT_INTEGER;
  const name = argv[0].toLowerCase();
  if (n <= 0 || (unit === 1000 && n > 9223372036854775)) return error(`ERR invalid expire time in '${name}' command`);
  const when = n * unit + ctx.now;
  if (when > 9.2e18) return error(`ERR invalid expire time in '${name}' command`);
  ctx.db.set(argv[1], { type: 'string', v: argv[3] });
  ctx.db.setExpire(argv[1], when);
  return OK;
}

function mget(ctx: Ctx, argv: string[]): Reply {
  const out: Reply[] = [];
  for (let i = 1; i < argv.length; i++) {
    const v = ctx.db.get(argv[i]);
    out.push(v?.type === 'string' ? bulk(v.v) : NIL);
  }
  return array(out);
}

function mset(ctx: Ctx, argv: string[], nx: boolean): Reply {
  if (argv.length % 2 === 0) return error(`ERR wrong number of arguments for '${argv[0].toLowerCase()}' command`);
  if (nx) for (let i = 1; i < argv.length; i += 2) if (ctx.db.has(argv[i])) return ZERO;
  for (let i = 1; i < argv.length; i += 2) ctx.db.set(argv[i], { type: 'string', v: argv[i + 1] });
  return nx ? ONE : OK;
}

function getset(ctx: Ctx, argv: string[]): Reply {
  const v = typed(ctx, argv[1], 'string');
  if (v === 'wrongtype') return WRONGTYPE;
  ctx.db.set(argv[1], { type: 'string', v: argv[2] });
  return bulk(v ? v.v : null);
}

function getdel(ctx: Ctx, argv: string[]): Reply {
  const v = typed(ctx, argv[1], 'string');
  if (v === 'wrongtype') return WRONGTYPE;
  if (!v) return NIL;
  ctx.db.delete(argv[1]);
  return bulk(v.v);
}

/**
 * GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]: the options first (a syntax error before
 * anything), then the key (absent: nil, the time unread), its type, then the time.
 */
function getex(ctx: Ctx, argv: string[]): Reply {
  let kind: 'ex' | 'px' | 'exat' | 'pxat' | undefined;
  let time: string | undefined;
  let persist = false;
  for (let i = 2; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    const hasNext = i + 1 < argv.length;
    if (o === 'persist' && !kind) persist = true;
    else if ((o === 'ex' || o === 'px' || o === 'exat' || o === 'pxat') && !persist && (kind === undefined || kind === o) && hasNext) {
      kind = o;
      time = argv[++i];
    } else return SYNTAX;
  }
  const v = typed(ctx, argv[1], 'string');
  if (v === undefined) return NIL;
  if (v === 'wrongtype') return WRONGTYPE;
  let when: number | undefined;
  if (kind !== undefined) {
    const n = parseLL(time!);
    if (n === undefined) return NOT_INTEGER;
    const seconds = kind === 'ex' || kind === 'exat';
    const invalid = error("ERR invalid expire time in 'getex' command");
    if (n <= 0 || (seconds && BigInt(time!) > LLONG_MAX / 1000n)) return invalid;
    let ms = BigInt(time!) * (seconds ? 1000n : 1n);
    if (kind === 'ex' || kind === 'px') {
      if (ms > LLONG_MAX - BigInt(ctx.now)) return invalid;
      ms += BigInt(ctx.now);
    }
    when = Number(ms);
  }
  const reply = bulk(v.v);
  if ((kind === 'exat' || kind === 'pxat') && when! <= ctx.now) ctx.db.delete(argv[1]);
  else if (persist) {
    if (ctx.db.persist(argv[1])) ctx.db.touch(argv[1]);
  } else if (when !== undefined) {
    ctx.db.setExpire(argv[1], when);
    ctx.db.touch(argv[1]);
  }
  return reply;
}

function strlen(ctx: Ctx, argv: string[]): Reply {
  const v = typed(ctx, argv[1], 'string');
  if (v === 'wrongtype') return WRONGTYPE;
  return int(v ? byteLength(v.v) : 0);
}

/** APPEND keeps the key's TTL */
function append(ctx: Ctx, argv: string[]): Reply {
  const v = typed(ctx, argv[1], 'string');
  if (v === 'wrongtype') return WRONGTYPE;
  const next = (v ? v.v : '') + argv[2];
  if (byteLength(next) > 512 * 1024 * 1024) return error('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
  ctx.db.set(argv[1], { type: 'string', v: next }, true);
  return int(byteLength(next));
}

function decrby(ctx: Ctx, argv: string[]): Reply {
  const n = parseLL(argv[2]);
  if (n === undefined) return NOT_INTEGER;
  if (BigInt(argv[2]) === LLONG_MIN) return error('ERR decrement would overflow');
  const v = typed(ctx, argv[1], 'string');
  if (v === 'wrongtype') return WRONGTYPE;
  const cur = v ? parseLL(v.v) : 0;
  if (cur === undefined) return NOT_INTEGER;
  const next = BigInt(v ? v.v : '0') - BigInt(argv[2]);
  if (next > LLONG_MAX || next < LLONG_MIN) return error('ERR increment or decrement would overflow');
  ctx.db.set(argv[1], { type: 'string', v: next.toString() }, true);
  return int(Number(next));
}

/** INCRBYFLOAT: the type, then the stored value, then the increment; the sum in long double, kept with its TTL */
function incrbyfloat(ctx: Ctx, argv: string[]): Reply {
  const v = typed(ctx, argv[1], 'string');
  if (v === 'wrongtype') return WRONGTYPE;
  const notFloat = error('ERR value is not a valid float');
  const cur = v ? parseLongDouble(v.v) : parseLongDouble('0');
  if (cur === undefined) return notFloat;
  const by = parseLongDouble(argv[2]);
  if (by === undefined) return notFloat;
  if (typeof cur === 'string' || typeof by === 'string') return error('ERR increment would produce NaN or Infinity');
  const sum = addLongDouble(cur, by);
  if (sum === 'inf') return error('ERR increment would produce NaN or Infinity');
  const text = formatLongDouble(sum);
  ctx.db.set(argv[1], { type: 'string', v: text }, true);
  return bulk(text);
}

export const STRING_COMMANDS: Record<string, CommandSpec> = {
  setnx: { arity: 3, handler: setnx },
  setex: { arity: 4, handler: (c, a) => setex(c, a, 1000) },
  psetex: { arity: 4, handler: (c, a) => setex(c, a, 1) },
  mget: { arity: -2, handler: mget },
  mset: { arity: -3, handler: (c, a) => mset(c, a, false) },
  msetnx: { arity: -3, handler: (c, a) => mset(c, a, true) },
  getset: { arity: 3, handler: getset },
  getdel: { arity: 2, handler: getdel },
  getex: { arity: -2, handler: getex },
  strlen: { arity: 2, handler: strlen },
  append: { arity: 3, handler: append },
  decrby: { arity: 3, handler: decrby },
  incrbyfloat: { arity: 3, handler: incrbyfloat },
};
