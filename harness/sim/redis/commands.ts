// Keyspace, string, hash, set, connection and server commands, with Redis 7.0's
// replies and error texts.

import type { CommandSpec, ConnState, Ctx } from './context.ts';
import type { Value } from './keyspace.ts';
import {
  array,
  bulk,
  bulks,
  EMPTY_ARRAY,
  error,
  errorf,
  int,
  NIL,
  NOT_INTEGER,
  OK,
  ONE,
  status,
  SYNTAX,
  WRONGTYPE,
  ZERO,
  type Reply,
} from './reply.ts';

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

/** Redis's string2ll: canonical decimal in int64 range, else undefined */
export function parseLL(s: string): number | undefined {
  if (s.length === 0 || s.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(s)) return undefined;
  if (s.length < 16) return Number(s);
  const b = BigInt(s);
  return b > LLONG_MAX || b < LLONG_MIN ? undefined : Number(b);
}

/** Redis's string2ld / strtold for timeouts: a finite decimal float */
export function parseFloatArg(s: string): number | undefined {
  if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) || /\s$/.test(s)) {
    if (/^[-+]?inf(inity)?$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    return undefined;
  }
  const n = Number(s);
  return Number.isNaN(n) ? undefined : n;
}

export function typed<T extends Value['type']>(ctx: Ctx, key: string, type: T): Extract<Value, { type: T }> | undefined | 'wrongtype' {
  const v = ctx.db.get(key);
  if (v === undefined) return undefined;
  if (v.type !== type) return 'wrongtype';
  return v as Extract<Value, { type: T }>;
}

const U64_MAX_CURSOR = 18446744073709551615n;

/** a SCAN-family cursor as strtoul reads it (parseScanCursorOrReply): sign and digits, or nothing, within 64 bits */
export function validCursor(s: string): boolean {
  if (s === '') return true;
  const m = /^[+-]?(\d+)$/.exec(s);
  return m !== null && BigInt(m[1]) <= U64_MAX_CURSOR;
}

/** Redis's stringmatchlen (glob: * ? [a-z] [^x] \x) */
export function globMatch(pattern: string, s: string, nocase = false): boolean {
  const p = nocase ? pattern.toLowerCase() : pattern;
  const t = nocase ? s.toLowerCase() : s;
  return matchAt(p, 0, t, 0);
}

function matchAt(p: string, pi: number, s: string, si: number): boolean {
  while (pi < p.length) {
    const c = p[pi];
    if (c === '*') {
      while (p[pi + 1] === '*') pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k <= s.length; k++) if (matchAt(p, pi + 1, s, k)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === '?') {
      pi++;
      si++;
      continue;
    }
    if (c === '[') {
      pi++;
      const not = p[pi] === '^';
      if (not) pi++;
      let match = false;
      for (;;) {
        if (pi >= p.length) {
          pi--;
          break;
        }
        if (p[pi] === '\\' && pi + 2 <= p.length - 1 + 1 && pi + 1 < p.length) {
          pi++;
          if (p[pi] === s[si]) match = true;
        } else if (p[pi] === ']') {
          break;
        } else if (pi + 2 < p.length && p[pi + 1] === '-') {
          let a = p[pi];
          let b = p[pi + 2];
          if (a > b) [a, b] = [b, a];
          if (s[si] >= a && s[si] <= b) match = true;
          pi += 2;
        } else if (p[pi] === s[si]) {
          match = true;
        }
        pi++;
      }
      if (not) match = !match;
      if (!match) return false;
      pi++;
      si++;
      continue;
    }
    if (c === '\\' && pi + 1 < p.length) pi++;
    if (p[pi] !== s[si]) return false;
    pi++;
    si++;
  }
  return si === s.length;
}

// ---- keys ---------------------------------------------------------------------------

function del(ctx: Ctx, argv: string[]): Reply {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (ctx.db.delete(argv[i])) n++;
  return int(n);
}

function exists(ctx: Ctx, argv: string[]): Reply {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (ctx.db.has(argv[i])) n++;
  return int(n);
}

function type(ctx: Ctx, argv: string[]): Reply {
  const v = ctx.db.get(argv[1]);
  return status(v ? v.type : 'none');
}

