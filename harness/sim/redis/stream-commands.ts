// Stream commands (XADD ... XINFO): argument parsing, error texts and replies as Redis 7.0
// gives them. The stream semantics themselves are in streams.ts.

import { parseLL, touch, typed } from './commands.ts';
import type { BlockRequest, CommandSpec, Ctx } from './context.ts';
import { array, bulk, bulks, EMPTY_ARRAY, error, errorf, int, NIL, NIL_ARRAY, NOT_INTEGER, OK, ONE, SYNTAX, WRONGTYPE, ZERO, type Reply } from './reply.ts';
import {
  byName,
  compareIds,
  decrId,
  formatId,
  incrId,
  INVALID_ENTRIES_READ,
  MAX_ID,
  parseId,
  Stream,
  U64_MAX,
  ZERO_ID,
  type ConsumerGroup,
  type StreamEntry,
  type StreamId,
} from './streams.ts';

const INVALID_ID = error('ERR Invalid stream ID specified as stream command argument');
/** clients blocked without COUNT get at most this many entries (XREAD_BLOCKED_DEFAULT_COUNT) */
const BLOCKED_DEFAULT_COUNT = 1000;

const idReply = (id: StreamId): Reply => bulk(formatId(id));
export const entryReply = (e: StreamEntry): Reply => array([idReply(e.id), bulks(e.fields)]);
const entriesReply = (es: StreamEntry[]): Reply => array(es.map(entryReply));

/** strict: no '-' / '+' */
function strictId(s: string, missingSeq = 0): StreamId | undefined {
  if (s === '-' || s === '+') return undefined;
  return parseId(s, missingSeq);
}

/** an interval bound: '-', '+', an id, or '(' id for exclusive (streamParseIntervalIDOrReply) */
function intervalId(s: string, missingSeq: number): { id: StreamId; exclusive: boolean } | undefined {
  if (s.length > 1 && s[0] === '(') {
    const id = strictId(s.slice(1), missingSeq);
    return id && { id, exclusive: true };
  }
  const id = parseId(s, missingSeq, true);
  return id && { id, exclusive: false };
}

function streamAt(ctx: Ctx, key: string): Stream | undefined | 'wrongtype' {
  const v = typed(ctx, key, 'stream');
  if (v === 'wrongtype') return v;
  return v?.v;
}

const noGroup = (key: string, group: string) => errorf`NOGROUP No such key '${key}' or consumer group '${group}'`;

// ---- XADD / XLEN / XRANGE / XDEL -----------------------------------------------------

type TrimStrategy = { maxLen: number } | { minId: StreamId };

/**
 * A trimming strategy at argv[i] (MAXLEN or MINID, more than one argument after it: it has a
 * threshold), as streamParseAddOrTrimArgsOrReply reads it for XADD and XTRIM: an optional `~`
 * (approximate) or `=`, then the threshold; the strategy, whether approximate, and where its
 * threshold is, or the error.
 */
function trimStrategyAt(argv: string[], i: number): { how: TrimStrategy; approx: boolean; at: number } | Reply {
  let at = i + 1;
  let approx = false;
  if (argv.length - 1 - i >= 2 && (argv[at] === '~' || argv[at] === '=')) {
    approx = argv[at] === '~';
    at++;
  }
  if (argv[i]!.toLowerCase() === 'maxlen') {
    const n = parseLL(argv[at]);
    if (n === undefined) return NOT_INTEGER;
    if (n < 0) return error('ERR The MAXLEN argument must be >= 0.');
    return { how: { maxLen: n }, approx, at };
  }
  const id = strictId(argv[at]);
  if (!id) return INVALID_ID;
  return { how: { minId: id }, approx, at };
}

/** LIMIT's count at argv[i] (after LIMIT), or the error */
function trimLimitAt(argv: string[], i: number): number | Reply {
  const n = parseLL(argv[i]);
  if (n === undefined) return NOT_INTEGER;
  if (n < 0) return error('ERR The LIMIT argument must be >= 0.');
  return n;
}

