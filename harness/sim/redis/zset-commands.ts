// Sorted-set commands (ZADD, ZRANGE and friends, ZLEXCOUNT, ZREM*, ZPOP*, BZPOP*) with Redis 7.0's replies,
// argument checks in Redis's order, and its error texts.

import { compareBytes } from './bytes.ts';
import { parseLL, parseTimeoutSeconds, touch, typed } from './commands.ts';
import type { BlockRequest, CommandSpec, Ctx } from './context.ts';
import { array, bulk, bulks, EMPTY_ARRAY, error, int, NIL, NIL_ARRAY, NOT_INTEGER, SYNTAX, WRONGTYPE, ZERO, type Reply } from './reply.ts';
import { scanCollection } from './scan.ts';

export { compareBytes } from './bytes.ts';

/** A sorted set: scores by member, and the members in (score, member) order. */
export class ZSet {
  readonly scores = new Map<string, number>();
  /** members ordered by score, ties by member bytes */
  readonly order: string[] = [];

  get size(): number {
    return this.order.length;
  }

  private cmp(sa: number, ma: string, sb: number, mb: string): number {
    if (sa < sb) return -1;
    if (sa > sb) return 1;
    return compareBytes(ma, mb);
  }

  /** index of the first member not below (score, member) */
  private lowerBound(score: number, member: string): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.order[mid];
      if (this.cmp(this.scores.get(m)!, m, score, member) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  set(member: string, score: number): void {
    if (this.scores.has(member)) this.delete(member);
    const i = this.lowerBound(score, member);
    this.scores.set(member, score);
    this.order.splice(i, 0, member);
  }

  delete(member: string): boolean {
    const score = this.scores.get(member);
    if (score === undefined) return false;
    const i = this.lowerBound(score, member);
    this.order.splice(i, 1);
    this.scores.delete(member);
    return true;
  }

  rank(member: string): number | undefined {
    const score = this.scores.get(member);
    return score === undefined ? undefined : this.lowerBound(score, member);
  }
}

// ---- numbers ----------------------------------------------------------------------------

/** printf's %.17g, as redis-server 7.0 writes a score ('inf' and '-inf' for infinities) */
export function formatScore(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const sign = d < 0 ? '-' : '';
  const a = Math.abs(d);
  const [mant, expS] = a.toExponential(16).split('e');
  const exp = Number(expS);
  if (exp < -4 || exp >= 17) {
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  let f = a.toFixed(16 - exp);
  if (f.includes('.')) f = f.replace(/0+$/, '').replace(/\.$/, '');
  return sign + f;
}

const SPACE = /[ \t\n\v\f\r]/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/;
const INFINITY = /^[+-]?inf(inity)?/i;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP]([+-]?\d+))?/;

/** a C99 hexadecimal float (0x1.8p3), which strtod reads too */
function hexValue(m: RegExpExecArray): number {
  const [int, frac = ''] = m[2].split('.');
  let v = 0;
  for (const c of int + frac) v = v * 16 + parseInt(c, 16);
  v = v * Math.pow(2, Number(m[3] ?? 0) - 4 * frac.length);
  return m[1] === '-' ? -v : v;
}

/** C's strtod on the whole of s after leading white space: the value and how much it read */
function strtod(s: string): { value: number; rest: string } {
  let i = 0;
  while (i < s.length && SPACE.test(s[i])) i++;
  const t = s.slice(i);
  const inf = INFINITY.exec(t);
  if (inf) return { value: inf[0].startsWith('-') ? -Infinity : Infinity, rest: t.slice(inf[0].length) };
  if (/^[+-]?nan/i.test(t)) return { value: NaN, rest: t.replace(/^[+-]?nan(\([0-9A-Za-z_]*\))?/i, '') };
  const hex = HEX.exec(t);
  if (hex) return { value: hexValue(hex), rest: t.slice(hex[0].length) };
  const dec = DECIMAL.exec(t);
  if (!dec) return { value: 0, rest: s };
  return { value: Number(dec[0]), rest: t.slice(dec[0].length) };
}

/** getDoubleFromObject: the whole string a float, no leading space, no overflow, not NaN */
export function parseScore(s: string): number | undefined {
  if (s.length === 0 || SPACE.test(s[0])) return undefined;
  const { value, rest } = strtod(s);
  if (rest.length || Number.isNaN(value)) return undefined;
  const literalInf = INFINITY.test(s);
  if (!Number.isFinite(value) && !literalInf) return undefined; // ERANGE overflow
  if (value === 0 && /[1-9]/.test(s.replace(/[eE].*$/, ''))) return undefined; // ERANGE underflow to zero
  // a small sorted set keeps scores as text in a listpack, where -0 is written as 0
  return value === 0 ? 0 : value;
}