function pexpire(ctx: Ctx, argv: string[]): Reply {
  return expireGeneric(ctx, argv, 1, 'pexpire', ctx.now);
}
function expire(ctx: Ctx, argv: string[]): Reply {
  return expireGeneric(ctx, argv, 1000, 'expire', ctx.now);
}

/** EXPIRE, PEXPIRE (base: now) and EXPIREAT, PEXPIREAT (base: 0) */
export function expireGeneric(ctx: Ctx, argv: string[], unit: number, name: string, base: number): Reply {
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  for (let i = 3; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    if (o === 'nx') nx = true;
    else if (o === 'xx') xx = true;
    else if (o === 'gt') gt = true;
    else if (o === 'lt') lt = true;
    else return errorf`ERR Unsupported option ${argv[i]}`;
  }
  if (nx && (xx || gt || lt)) return error('ERR NX and XX, GT or LT options at the same time are not compatible');
  if (gt && lt) return error('ERR GT and LT options at the same time are not compatible');
  const n = parseLL(argv[2]);
  if (n === undefined) return NOT_INTEGER;
  // the overflow checks of expireGenericCommand: the unit conversion, then adding the base
  const ms = BigInt(argv[2]) * BigInt(unit);
  if (ms > LLONG_MAX || ms < LLONG_MIN || ms > LLONG_MAX - BigInt(base)) return error(`ERR invalid expire time in '${name}' command`);
  const when = n * unit + base;
  const key = argv[1];
  if (!ctx.db.has(key)) return ZERO;
  const current = ctx.db.getExpire(key);
  if (nx && current !== undefined) return ZERO;
  if (xx && current === undefined) return ZERO;
  if (gt && (current === undefined || when <= current)) return ZERO;
  if (lt && current !== undefined && when >= current) return ZERO;
  if (when <= ctx.now) {
    ctx.db.delete(key);
    return ONE;
  }
  ctx.db.setExpire(key, when);
  touch(ctx, key);
  return ONE;
}

/** a change that is not a new value (TTL, in-place container edits): WATCH must see it */
export function touch(ctx: Ctx, key: string): void {
  ctx.db.touch(key);
}

function pttl(ctx: Ctx, argv: string[]): Reply {
  return ttlGeneric(ctx, argv[1], 1);
}
function ttl(ctx: Ctx, argv: string[]): Reply {
  return ttlGeneric(ctx, argv[1], 1000);
}
function ttlGeneric(ctx: Ctx, key: string, unit: number): Reply {
  if (!ctx.db.has(key)) return int(-2);
  const when = ctx.db.getExpire(key);
  if (when === undefined) return int(-1);
  const left = Math.max(0, when - ctx.now);
  return int(unit === 1 ? left : Math.floor((left + 500) / 1000));
}

function persist(ctx: Ctx, argv: string[]): Reply {
  if (!ctx.db.has(argv[1])) return ZERO;
  if (!ctx.db.persist(argv[1])) return ZERO;
  touch(ctx, argv[1]);
  return ONE;
}

function keys(ctx: Ctx, argv: string[]): Reply {
  const pattern = argv[1];
  const all = pattern === '*';
  return bulks(ctx.db.keys().filter((k) => all || globMatch(pattern, k)));
}

function scan(ctx: Ctx, argv: string[]): Reply {
  if (!validCursor(argv[1])) return error('ERR invalid cursor');
  let pattern: string | undefined;
  let typeFilter: string | undefined;
  for (let i = 2; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    const left = argv.length - i - 1;
    if (o === 'count' && left >= 1) {
      const n = parseLL(argv[++i]);
      if (n === undefined) return NOT_INTEGER;
      if (n < 1) return SYNTAX;
    } else if (o === 'match' && left >= 1) {
      pattern = argv[++i];
    } else if (o === 'type' && left >= 1) {
      typeFilter = argv[++i].toLowerCase();
    } else {
      return SYNTAX;
    }
  }
  // one pass: every key, cursor 0 (a client iterating to cursor 0 sees the same set)
  const found = ctx.db.keys().filter((k) => (pattern === undefined || globMatch(pattern, k)) && (typeFilter === undefined || ctx.db.get(k)?.type === typeFilter));
  return array([bulk('0'), bulks(found)]);
}