const NO_STRATEGY_FOR_LIMIT = error('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
const LIMIT_NOT_APPROX = error('ERR syntax error, LIMIT cannot be used without the special ~ option');
const TWO_STRATEGIES = error('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');

function xadd(ctx: Ctx, argv: string[]): Reply {
  let noMkStream = false;
  let trim: TrimStrategy | undefined;
  let approx = false;
  let limit: number | undefined;
  let idArg: { id?: StreamId; explicitMs?: number } = {};
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv[i];
    const lower = opt.toLowerCase();
    if (opt === '*') break;
    if ((lower === 'maxlen' || lower === 'minid') && more) {
      if (trim) return TWO_STRATEGIES;
      const r = trimStrategyAt(argv, i);
      if (!('how' in r)) return r;
      ({ how: trim, approx, at: i } = r);
    } else if (lower === 'limit' && more) {
      const n = trimLimitAt(argv, ++i);
      if (typeof n !== 'number') return n;
      limit = n;
    } else if (lower === 'nomkstream') {
      noMkStream = true;
    } else {
      // an explicit id, "ms-*", or a syntax error reported as an invalid id
      const dash = opt.indexOf('-');
      if (dash > 0 && opt.slice(dash + 1) === '*') {
        const ms = parseId(opt.slice(0, dash), 0);
        if (!ms || opt.length > 127) return INVALID_ID;
        idArg = { explicitMs: ms.ms };
      } else {
        const id = strictId(opt);
        if (!id) return INVALID_ID;
        idArg = { id };
      }
      break;
    }
  }
  if (limit && !trim) return NO_STRATEGY_FOR_LIMIT;
  if (limit !== undefined && !approx) return LIMIT_NOT_APPROX;
  const fieldsAt = i + 1;
  const nFields = argv.length - fieldsAt;
  if (nFields < 2 || nFields % 2 === 1) return error("ERR wrong number of arguments for 'xadd' command");
  if (idArg.id && idArg.id.ms === 0 && idArg.id.seq === 0) return error('ERR The ID specified in XADD must be greater than 0-0');
  const key = argv[1];
  let s = streamAt(ctx, key);
  if (s === 'wrongtype') return WRONGTYPE;
  if (!s && noMkStream) return NIL;
  if (s && s.lastId.ms >= U64_MAX && s.lastId.seq >= U64_MAX) {
    return error('ERR The stream has exhausted the last possible ID, unable to add more items');
  }
  const probe = s ?? new Stream();
  let id: StreamId | undefined;
  if (idArg.id) id = compareIds(idArg.id, probe.lastId) > 0 ? idArg.id : undefined;
  else id = probe.nextId(ctx.now, idArg.explicitMs);
  if (!id) {
    if (!s) {
      // Redis creates the stream before it finds the id too small: an empty stream stays
      ctx.db.create(key, { type: 'stream', v: probe });
      touch(ctx, key);
    }
    return error('ERR The ID specified in XADD is equal or smaller than the target stream top item');
  }
  if (!s) {
    s = probe;
    ctx.db.create(key, { type: 'stream', v: s });
  }
  s.append(id, argv.slice(fieldsAt));
  touch(ctx, key);
  if (trim) {
    // an approximate trim removes whole nodes only, at most LIMIT entries (10000 unless given)
    s.trim(trim, approx, approx ? (limit ?? 10000) : 0);
  }
  ctx.server.signalReady(key);
  return idReply(id);
}

/** XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]: streamParseAddOrTrimArgsOrReply's checks, then the key */
function xtrim(ctx: Ctx, argv: string[]): Reply {
  let how: TrimStrategy | undefined;
  let approx = false;
  let limit: number | undefined;
  for (let i = 2; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const lower = argv[i].toLowerCase();
    if ((lower === 'maxlen' || lower === 'minid') && more) {
      if (how) return TWO_STRATEGIES;
      const r = trimStrategyAt(argv, i);
      if (!('how' in r)) return r;
      ({ how, approx, at: i } = r);
    } else if (lower === 'limit' && more) {
      const n = trimLimitAt(argv, ++i);
      if (typeof n !== 'number') return n;
      limit = n;
    } else return SYNTAX;
  }
  if (limit && !how) return NO_STRATEGY_FOR_LIMIT;
  if (!how) return error('ERR syntax error, XTRIM must be called with a trimming strategy');
  if (limit !== undefined && !approx) return LIMIT_NOT_APPROX;
  const s = streamAt(ctx, argv[1]);
  if (s === 'wrongtype') return WRONGTYPE;
  if (!s) return ZERO;
  const n = s.trim(how, approx, limit ?? (approx ? 10000 : 0));
  if (n > 0) touch(ctx, argv[1]);
  return int(n);
}

function xlen(ctx: Ctx, argv: string[]): Reply {
  const s = streamAt(ctx, argv[1]);
  if (s === 'wrongtype') return WRONGTYPE;
  return int(s?.length ?? 0);
}

function xrange(ctx: Ctx, argv: string[], rev: boolean): Reply {
  const startArg = rev ? argv[3] : argv[2];
  const endArg = rev ? argv[2] : argv[3];
  const start = intervalId(startArg, 0);
  if (!start) return INVALID_ID;
  let startId: StreamId | undefined = start.id;
  if (start.exclusive) {
    startId = incrId(start.id);
    if (!startId) return error('ERR invalid start ID for the interval');
  }
  const end = intervalId(endArg, U64_MAX);
  if (!end) return INVALID_ID;
  let endId: StreamId | undefined = end.id;
  if (end.exclusive) {
    endId = decrId(end.id);
    if (!endId) return error('ERR invalid end ID for the interval');
  }
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    if (argv[j].toLowerCase() === 'count' && j + 1 < argv.length) {
      const n = parseLL(argv[++j]);
      if (n === undefined) return NOT_INTEGER;
      count = n < 0 ? 0 : n;
    } else return SYNTAX;
  }
  const s = streamAt(ctx, argv[1]);
  if (s === 'wrongtype') return WRONGTYPE;
  if (!s) return EMPTY_ARRAY;
  if (count === 0) return NIL_ARRAY;
  return entriesReply(rev ? s.range(startId, endId, count === -1 ? 0 : count, true) : s.range(startId, endId, count === -1 ? 0 : count));
}

function xdel(ctx: Ctx, argv: string[]): Reply {
  const s = streamAt(ctx, argv[1]);
  if (s === 'wrongtype') return WRONGTYPE;
  if (!s) return ZERO;
  const ids: StreamId[] = [];
  for (let j = 2; j < argv.length; j++) {
    const id = strictId(argv[j]);
    if (!id) return INVALID_ID;
    ids.push(id);
  }
  const n = s.delete(ids);
  if (n > 0) touch(ctx, argv[1]);
  return int(n);
}

// ---- XGROUP ---------------------------------------------------------------------------