const NOT_FLOAT = error('ERR value is not a valid float');
const RANGE_NOT_FLOAT = error('ERR min or max is not a float');
const LEX_RANGE_BAD = error('ERR min or max not valid string range item');
const NAN_SCORE = error('ERR resulting score is not a number (NaN)');

interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** zslParseRange: '(' makes a bound exclusive; strtod after it may skip spaces, not trail text */
function parseBound(s: string): { v: number; ex: boolean } | undefined {
  const ex = s.startsWith('(');
  const { value, rest } = strtod(ex ? s.slice(1) : s);
  if (rest.length || Number.isNaN(value)) return undefined;
  return { v: value, ex };
}

function parseScoreRange(min: string, max: string): ScoreRange | undefined {
  const a = parseBound(min);
  const b = parseBound(max);
  if (!a || !b) return undefined;
  return { min: a.v, minex: a.ex, max: b.v, maxex: b.ex };
}

const inScoreRange = (r: ScoreRange, s: number): boolean =>
  (r.minex ? s > r.min : s >= r.min) && (r.maxex ? s < r.max : s <= r.max);

type LexBound = { kind: '-' } | { kind: '+' } | { kind: 'v'; v: string; ex: boolean };

function parseLexBound(s: string): LexBound | undefined {
  if (s === '-') return { kind: '-' };
  if (s === '+') return { kind: '+' };
  if (s.startsWith('(')) return { kind: 'v', v: s.slice(1), ex: true };
  if (s.startsWith('[')) return { kind: 'v', v: s.slice(1), ex: false };
  return undefined;
}

function lexGteMin(m: string, b: LexBound): boolean {
  if (b.kind === '-') return true;
  if (b.kind === '+') return false;
  const c = compareBytes(m, b.v);
  return b.ex ? c > 0 : c >= 0;
}

function lexLteMax(m: string, b: LexBound): boolean {
  if (b.kind === '+') return true;
  if (b.kind === '-') return false;
  const c = compareBytes(m, b.v);
  return b.ex ? c < 0 : c <= 0;
}

// ---- lookups ----------------------------------------------------------------------------

function zsetFor(ctx: Ctx, key: string): ZSet | undefined | 'wrongtype' {
  const v = typed(ctx, key, 'zset');
  if (v === 'wrongtype') return v;
  return v?.v;
}

function withScores(z: ZSet, members: string[], scores: boolean): Reply {
  if (!scores) return bulks(members);
  const out: Reply[] = [];
  for (const m of members) out.push(bulk(m), bulk(formatScore(z.scores.get(m)!)));
  return array(out);
}

/** after a removal: WATCH hears of it, an emptied set is deleted */
function removed(ctx: Ctx, key: string): void {
  touch(ctx, key);
  ctx.db.deleteIfEmpty(key);
}

// ---- ZADD / ZINCRBY -----------------------------------------------------------------------