function flushall(ctx: Ctx, argv: string[]): Reply {
  if (argv.length > 2) return SYNTAX;
  if (argv.length === 2 && !['async', 'sync'].includes(argv[1].toLowerCase())) return SYNTAX;
  ctx.server.flushAll();
  return OK;
}

function dbsize(ctx: Ctx): Reply {
  return int(ctx.db.size());
}

// ---- strings ------------------------------------------------------------------------

function get(ctx: Ctx, argv: string[]): Reply {
  const v = typed(ctx, argv[1], 'string');
  if (v === 'wrongtype') return WRONGTYPE;
  return bulk(v ? v.v : null);
}

function set(ctx: Ctx, argv: string[]): Reply {
  let nx = false;
  let xx = false;
  let getOld = false;
  let keepTtl = false;
  let expireAt: number | undefined;
  let expireKind: string | undefined;
  for (let i = 3; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    const hasNext = i + 1 < argv.length;
    if (o === 'nx' && !xx) nx = true;
    else if (o === 'xx' && !nx) xx = true;
    else if (o === 'get') getOld = true;
    else if (o === 'keepttl' && !expireKind) keepTtl = true;
    else if ((o === 'ex' || o === 'px' || o === 'exat' || o === 'pxat') && !keepTtl && !expireKind && hasNext) {
      expireKind = o;
      const n = parseLL(argv[++i]);
      if (n === undefined) return NOT_INTEGER;
      if (n <= 0) return error("ERR invalid expire time in 'set' command");
      const ms = o === 'ex' || o === 'exat' ? n * 1000 : n;
      if (ms > 9.2e18) return error("ERR invalid expire time in 'set' command");
      expireAt = o === 'ex' || o === 'px' ? ctx.now + ms : ms;
    } else return SYNTAX;
  }
  const key = argv[1];
  const old = ctx.db.get(key);
  if (getOld && old && old.type !== 'string') return WRONGTYPE;
  const oldReply = getOld ? bulk(old && old.type === 'string' ? old.v : null) : undefined;
  if ((nx && old) || (xx && !old)) return oldReply ?? NIL;
  ctx.db.set(key, { type: 'string', v: argv[2] }, keepTtl);
  if (expireAt !== undefined) ctx.db.setExpire(key, expireAt);
  return oldReply ?? OK;
}

function incrby(ctx: Ctx, key: string, by: number | bigint): Reply {
  const v = typed(ctx, key, 'string');
  if (v === 'wrongtype') return WRONGTYPE;
  const cur = v ? parseLL(v.v) : 0;
  if (cur === undefined) return NOT_INTEGER;
  // exact past 2^53: the stored text, not its double
  const next = BigInt(v ? v.v : '0') + BigInt(by);
  if (next > LLONG_MAX || next < LLONG_MIN) return error('ERR increment or decrement would overflow');
  ctx.db.set(key, { type: 'string', v: next.toString() }, true);
  return int(Number(next));
}

function incr(ctx: Ctx, argv: string[]): Reply {
  return incrby(ctx, argv[1], 1);
}
function decr(ctx: Ctx, argv: string[]): Reply {
  return incrby(ctx, argv[1], -1);
}
function incrbyCmd(ctx: Ctx, argv: string[]): Reply {
  const n = parseLL(argv[2]);
  if (n === undefined) return NOT_INTEGER;
  return incrby(ctx, argv[1], BigInt(argv[2]));
}

// ---- hashes -------------------------------------------------------------------------

function hashFor(ctx: Ctx, key: string, create: boolean): Map<string, string> | undefined | 'wrongtype' {
  const v = typed(ctx, key, 'hash');
  if (v === 'wrongtype') return v;
  if (v) return v.v;
  if (!create) return undefined;
  const m = new Map<string, string>();
  ctx.db.create(key, { type: 'hash', v: m });
  return m;
}