function xgroup(ctx: Ctx, argv: string[]): Reply {
  const sub = argv[1].toLowerCase();
  const subSyntax = errorf`ERR unknown subcommand or wrong number of arguments for '${argv[1].slice(0, 128)}'. Try XGROUP HELP.`;
  let mkstream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  let s: Stream | undefined;
  let group: ConsumerGroup | undefined;
  if (argv.length >= 4) {
    if (sub === 'create' && argv.length >= 6) {
      for (let i = 5; i < argv.length; ) {
        const o = argv[i].toLowerCase();
        if (o === 'mkstream') {
          mkstream = true;
          i++;
        } else if (o === 'entriesread' && i + 1 < argv.length) {
          const n = parseLL(argv[i + 1]);
          if (n === undefined) return NOT_INTEGER;
          if (n < 0 && n !== INVALID_ENTRIES_READ) return error('ERR value for ENTRIESREAD must be positive or -1');
          entriesRead = n;
          i += 2;
        } else return subSyntax;
      }
    }
    const v = streamAt(ctx, argv[2]);
    if (v === 'wrongtype') return WRONGTYPE;
    s = v;
  }
  if (argv.length >= 4 && !mkstream) {
    if (!s) {
      return error(
        'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
      );
    }
    group = s.groups.get(argv[3]);
    if (!group && (sub === 'setid' || sub === 'createconsumer' || sub === 'delconsumer')) {
      return errorf`NOGROUP No such consumer group '${argv[3]}' for key name '${argv[2]}'`;
    }
  }
  const key = argv[2];
  if (sub === 'create' && argv.length >= 5 && argv.length <= 8) {
    let id: StreamId | undefined;
    if (argv[4] === '$') id = s ? s.lastId : ZERO_ID;
    else {
      id = strictId(argv[4]);
      if (!id) return INVALID_ID;
    }
    if (!s) {
      s = new Stream();
      ctx.db.create(key, { type: 'stream', v: s });
      touch(ctx, key);
    }
    if (!s.createGroup(argv[3], id, entriesRead)) return error('BUSYGROUP Consumer Group name already exists');
    return OK;
  }
  if (sub === 'setid' && (argv.length === 5 || argv.length === 7)) {
    let id: StreamId | undefined;
    if (argv[4] === '$') id = s!.lastId;
    else {
      id = strictId(argv[4]);
      if (!id) return INVALID_ID;
    }
    if (argv.length === 7) {
      if (argv[5].toLowerCase() !== 'entriesread') return subSyntax;
      const n = parseLL(argv[6]);
      if (n === undefined) return NOT_INTEGER;
      if (n < 0 && n !== INVALID_ENTRIES_READ) return error('ERR value for ENTRIESREAD must be positive or -1');
      entriesRead = n;
    }
    group!.lastId = id;
    group!.entriesRead = entriesRead;
    return OK;
  }
  if (sub === 'destroy' && argv.length === 4) {
    if (!group) return ZERO;
    s!.groups.delete(argv[3]);
    ctx.server.signalReady(key);
    return ONE;
  }
  if (sub === 'createconsumer' && argv.length === 5) {
    if (group!.consumers.has(argv[4])) return ZERO;
    s!.consumer(group!, argv[4], ctx.now);
    return ONE;
  }
  if (sub === 'delconsumer' && argv.length === 5) {
    return int(s!.deleteConsumer(group!, argv[4]) ?? 0);
  }
  return subSyntax;
}

// ---- XREADGROUP / XREAD ------------------------------------------------------------------

const GT_NEW: StreamId = MAX_ID; // ">" is kept as the largest id, as Redis does