function zaddGeneric(ctx: Ctx, argv: string[], incrCmd: boolean): Reply {
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  let ch = false;
  let incr = incrCmd;
  let i = 2;
  for (; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    if (o === 'nx') nx = true;
    else if (o === 'xx') xx = true;
    else if (o === 'ch') ch = true;
    else if (o === 'incr') incr = true;
    else if (o === 'gt') gt = true;
    else if (o === 'lt') lt = true;
    else break;
  }
  const elements = argv.length - i;
  if (elements % 2 !== 0 || elements === 0) return SYNTAX;
  if (nx && xx) return error('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) return error('ERR GT, LT, and/or NX options at the same time are not compatible');
  if (incr && elements > 2) return error('ERR INCR option supports a single increment-element pair');
  const pairs: Array<[number, string]> = [];
  for (let j = i; j < argv.length; j += 2) {
    const s = parseScore(argv[j]);
    if (s === undefined) return NOT_FLOAT;
    pairs.push([s, argv[j + 1]]);
  }
  const key = argv[1];
  let z = zsetFor(ctx, key);
  if (z === 'wrongtype') return WRONGTYPE;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let last = 0;
  if (z === undefined && !xx) {
    z = new ZSet();
    ctx.db.create(key, { type: 'zset', v: z });
  }
  if (z !== undefined) {
    for (const [given, member] of pairs) {
      let score = given;
      const cur = z.scores.get(member);
      if (cur !== undefined) {
        if (nx) continue;
        if (incr) {
          score += cur;
          if (Number.isNaN(score)) {
            if (added || updated) {
              touch(ctx, key);
              ctx.server.signalReady(key);
            }
            return NAN_SCORE;
          }
        }
        if ((lt && score >= cur) || (gt && score <= cur)) continue;
        last = score;
        processed++;
        if (score !== cur) {
          z.set(member, score);
          updated++;
        }
      } else {
        if (xx) continue;
        z.set(member, score);
        last = score;
        added++;
        processed++;
      }
    }
  }
  if (added || updated) {
    touch(ctx, key);
    ctx.server.signalReady(key);
  }
  if (incr) return processed ? bulk(formatScore(last)) : NIL;
  return int(ch ? added + updated : added);
}

// ---- reads --------------------------------------------------------------------------------

function zscore(ctx: Ctx, argv: string[]): Reply {
  const z = zsetFor(ctx, argv[1]);
  if (z === 'wrongtype') return WRONGTYPE;
  const s = z?.scores.get(argv[2]);
  return s === undefined ? NIL : bulk(formatScore(s));
}

function zmscore(ctx: Ctx, argv: string[]): Reply {
  const z = zsetFor(ctx, argv[1]);
  if (z === 'wrongtype') return WRONGTYPE;
  return array(
    argv.slice(2).map((m) => {
      const s = z?.scores.get(m);
      return s === undefined ? NIL : bulk(formatScore(s));
    }),
  );
}

function zcard(ctx: Ctx, argv: string[]): Reply {
  const z = zsetFor(ctx, argv[1]);
  if (z === 'wrongtype') return WRONGTYPE;
  return int(z?.size ?? 0);
}

function zcount(ctx: Ctx, argv: string[]): Reply {
  const range = parseScoreRange(argv[2], argv[3]);
  if (!range) return RANGE_NOT_FLOAT;
  const z = zsetFor(ctx, argv[1]);
  if (z === 'wrongtype') return WRONGTYPE;
  if (!z) return ZERO;
  let n = 0;
  for (const m of z.order) if (inScoreRange(range, z.scores.get(m)!)) n++;
  return int(n);
}

function zrank(ctx: Ctx, argv: string[], rev: boolean): Reply {
  const z = zsetFor(ctx, argv[1]);
  if (z === 'wrongtype') return WRONGTYPE;
  if (!z) return NIL;
  const r = z.rank(argv[2]);
  if (r === undefined) return NIL;
  return int(rev ? z.size - 1 - r : r);
}

type RangeType = 'auto' | 'rank' | 'score' | 'lex';
type Direction = 'auto' | 'forward' | 'reverse';

/** zrangeGenericCommand: ZRANGE and its older forms, options checked in Redis's order */
function zrangeGeneric(ctx: Ctx, argv: string[], rangeType: RangeType, direction: Direction): Reply {
  let scores = false;
  let offset = 0;
  let limit = -1;
  for (let j = 4; j < argv.length; j++) {
    const o = argv[j].toLowerCase();
    const left = argv.length - j - 1;
    if (o === 'withscores') scores = true;
    else if (o === 'limit' && left >= 2) {
      const a = parseLL(argv[j + 1]);
      const b = a === undefined ? undefined : parseLL(argv[j + 2]);
      if (a === undefined || b === undefined) return NOT_INTEGER;
      offset = a;
      limit = b;
      j += 2;
    } else if (direction === 'auto' && o === 'rev') direction = 'reverse';
    else if (rangeType === 'auto' && o === 'bylex') rangeType = 'lex';
    else if (rangeType === 'auto' && o === 'byscore') rangeType = 'score';
    else return SYNTAX;
  }
  if (direction === 'auto') direction = 'forward';
  if (rangeType === 'auto') rangeType = 'rank';
  if (limit !== -1 && rangeType === 'rank') return error('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  if (scores && rangeType === 'lex') return error('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  const rev = direction === 'reverse';
  let minArg = argv[2];
  let maxArg = argv[3];
  if (rev && rangeType !== 'rank') [minArg, maxArg] = [maxArg, minArg];
  const key = argv[1];

  if (rangeType === 'rank') {
    let start = parseLL(minArg);
    let end = start === undefined ? undefined : parseLL(maxArg);
    if (start === undefined || end === undefined) return NOT_INTEGER;
    const z = zsetFor(ctx, key);
    if (z === 'wrongtype') return WRONGTYPE;
    if (!z) return EMPTY_ARRAY;
    const n = z.size;
    if (start < 0) start = n + start;
    if (end < 0) end = n + end;
    if (start < 0) start = 0;
    if (start > end || start >= n) return EMPTY_ARRAY;
    if (end >= n) end = n - 1;
    const picked = rev ? z.order.slice(n - 1 - end, n - start).reverse() : z.order.slice(start, end + 1);
    return withScores(z, picked, scores);
  }

  let test: (m: string, s: number) => boolean;
  if (rangeType === 'score') {
    const range = parseScoreRange(minArg, maxArg);
    if (!range) return RANGE_NOT_FLOAT;
    test = (_m, s) => inScoreRange(range, s);
  } else {
    const lo = parseLexBound(minArg);
    const hi = parseLexBound(maxArg);
    if (!lo || !hi) return LEX_RANGE_BAD;
    test = (m) => lexGteMin(m, lo) && lexLteMax(m, hi);
  }
  const z = zsetFor(ctx, key);
  if (z === 'wrongtype') return WRONGTYPE;
  if (!z) return EMPTY_ARRAY;
  const inOrder = rev ? [...z.order].reverse() : z.order;
  const matching = inOrder.filter((m) => test(m, z.scores.get(m)!));
  // a negative offset skips everything; a negative limit takes everything
  if (offset < 0) return EMPTY_ARRAY;
  const picked = limit < 0 ? matching.slice(offset) : matching.slice(offset, offset + limit);
  return withScores(z, picked, scores);
}

// ---- removals -----------------------------------------------------------------------------

function zrem(ctx: Ctx, argv: string[]): Reply {
  const z = zsetFor(ctx, argv[1]);
  if (z === 'wrongtype') return WRONGTYPE;
  if (!z) return ZERO;
  let n = 0;
  for (let i = 2; i < argv.length; i++) if (z.delete(argv[i])) n++;
  if (n) removed(ctx, argv[1]);
  return int(n);
}

function zremrangebyscore(ctx: Ctx, argv: string[]): Reply {
  const range = parseScoreRange(argv[2], argv[3]);
  if (!range) return RANGE_NOT_FLOAT;
  const z = zsetFor(ctx, argv[1]);
  if (z === 'wrongtype') return WRONGTYPE;
  if (!z) return ZERO;
  const gone = z.order.filter((m) => inScoreRange(range, z.scores.get(m)!));
  for (const m of gone) z.delete(m);
  if (gone.length) removed(ctx, argv[1]);
  return int(gone.length);
}

function zremrangebyrank(ctx: Ctx, argv: string[]): Reply {
  let start = parseLL(argv[2]);
  let end = start === undefined ? undefined : parseLL(argv[3]);
  if (start === undefined || end === undefined) return NOT_INTEGER;
  const z = zsetFor(ctx, argv[1]);
  if (z === 'wrongtype') return WRONGTYPE;
  if (!z) return ZERO;
  const n = z.size;
  if (start < 0) start = n + start;
  if (end < 0) end = n + end;
  if (start < 0) start = 0;
  if (start > end || start >= n) return ZERO;
  if (end >= n) end = n - 1;
  const gone = z.order.slice(start, end + 1);
  for (const m of gone) z.delete(m);
  removed(ctx, argv[1]);
  return int(gone.length);
}

/** members in a lex range (defined when all scores are equal, as Redis documents) */
function lexRange(argv: string[]): ((m: string) => boolean) | undefined {
  const lo = parseLexBound(argv[2]);
  const hi = parseLexBound(argv[3]);
  if (!lo || !hi) return undefined;
  return (m) => lexGteMin(m, lo) && lexLteMax(m, hi);
}

function zlexcount(ctx: Ctx, argv: string[]): Reply {
  const test = lexRange(argv);
  if (!test) return LEX_RANGE_BAD;
  const z = zsetFor(ctx, argv[1]);
  if (z === 'wrongtype') return WRONGTYPE;
  if (!z) return ZERO;
  return int(z.order.filter(test).length);
}

function zremrangebylex(ctx: Ctx, argv: string[]): Reply {
  const test = lexRange(argv);
  if (!test) return LEX_RANGE_BAD;
  const z = zsetFor(ctx, argv[1]);
  if (z === 'wrongtype') return WRONGTYPE;
  if (!z) return ZERO;
  const gone = z.order.filter(test);
  for (const m of gone) z.delete(m);
  if (gone.length) removed(ctx, argv[1]);
  return int(gone.length);
}

// ---- pops ---------------------------------------------------------------------------------

/** take up to count members from the low (min) or high end; the key is deleted once empty */
function popFrom(ctx: Ctx, key: string, z: ZSet, min: boolean, count: number): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  while (out.length < count && z.size) {
    const m = min ? z.order[0] : z.order[z.size - 1];
    out.push([m, z.scores.get(m)!]);
    z.delete(m);
  }
  if (out.length) removed(ctx, key);
  return out;
}

function zpop(ctx: Ctx, argv: string[], min: boolean): Reply {
  if (argv.length > 3) return SYNTAX;
  let count = 1;
  if (argv.length === 3) {
    const n = parseLL(argv[2]);
    if (n === undefined || n < 0) return error('ERR value is out of range, must be positive');
    count = n;
  }
  const z = zsetFor(ctx, argv[1]);
  if (z === 'wrongtype') return WRONGTYPE;
  if (!z || count === 0) return EMPTY_ARRAY;
  const out: Reply[] = [];
  for (const [m, s] of popFrom(ctx, argv[1], z, min, count)) out.push(bulk(m), bulk(formatScore(s)));
  return array(out);
}

function bzpop(ctx: Ctx, argv: string[], min: boolean): Reply | BlockRequest {
  const timeout = parseTimeoutSeconds(argv[argv.length - 1]);
  if (typeof timeout !== 'number') return timeout;
  const keyList = argv.slice(1, -1);
  for (const k of keyList) {
    const z = zsetFor(ctx, k);
    if (z === 'wrongtype') return WRONGTYPE;
    if (z && z.size) return serve(ctx, k, min)!;
  }
  if (ctx.nonBlocking) return NIL_ARRAY;
  return { kind: 'block', keys: keyList, timeoutMs: timeout, tryServe: (c, key) => serve(c, key, min) };
}

function serve(ctx: Ctx, key: string, min: boolean): Reply | undefined {
  const v = ctx.db.get(key);
  if (!v || v.type !== 'zset' || v.v.size === 0) return undefined;
  const [[m, s]] = popFrom(ctx, key, v.v, min, 1);
  return array([bulk(key), bulk(m), bulk(formatScore(s))]);
}

export const ZSET_COMMANDS: Record<string, CommandSpec> = {
  zadd: { arity: -4, handler: (c, a) => zaddGeneric(c, a, false) },
  zincrby: { arity: 4, handler: (c, a) => zaddGeneric(c, a, true) },
  zrem: { arity: -3, handler: zrem },
  zscore: { arity: 3, handler: zscore },
  zmscore: { arity: -3, handler: zmscore },
  zcard: { arity: 2, handler: zcard },
  zcount: { arity: 4, handler: zcount },
  zrank: { arity: 3, handler: (c, a) => zrank(c, a, false) },
  zrevrank: { arity: 3, handler: (c, a) => zrank(c, a, true) },
  zrange: { arity: -4, handler: (c, a) => zrangeGeneric(c, a, 'auto', 'auto') },
  zrevrange: { arity: -4, handler: (c, a) => zrangeGeneric(c, a, 'rank', 'reverse') },
  zrangebyscore: { arity: -4, handler: (c, a) => zrangeGeneric(c, a, 'score', 'forward') },
  zrevrangebyscore: { arity: -4, handler: (c, a) => zrangeGeneric(c, a, 'score', 'reverse') },
  zrangebylex: { arity: -4, handler: (c, a) => zrangeGeneric(c, a, 'lex', 'forward') },
  zrevrangebylex: { arity: -4, handler: (c, a) => zrangeGeneric(c, a, 'lex', 'reverse') },
  zremrangebyscore: { arity: 4, handler: zremrangebyscore },
  zremrangebyrank: { arity: 4, handler: zremrangebyrank },
  zremrangebylex: { arity: 4, handler: zremrangebylex },
  zlexcount: { arity: 4, handler: zlexcount },
  zpopmin: { arity: -2, handler: (c, a) => zpop(c, a, true) },
  zpopmax: { arity: -2, handler: (c, a) => zpop(c, a, false) },
  bzpopmin: { arity: -3, handler: (c, a) => bzpop(c, a, true), noscript: true },
  bzpopmax: { arity: -3, handler: (c, a) => bzpop(c, a, false), noscript: true },
  zscan: { arity: -3, handler: (c, a) => scanCollection(c, a, 'zset', (z) => z.v.order.map((m) => [m, formatScore(z.v.scores.get(m)!)])) },
};