function hset(ctx: Ctx, argv: string[]): Reply {
  if (argv.length % 2 !== 0) return error(`ERR wrong number of arguments for '${argv[0].toLowerCase()}' command`);
  const h = hashFor(ctx, argv[1], true);
  if (h === 'wrongtype') return WRONGTYPE;
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) {
    if (!h!.has(argv[i])) created++;
    h!.set(argv[i], argv[i + 1]);
  }
  touch(ctx, argv[1]);
  return argv[0].toLowerCase() === 'hmset' ? OK : int(created);
}

function hsetnx(ctx: Ctx, argv: string[]): Reply {
  const h = hashFor(ctx, argv[1], true);
  if (h === 'wrongtype') return WRONGTYPE;
  if (h!.has(argv[2])) return ZERO;
  h!.set(argv[2], argv[3]);
  touch(ctx, argv[1]);
  return ONE;
}

function hget(ctx: Ctx, argv: string[]): Reply {
  const h = hashFor(ctx, argv[1], false);
  if (h === 'wrongtype') return WRONGTYPE;
  return bulk(h?.get(argv[2]) ?? null);
}

function hmget(ctx: Ctx, argv: string[]): Reply {
  const h = hashFor(ctx, argv[1], false);
  if (h === 'wrongtype') return WRONGTYPE;
  return array(argv.slice(2).map((f) => bulk(h?.get(f) ?? null)));
}

function hgetall(ctx: Ctx, argv: string[]): Reply {
  const h = hashFor(ctx, argv[1], false);
  if (h === 'wrongtype') return WRONGTYPE;
  if (!h) return EMPTY_ARRAY;
  const out: Reply[] = [];
  for (const [k, v] of h) out.push(bulk(k), bulk(v));
  return array(out);
}

function hdel(ctx: Ctx, argv: string[]): Reply {
  const h = hashFor(ctx, argv[1], false);
  if (h === 'wrongtype') return WRONGTYPE;
  if (!h) return ZERO;
  let n = 0;
  for (let i = 2; i < argv.length; i++) if (h.delete(argv[i])) n++;
  if (n > 0) {
    touch(ctx, argv[1]);
    ctx.db.deleteIfEmpty(argv[1]);
  }
  return int(n);
}

function hexists(ctx: Ctx, argv: string[]): Reply {
  const h = hashFor(ctx, argv[1], false);
  if (h === 'wrongtype') return WRONGTYPE;
  return h?.has(argv[2]) ? ONE : ZERO;
}

function hlen(ctx: Ctx, argv: string[]): Reply {
  const h = hashFor(ctx, argv[1], false);
  if (h === 'wrongtype') return WRONGTYPE;
  return int(h?.size ?? 0);
}

function hincrby(ctx: Ctx, argv: string[]): Reply {
  const by = parseLL(argv[3]);
  if (by === undefined) return NOT_INTEGER;
  const h = hashFor(ctx, argv[1], false);
  if (h === 'wrongtype') return WRONGTYPE;
  const cur = h?.get(argv[2]);
  const n = cur === undefined ? 0 : parseLL(cur);
  if (n === undefined) return error('ERR hash value is not an integer');
  const next = BigInt(n) + BigInt(by);
  if (next > LLONG_MAX || next < LLONG_MIN) return error('ERR increment or decrement would overflow');
  const target = h ?? (hashFor(ctx, argv[1], true) as Map<string, string>);
  target.set(argv[2], next.toString());
  touch(ctx, argv[1]);
  return int(Number(next));
}

// ---- sets ---------------------------------------------------------------------------

function setFor(ctx: Ctx, key: string, create: boolean): Set<string> | undefined | 'wrongtype' {
  const v = typed(ctx, key, 'set');
  if (v === 'wrongtype') return v;
  if (v) return v.v;
  if (!create) return undefined;
  const s = new Set<string>();
  ctx.db.create(key, { type: 'set', v: s });
  return s;
}

function sadd(ctx: Ctx, argv: string[]): Reply {
  const s = setFor(ctx, argv[1], true);
  if (s === 'wrongtype') return WRONGTYPE;
  let n = 0;
  for (let i = 2; i < argv.length; i++) {
    if (!s!.has(argv[i])) {
      s!.add(argv[i]);
      n++;
    }
  }
  if (n > 0) touch(ctx, argv[1]);
  return int(n);
}