function xread(ctx: Ctx, argv: string[]): Reply | BlockRequest {
  const isGroup = argv[0].length === 10;
  const cmdName = isGroup ? 'xreadgroup' : 'xread';
  let timeout = -1;
  let count = 0;
  let streamsAt = 0;
  let nStreams = 0;
  let noack = false;
  let groupName: string | undefined;
  let consumerName: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const o = argv[i].toLowerCase();
    if (o === 'block' && more) {
      if (ctx.inScript) return error(`ERR ${argv[0]} command is not allowed with BLOCK option from scripts`);
      i++;
      const n = parseLL(argv[i]);
      if (n === undefined) return error('ERR timeout is not an integer or out of range');
      if (n < 0) return error('ERR timeout is negative');
      timeout = n;
    } else if (o === 'count' && more) {
      i++;
      const n = parseLL(argv[i]);
      if (n === undefined) return NOT_INTEGER;
      count = n < 0 ? 0 : n;
    } else if (o === 'streams' && more) {
      streamsAt = i + 1;
      nStreams = argv.length - streamsAt;
      if (nStreams % 2 !== 0) {
        return error(`ERR Unbalanced '${cmdName}' list of streams: for each stream key an ID or '${isGroup ? '>' : '$'}' must be specified.`);
      }
      nStreams /= 2;
      break;
    } else if (o === 'group' && more >= 2) {
      if (!isGroup) return error('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
      groupName = argv[i + 1];
      consumerName = argv[i + 2];
      i += 2;
    } else if (o === 'noack') {
      if (!isGroup) return error('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
      noack = true;
    } else return SYNTAX;
  }
  if (streamsAt === 0) return SYNTAX;
  if (isGroup && groupName === undefined) return error('ERR Missing GROUP option for XREADGROUP');

  const keys = argv.slice(streamsAt, streamsAt + nStreams);
  const ids: StreamId[] = [];
  const groups: ConsumerGroup[] = [];
  for (let j = 0; j < nStreams; j++) {
    const key = keys[j];
    const idArg = argv[streamsAt + nStreams + j];
    const s = streamAt(ctx, key);
    if (s === 'wrongtype') return WRONGTYPE;
    if (groupName !== undefined) {
      const g = s?.groups.get(groupName);
      if (!s || !g) return errorf`NOGROUP No such key '${key}' or consumer group '${groupName}' in XREADGROUP with GROUP option`;
      groups.push(g);
    }
    if (idArg === '$') {
      if (isGroup) {
        return error(
          'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
        );
      }
      ids.push(s ? s.lastId : ZERO_ID);
      continue;
    }
    if (idArg === '>') {
      if (!isGroup) return error('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.');
      ids.push(GT_NEW);
      continue;
    }
    const id = strictId(idArg);
    if (!id) return INVALID_ID;
    ids.push(id);
  }

  const served: Reply[] = [];
  for (let j = 0; j < nStreams; j++) {
    const s = streamAt(ctx, keys[j]) as Stream | undefined;
    if (!s) continue;
    let gt = ids[j];
    if (groupName !== undefined) {
      const g = groups[j];
      // the consumer comes into being when it is served, not when it only waits
      if (gt !== GT_NEW) {
        const { consumer } = s.consumer(g, consumerName!, ctx.now);
        const hist = s.readHistory(consumer, gt, count, ctx.now);
        served.push(array([bulk(keys[j]), array(hist.map((h) => array([idReply(h.id), h.fields ? bulks(h.fields) : NIL_ARRAY])))]));
      } else if (s.length && compareIds(s.entries[s.length - 1].id, g.lastId) > 0) {
        const { consumer } = s.consumer(g, consumerName!, ctx.now);
        served.push(array([bulk(keys[j]), entriesReply(s.readNew(g, consumer, count, noack, ctx.now))]));
      }
    } else if (s.length && compareIds(s.entries[s.length - 1].id, gt) > 0) {
      const start = incrId(gt)!;
      served.push(array([bulk(keys[j]), entriesReply(s.range(start, MAX_ID, count))]));
    }
  }
  if (served.length) return array(served);
  if (timeout === -1 || ctx.nonBlocking) return NIL_ARRAY;

  const blockCount = count || BLOCKED_DEFAULT_COUNT;
  const waitFor = new Map(keys.map((k, j) => [k, ids[j]] as const));
  return {
    kind: 'block',
    keys,
    timeoutMs: timeout,
    tryServe: (c, key) => {
      const v = c.db.get(key);
      if (groupName === undefined) {
        if (!v || v.type !== 'stream') return undefined;
        const gt = waitFor.get(key)!;
        if (compareIds(v.v.lastId, gt) <= 0) return undefined;
        return array([array([bulk(key), entriesReply(v.v.range(incrId(gt)!, MAX_ID, blockCount))])]);
      }
      if (!v || v.type !== 'stream') return error('UNBLOCKED the stream key no longer exists');
      const s = v.v;
      const g = s.groups.get(groupName);
      if (!g) return error('NOGROUP the consumer group this client was blocked on no longer exists');
      if (compareIds(s.lastId, g.lastId) <= 0) return undefined;
      const { consumer } = s.consumer(g, consumerName!, c.now);
      return array([array([bulk(key), entriesReply(s.readNew(g, consumer, blockCount, noack, c.now))])]);
    },
  };
}

// ---- XACK / XPENDING / XCLAIM / XAUTOCLAIM ---------------------------------------------------

function xack(ctx: Ctx, argv: string[]): Reply {
  const s = streamAt(ctx, argv[1]);
  if (s === 'wrongtype') return WRONGTYPE;
  const g = s?.groups.get(argv[2]);
  if (!s || !g) return ZERO;
  const ids: StreamId[] = [];
  for (let j = 3; j < argv.length; j++) {
    const id = strictId(argv[j]);
    if (!id) return INVALID_ID;
    ids.push(id);
  }
  return int(s.ack(g, ids));
}

function xpending(ctx: Ctx, argv: string[]): Reply {
  const summary = argv.length === 3;
  if (!summary && (argv.length < 6 || argv.length > 9)) return SYNTAX;
  let start = ZERO_ID;
  let end = MAX_ID;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | undefined;
  if (argv.length >= 6) {
    let at = 3;
    if (argv[3].toLowerCase() === 'idle') {
      const n = parseLL(argv[4]);
      if (n === undefined) return NOT_INTEGER;
      minIdle = n;
      if (argv.length < 8) return SYNTAX;
      at += 2;
    }
    const c = parseLL(argv[at + 2]);
    if (c === undefined) return NOT_INTEGER;
    count = c < 0 ? 0 : c;
    const a = intervalId(argv[at], 0);
    if (!a) return INVALID_ID;
    start = a.id;
    if (a.exclusive) {
      const n = incrId(a.id);
      if (!n) return error('ERR invalid start ID for the interval');
      start = n;
    }
    const b = intervalId(argv[at + 1], U64_MAX);
    if (!b) return INVALID_ID;
    end = b.id;
    if (b.exclusive) {
      const n = decrId(b.id);
      if (!n) return error('ERR invalid end ID for the interval');
      end = n;
    }
    if (at + 3 < argv.length) consumerName = argv[at + 3];
  }
  const s = streamAt(ctx, argv[1]);
  if (s === 'wrongtype') return WRONGTYPE;
  const g = s?.groups.get(argv[2]);
  if (!s || !g) return noGroup(argv[1], argv[2]);
  if (summary) {
    if (g.pel.length === 0) return array([ZERO, NIL, NIL, NIL_ARRAY]);
    const consumers = byName(g.consumers.values())
      .filter((c) => c.pel.length > 0)
      .map((c) => array([bulk(c.name), bulk(String(c.pel.length))]));
    return array([int(g.pel.length), idReply(g.pel[0].id), idReply(g.pel[g.pel.length - 1].id), array(consumers)]);
  }
  let consumer;
  if (consumerName !== undefined) {
    consumer = g.consumers.get(consumerName);
    if (!consumer) return EMPTY_ARRAY;
  }
  const rows = s.pendingRange(g, start, end, count, consumer, minIdle, ctx.now);
  return array(rows.map((p) => array([idReply(p.id), bulk(p.consumer.name), int(Math.max(0, ctx.now - p.deliveryTime)), int(p.deliveryCount)])));
}

function xclaim(ctx: Ctx, argv: string[]): Reply {
  const s = streamAt(ctx, argv[1]);
  if (s === 'wrongtype') return WRONGTYPE;
  const g = s?.groups.get(argv[2]);
  if (!s || !g) return noGroup(argv[1], argv[2]);
  let minIdle = parseLL(argv[4]);
  if (minIdle === undefined) return error('ERR Invalid min-idle-time argument for XCLAIM');
  if (minIdle < 0) minIdle = 0;
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const id = strictId(argv[j]);
    if (!id) break;
    ids.push(id);
  }
  let force = false;
  let justid = false;
  let deliveryTime = -1;
  let retryCount = -1;
  let lastId = ZERO_ID;
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const o = argv[j].toLowerCase();
    if (o === 'force') force = true;
    else if (o === 'justid') justid = true;
    else if (o === 'idle' && more) {
      const n = parseLL(argv[++j]);
      if (n === undefined) return error('ERR Invalid IDLE option argument for XCLAIM');
      deliveryTime = ctx.now - n;
    } else if (o === 'time' && more) {
      const n = parseLL(argv[++j]);
      if (n === undefined) return error('ERR Invalid TIME option argument for XCLAIM');
      deliveryTime = n;
    } else if (o === 'retrycount' && more) {
      const n = parseLL(argv[++j]);
      if (n === undefined) return error('ERR Invalid RETRYCOUNT option argument for XCLAIM');
      retryCount = n;
    } else if (o === 'lastid' && more) {
      const id = strictId(argv[++j]);
      if (!id) return INVALID_ID;
      lastId = id;
    } else return errorf`ERR Unrecognized XCLAIM option '${argv[j]}'`;
  }
  if (compareIds(lastId, g.lastId) > 0) g.lastId = lastId;
  if (deliveryTime === -1 || deliveryTime < 0 || deliveryTime > ctx.now) deliveryTime = ctx.now;
  let consumer;
  const out: Reply[] = [];
  for (const id of ids) {
    let p = s.pendingEntry(g, id);
    const e = s.entry(id);
    if (!e) {
      if (p) s.dropPending(g, p);
      continue;
    }
    let forced = false;
    if (force && !p) {
      consumer ??= s.consumer(g, argv[3], ctx.now).consumer;
      p = s.addPending(g, id, consumer, ctx.now);
      forced = true;
    }
    if (!p) continue;
    if (!forced && minIdle && ctx.now - p.deliveryTime < minIdle) continue;
    consumer ??= s.consumer(g, argv[3], ctx.now).consumer;
    s.assign(g, p, consumer);
    p.deliveryTime = deliveryTime;
    if (retryCount >= 0) p.deliveryCount = retryCount;
    else if (!justid) p.deliveryCount++;
    out.push(justid ? idReply(id) : entryReply(e));
  }
  return array(out);
}