function srem(ctx: Ctx, argv: string[]): Reply {
  const s = setFor(ctx, argv[1], false);
  if (s === 'wrongtype') return WRONGTYPE;
  if (!s) return ZERO;
  let n = 0;
  for (let i = 2; i < argv.length; i++) if (s.delete(argv[i])) n++;
  if (n > 0) {
    touch(ctx, argv[1]);
    ctx.db.deleteIfEmpty(argv[1]);
  }
  return int(n);
}

function smembers(ctx: Ctx, argv: string[]): Reply {
  const s = setFor(ctx, argv[1], false);
  if (s === 'wrongtype') return WRONGTYPE;
  return bulks(s ? [...s] : []);
}

function sismember(ctx: Ctx, argv: string[]): Reply {
  const s = setFor(ctx, argv[1], false);
  if (s === 'wrongtype') return WRONGTYPE;
  return s?.has(argv[2]) ? ONE : ZERO;
}

function scard(ctx: Ctx, argv: string[]): Reply {
  const s = setFor(ctx, argv[1], false);
  if (s === 'wrongtype') return WRONGTYPE;
  return int(s?.size ?? 0);
}

// ---- blocking timeouts ------------------------------------------------------------

/** "timeout" argument of blocking list commands, seconds as a float → ms (Redis rounds up) */
export function parseTimeoutSeconds(s: string): number | Reply {
  const f = parseFloatArg(s);
  if (f === undefined || Number.isNaN(f)) return error('ERR timeout is not a float or out of range');
  if (f < 0) return error('ERR timeout is negative');
  const ms = Math.ceil(f * 1000);
  if (!Number.isFinite(ms) || ms > 9.2e18) return error('ERR timeout is out of range');
  return ms;
}

// ---- connection & server -------------------------------------------------------------

function ping(ctx: Ctx, argv: string[]): Reply {
  if (argv.length > 2) return error("ERR wrong number of arguments for 'ping' command");
  if (ctx.conn.channels.size + ctx.conn.patterns.size > 0) return array([bulk('pong'), bulk(argv[1] ?? '')]);
  return argv.length === 2 ? bulk(argv[1]) : status('PONG');
}

function auth(ctx: Ctx, argv: string[]): Reply {
  if (argv.length > 3) return SYNTAX;
  const password = ctx.server.password;
  if (argv.length === 2 && password === undefined) {
    return error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
  }
  const user = argv.length === 3 ? argv[1] : 'default';
  const given = argv[argv.length - 1];
  if (user === 'default' && (password === undefined || given === password)) {
    ctx.conn.authed = true;
    return OK;
  }
  return error('WRONGPASS invalid username-password pair or user is disabled.');
}

function select(_ctx: Ctx, argv: string[]): Reply {
  const n = parseLL(argv[1]);
  if (n === undefined) return NOT_INTEGER;
  // one database is modelled: the system under test never selects another
  if (n !== 0) return error('ERR DB index is out of range');
  return OK;
}

function info(ctx: Ctx): Reply {
  const lines = [
    '# Server',
    'redis_version:7.0.15',
    'redis_mode:standalone',
    'arch_bits:64',
    `uptime_in_seconds:0`,
    '',
    '# Persistence',
    'loading:0',
    'async_loading:0',
    '',
    '# Keyspace',
    ...(ctx.db.size() ? [`db0:keys=${ctx.db.size()},expires=0,avg_ttl=0`] : []),
    '',
  ];
  return bulk(lines.join('\r\n'));
}

function time(ctx: Ctx): Reply {
  const us = ctx.nowUs;
  return bulks([String(Math.floor(us / 1e6)), String(us % 1e6)]);
}

function clientSetname(ctx: Ctx, argv: string[]): Reply {
  const name = argv[2];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 33 || c > 126) return error('ERR Client names cannot contain spaces, newlines or special characters.');
  }
  ctx.conn.name = name === '' ? null : name;
  return OK;
}

function clientGetname(ctx: Ctx): Reply {
  return bulk(ctx.conn.name);
}

function clientId(ctx: Ctx): Reply {
  return int(ctx.conn.id);
}

/**
 * One CLIENT LIST line, with redis-server 7.0's fields in its order. What describes the
 * connection (id, name, flags, db, subscriptions, MULTI, the last command, user, resp) is the
 * simulation's; what describes sockets and memory (addr, fd, buffers) is a plausible constant.
 * (Run by EXEC, redis-server still shows flags=x and multi=<queued>; here N and -1.)
 */
function clientLine(c: ConnState): string {
  const flags = (c.channels.size + c.patterns.size > 0 ? 'P' : '') + (c.multi ? 'x' : '') + (c.blocked ? 'b' : '') || 'N';
  const fields = [
    `id=${c.id}`,
    `addr=127.0.0.1:${40000 + c.id}`,
    'laddr=127.0.0.1:6379',
    `fd=${7 + c.id}`,
    `name=${c.name ?? ''}`,
    'age=0',
    'idle=0',
    `flags=${flags}`,
    'db=0',
    `sub=${c.channels.size}`,
    `psub=${c.patterns.size}`,
    'ssub=0',
    `multi=${c.multi ? c.multi.length : -1}`,
    'qbuf=0',
    'qbuf-free=0',
    'argv-mem=0',
    'multi-mem=0',
    'rbs=1024',
    'rbp=0',
    'obl=0',
    'oll=0',
    'omem=0',
    'tot-mem=0',
    'events=r',
    `cmd=${c.lastCmd}`,
    'user=default',
    'redir=-1',
    'resp=2',
  ];
  return fields.join(' ') + '\n';
}

function clientInfo(ctx: Ctx): Reply {
  return bulk(clientLine(ctx.conn));
}

/** CLIENT LIST [TYPE normal|master|replica|slave|pubsub] | [ID id ...] */
function clientList(ctx: Ctx, argv: string[]): Reply {
  let keep = (_c: ConnState) => true;
  if (argv.length === 4 && argv[2].toLowerCase() === 'type') {
    const t = argv[3].toLowerCase();
    if (t === 'normal') keep = (c) => c.channels.size + c.patterns.size === 0;
    else if (t === 'pubsub') keep = (c) => c.channels.size + c.patterns.size > 0;
    else if (t === 'master' || t === 'replica' || t === 'slave') keep = () => false;
    else return error(`ERR Unknown client type '${argv[3]}'`);
  } else if (argv.length > 3 && argv[2].toLowerCase() === 'id') {
    // in the order given, a repeated id repeated
    const byId = new Map(ctx.server.clients().map((c) => [c.id, c]));
    let out = '';
    for (let i = 3; i < argv.length; i++) {
      const n = parseLL(argv[i]);
      if (n === undefined) return error('ERR Invalid client ID');
      const c = byId.get(n);
      if (c) out += clientLine(c);
    }
    return bulk(out);
  } else if (argv.length !== 2) return SYNTAX;
  return bulk(
    ctx.server
      .clients()
      .filter(keep)
      .map(clientLine)
      .join(''),
  );
}

function publish(ctx: Ctx, argv: string[]): Reply {
  return int(ctx.server.publish(argv[1], argv[2]));
}

function subscribe(ctx: Ctx, argv: string[]): 'pushed-only' {
  ctx.server.subscribe(ctx.conn, argv.slice(1));
  return 'pushed-only';
}

function unsubscribe(ctx: Ctx, argv: string[]): 'pushed-only' {
  ctx.server.unsubscribe(ctx.conn, argv.slice(1));
  return 'pushed-only';
}

function psubscribe(ctx: Ctx, argv: string[]): 'pushed-only' {
  ctx.server.psubscribe(ctx.conn, argv.slice(1));
  return 'pushed-only';
}

function punsubscribe(ctx: Ctx, argv: string[]): 'pushed-only' {
  ctx.server.punsubscribe(ctx.conn, argv.slice(1));
  return 'pushed-only';
}

// ---- scripting ----------------------------------------------------------------------

function evalArgs(argv: string[]): { keys: string[]; args: string[] } | Reply {
  const n = parseLL(argv[2]);
  if (n === undefined) return NOT_INTEGER;
  if (n < 0) return error("ERR Number of keys can't be negative");
  if (n > argv.length - 3) return error("ERR Number of keys can't be greater than number of args");
  return { keys: argv.slice(3, 3 + n), args: argv.slice(3 + n) };
}