function xautoclaim(ctx: Ctx, argv: string[]): Reply {
  let minIdle = parseLL(argv[4]);
  if (minIdle === undefined) return error('ERR Invalid min-idle-time argument for XAUTOCLAIM');
  if (minIdle < 0) minIdle = 0;
  const startArg = intervalId(argv[5], 0);
  if (!startArg) return INVALID_ID;
  let start = startArg.id;
  if (startArg.exclusive) {
    const n = incrId(start);
    if (!n) return error('ERR invalid start ID for the interval');
    start = n;
  }
  let count = 100;
  let justid = false;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const o = argv[j].toLowerCase();
    if (o === 'count' && more) {
      const n = parseLL(argv[j + 1]);
      if (n === undefined || n < 1 || n > Math.floor(9223372036854775807 / 10)) return error('ERR COUNT must be > 0');
      count = n;
      j++;
    } else if (o === 'justid') justid = true;
    else return SYNTAX;
  }
  const s = streamAt(ctx, argv[1]);
  if (s === 'wrongtype') return WRONGTYPE;
  const g = s?.groups.get(argv[2]);
  if (!s || !g) return noGroup(argv[1], argv[2]);

  let attempts = count * 10;
  let consumer;
  const claimed: Reply[] = [];
  const deleted: Reply[] = [];
  let i = s.pelFrom(g, start);
  while (attempts-- > 0 && count > 0 && i < g.pel.length) {
    const p = g.pel[i];
    const e = s.entry(p.id);
    if (!e) {
      s.dropPending(g, p);
      deleted.push(idReply(p.id));
      count--; // a deleted entry counts against COUNT too (the reply's size)
      continue; // the PEL shifted: i already points at the next entry
    }
    i++;
    if (minIdle && ctx.now - p.deliveryTime < minIdle) continue;
    consumer ??= s.consumer(g, argv[3], ctx.now).consumer;
    s.assign(g, p, consumer);
    p.deliveryTime = ctx.now;
    if (!justid) p.deliveryCount++;
    claimed.push(justid ? idReply(p.id) : entryReply(e));
    count--;
  }
  const next = i < g.pel.length ? g.pel[i].id : ZERO_ID;
  return array([idReply(next), array(claimed), array(deleted)]);
}

// ---- XINFO ---------------------------------------------------------------------------------

function xinfoStream(ctx: Ctx, argv: string[]): Reply {
  if (argv.length > 3) return SYNTAX; // FULL is not modelled
  const s = streamAt(ctx, argv[2]);
  if (s === 'wrongtype') return WRONGTYPE;
  if (!s) return error('ERR no such key');
  // the listpack nodes, and the radix tree's own nodes over their keys, as modelled
  const nodesKeys = s.nodeCount;
  return array([
    bulk('length'),
    int(s.length),
    bulk('radix-tree-keys'),
    int(nodesKeys),
    bulk('radix-tree-nodes'),
    int(s.radixTreeNodes),
    bulk('last-generated-id'),
    idReply(s.lastId),
    bulk('max-deleted-entry-id'),
    idReply(s.maxDeletedId),
    bulk('entries-added'),
    int(s.entriesAdded),
    bulk('recorded-first-entry-id'),
    idReply(s.firstId),
    bulk('groups'),
    int(s.groups.size),
    bulk('first-entry'),
    s.length ? entryReply(s.entries[0]) : NIL,
    bulk('last-entry'),
    s.length ? entryReply(s.entries[s.length - 1]) : NIL,
  ]);
}

function xinfoGroups(ctx: Ctx, argv: string[]): Reply {
  const s = streamAt(ctx, argv[2]);
  if (s === 'wrongtype') return WRONGTYPE;
  if (!s) return error('ERR no such key');
  return array(
    byName(s.groups.values()).map((g) => {
      const lag = s.lag(g);
      return array([
        bulk('name'),
        bulk(g.name),
        bulk('consumers'),
        int(g.consumers.size),
        bulk('pending'),
        int(g.pel.length),
        bulk('last-delivered-id'),
        idReply(g.lastId),
        bulk('entries-read'),
        g.entriesRead === INVALID_ENTRIES_READ ? NIL : int(g.entriesRead),
        bulk('lag'),
        lag === null ? NIL : int(lag),
      ]);
    }),
  );
}