function evalCmd(ctx: Ctx, argv: string[]): Reply {
  const a = evalArgs(argv);
  if ('t' in a) return a;
  return ctx.server.eval(ctx, argv[1], a.keys, a.args);
}

function evalsha(ctx: Ctx, argv: string[]): Reply {
  const a = evalArgs(argv);
  if ('t' in a) return a;
  return ctx.server.evalSha(ctx, argv[1].toLowerCase(), a.keys, a.args);
}

export const BASE_COMMANDS: Record<string, CommandSpec> = {
  del: { arity: -2, handler: del },
  unlink: { arity: -2, handler: del },
  exists: { arity: -2, handler: exists },
  type: { arity: 2, handler: type },
  pexpire: { arity: -3, handler: pexpire },
  expire: { arity: -3, handler: expire },
  pttl: { arity: 2, handler: pttl },
  ttl: { arity: 2, handler: ttl },
  persist: { arity: 2, handler: persist },
  keys: { arity: 2, handler: keys },
  scan: { arity: -2, handler: scan },
  flushall: { arity: -1, handler: flushall },
  flushdb: { arity: -1, handler: flushall },
  dbsize: { arity: 1, handler: dbsize },
  get: { arity: 2, handler: get },
  set: { arity: -3, handler: set },
  incr: { arity: 2, handler: incr },
  decr: { arity: 2, handler: decr },
  incrby: { arity: 3, handler: incrbyCmd },
  hset: { arity: -4, handler: hset },
  hmset: { arity: -4, handler: hset },
  hsetnx: { arity: 4, handler: hsetnx },
  hget: { arity: 3, handler: hget },
  hmget: { arity: -3, handler: hmget },
  hgetall: { arity: 2, handler: hgetall },
  hdel: { arity: -3, handler: hdel },
  hexists: { arity: 3, handler: hexists },
  hlen: { arity: 2, handler: hlen },
  hincrby: { arity: 4, handler: hincrby },
  sadd: { arity: -3, handler: sadd },
  srem: { arity: -3, handler: srem },
  smembers: { arity: 2, handler: smembers },
  sismember: { arity: 3, handler: sismember },
  scard: { arity: 2, handler: scard },
  ping: { arity: -1, handler: ping, pubsubOk: true },
  echo: { arity: 2, handler: (_c, a) => bulk(a[1]) },
  auth: { arity: -2, handler: auth, noauth: true, noscript: true },
  select: { arity: 2, handler: select },
  info: { arity: -1, handler: info },
  time: { arity: 1, handler: time },
  client: {
    arity: -2,
    noscript: true,
    subcommands: {
      setname: { arity: 3, handler: clientSetname },
      getname: { arity: 2, handler: clientGetname },
      id: { arity: 2, handler: clientId },
      info: { arity: 2, handler: clientInfo },
      list: { arity: -2, handler: clientList },
    },
  },
  publish: { arity: 3, handler: publish },
  subscribe: { arity: -2, handler: subscribe, noscript: true, pubsubOk: true },
  unsubscribe: { arity: -1, handler: unsubscribe, noscript: true, pubsubOk: true },
  psubscribe: { arity: -2, handler: psubscribe, noscript: true, pubsubOk: true },
  punsubscribe: { arity: -1, handler: punsubscribe, noscript: true, pubsubOk: true },
  eval: { arity: -3, handler: evalCmd, noscript: true },
  evalsha: { arity: -3, handler: evalsha, noscript: true },
  script: {
    arity: -2,
    noscript: true,
    subcommands: {
      load: { arity: 3, handler: (c, a) => c.server.scriptLoad(a[2]) },
      exists: { arity: -3, handler: (c, a) => c.server.scriptExists(a.slice(2)) },
      flush: {
        arity: -2,
        handler: (c, a) => {
          if (a.length > 3 || (a.length === 3 && !['async', 'sync'].includes(a[2].toLowerCase()))) {
            return error('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
          }
          c.server.scriptFlush();
          return OK;
        },
      },
    },
  },
};