function xinfoConsumers(ctx: Ctx, argv: string[]): Reply {
  const s = streamAt(ctx, argv[2]);
  if (s === 'wrongtype') return WRONGTYPE;
  if (!s) return error('ERR no such key');
  const g = s.groups.get(argv[3]);
  if (!g) return errorf`NOGROUP No such consumer group '${argv[3]}' for key name '${argv[2]}'`;
  return array(
    byName(g.consumers.values()).map((c) =>
      array([bulk('name'), bulk(c.name), bulk('pending'), int(c.pel.length), bulk('idle'), int(Math.max(0, ctx.now - c.seenTime))]),
    ),
  );
}

export const STREAM_COMMANDS: Record<string, CommandSpec> = {
  xadd: { arity: -5, handler: xadd },
  xlen: { arity: 2, handler: xlen },
  xtrim: { arity: -4, handler: xtrim },
  xrange: { arity: -4, handler: (c, a) => xrange(c, a, false) },
  xrevrange: { arity: -4, handler: (c, a) => xrange(c, a, true) },
  xdel: { arity: -3, handler: xdel },
  xgroup: {
    arity: -2,
    subcommands: {
      create: { arity: -5, handler: xgroup },
      setid: { arity: -5, handler: xgroup },
      destroy: { arity: 4, handler: xgroup },
      createconsumer: { arity: 5, handler: xgroup },
      delconsumer: { arity: 5, handler: xgroup },
    },
  },
  xreadgroup: { arity: -7, handler: xread },
  xread: { arity: -4, handler: xread },
  xack: { arity: -4, handler: xack },
  xpending: { arity: -3, handler: xpending },
  xclaim: { arity: -6, handler: xclaim },
  xautoclaim: { arity: -6, handler: xautoclaim },
  xinfo: {
    arity: -2,
    subcommands: {
      stream: { arity: -3, handler: xinfoStream },
      groups: { arity: 3, handler: xinfoGroups },
      consumers: { arity: 4, handler: xinfoConsumers },
    },
  },
};
