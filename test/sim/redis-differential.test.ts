// SimRedis is held to the real redis-server 7.0: the same command sequences go to both and
// every reply must be identical (after the normalisations listed at `normalise`).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { textBytes } from '../../harness/sim/redis/bytes.ts';
import { simConnectorFor } from '../../harness/sim/redis/connection.ts';
import { SimRedis } from '../../harness/sim/redis/engine.ts';
import { bulk, showReply, type Reply } from '../../harness/sim/redis/reply.ts';
import { type Act, runClients } from './redis-diff-common.ts';
import { SimClient, newSim, realRedis } from './redis-pair.ts';

const pair = realRedis();

// ---- normalisation ------------------------------------------------------------------------

const sortedBulks = (r: Reply): Reply =>
  r.t === 'array' && r.v ? { t: 'array', v: [...r.v].sort((a, b) => (String(a.v) < String(b.v) ? -1 : String(a.v) > String(b.v) ? 1 : 0)) } : r;

/**
 * What may differ and why:
 * - set members, KEYS and SCAN come in hash order on a real server: compared as sorted lists
 *   (SCAN is iterated to cursor 0 on both sides first);
 * - idle times (XPENDING extended, XINFO CONSUMERS) and PTTL depend on each server's clock:
 *   an idle time becomes 0, a positive PTTL becomes 1.
 * Every other reply (all errors included) must match byte for byte.
 */
function normalise(argv: string[], r: Reply): Reply {
  const cmd = argv[0].toLowerCase();
  const sub = argv[1]?.toLowerCase();
  if (r.t === 'error' || r.t === 'status') return r;
  if (cmd === 'smembers' || cmd === 'keys') return sortedBulks(r);
  if (cmd === 'pttl' && r.t === 'int' && r.v > 0) return { t: 'int', v: 1 };
  if (cmd === 'xpending' && argv.length > 3 && r.t === 'array' && r.v) {
    return { t: 'array', v: r.v.map((row) => (row.t === 'array' && row.v ? { t: 'array', v: [row.v[0], row.v[1], { t: 'int', v: 0 }, row.v[3]] } : row)) };
  }
  if (cmd === 'xinfo' && sub === 'consumers' && r.t === 'array' && r.v) {
    return { t: 'array', v: r.v.map((c) => (c.t === 'array' && c.v ? { t: 'array', v: c.v.map((x, i) => (i === 5 ? { t: 'int', v: 0 } : x)) } : c)) };
  }
  if (cmd === 'exec' && r.t === 'array' && r.v) return r; // inner replies are normalised by the caller
  return r;
}

type Side = { send(argv: string[]): Promise<Reply> | Reply | undefined };

/** SCAN on one side, iterated to cursor 0: the sorted set of keys it returned */
async function scanAll(side: Side, argv: string[]): Promise<Reply> {
  let cursor = '0';
  const found = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const r = await side.send(['SCAN', cursor, ...argv.slice(2)]);
    if (!r || r.t !== 'array' || !r.v) return r ?? bulk('no reply');
    const [c, keys] = r.v;
    for (const k of keys.t === 'array' && keys.v ? keys.v : []) found.add(String(k.v));
    cursor = String(c.v);
    if (cursor === '0') break;
  }
  return { t: 'array', v: [...found].sort().map((k) => bulk(k)) };
}

// ---- the command vocabulary: a small key space so that collisions and edge cases happen -----

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const strKey = pick('str:1', 'str:2');
const hashKey = pick('h:1', 'h:2');
const setKey = pick('set:1', 'set:2');
const listKey = pick('list:1', 'list:2');
const streamKey = pick('st:1', 'st:2');
const anyKey = pick('str:1', 'h:1', 'set:1', 'list:1', 'st:1', 'st:2', 'none');
/** mostly the right type, sometimes any key (WRONGTYPE, missing keys) */
const keyOf = (k: fc.Arbitrary<string>) => fc.oneof({ weight: 5, arbitrary: k }, { weight: 1, arbitrary: anyKey });
const field = pick('f1', 'f2', 'f3');
const value = pick('v1', 'v2', '10', '-3', textBytes('ü€'), '\xff\x00\r\n', '');
const member = pick('a', 'b', '1', '2');
const group = pick('g1', 'g2');
const consumer = pick('c1', 'c2');
const entryId = pick('1-1', '1-2', '2-0', '3-5', '5-0', '0-1');
const anyId = fc.oneof({ weight: 6, arbitrary: entryId }, { weight: 1, arbitrary: pick('0', '0-0', '9', 'bad', '-', '+', '(1-1') });
const count = pick('1', '2', '10', '0', '-1');

const simple = (...parts: Array<fc.Arbitrary<string> | string>): fc.Arbitrary<string[]> =>
  fc.tuple(...parts.map((p) => (typeof p === 'string' ? fc.constant(p) : p)));
/** an optional part: present half of the time */
const opt = (...parts: Array<fc.Arbitrary<string> | string>): fc.Arbitrary<string[]> => fc.oneof(fc.constant<string[]>([]), simple(...parts));
/** a flag that changes a lot (NOACK, NOMKSTREAM ...): present a quarter of the time */
const rare = (...parts: Array<fc.Arbitrary<string> | string>): fc.Arbitrary<string[]> =>
  fc.oneof({ weight: 3, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: simple(...parts) });
const cat = (...parts: fc.Arbitrary<string[]>[]): fc.Arbitrary<string[]> => fc.tuple(...parts).map((xs) => xs.flat());

const SCRIPTS = [
  'return redis.call("GET", KEYS[1])',
  'return redis.pcall("INCR", KEYS[1])',
  'return redis.call("INCR", KEYS[1])',
  'return redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])',
  'redis.call("SET", KEYS[1], ARGV[1]); return redis.call("GET", KEYS[1])',
  'return {1, 2, redis.call("EXISTS", KEYS[1]), false, 3, nil, 4}',
  'return redis.call("XADD", KEYS[1], ARGV[1], "f", ARGV[2])',
  'return redis.call("XREADGROUP", "GROUP", "g1", "c1", "COUNT", "2", "STREAMS", KEYS[1], ">")',
  'local r = redis.pcall("XGROUP", "CREATE", KEYS[1], "g1", "0"); if type(r) == "table" and r.err then return {"caught", r.err} end; return r',
  'return redis.call("HGETALL", KEYS[1])',
  'return {ok = "fine"}',
  'return redis.error_reply("MYERR custom")',
  'return tonumber(ARGV[1]) and tonumber(ARGV[1]) / 4',
  'return redis.call("LPUSH", KEYS[1], ARGV[1], ARGV[2])',
  'return redis.call("NOSUCH")',
  'return x',
  'return redis.call("XPENDING", KEYS[1], "g1")',
  'local t = redis.call("TYPE", KEYS[1]); return t',
  'return redis.call("PEXPIRE", KEYS[1], 0)',
];

/** stream and consumer-group commands on the keys sk picks */
const streamCommandOn = (sk: fc.Arbitrary<string>): fc.Arbitrary<string[]> =>
  fc.oneof(
  cat(simple('XADD', sk), rare('NOMKSTREAM'), rare('MAXLEN', pick('2', '=')), simple(pick('1-1', '1-2', '2-0', '3-5', '5-0', '0-1', '5-*', '0-0', 'bad')), simple('f', value), opt('g', value)),
  simple('XADD', sk, '9-9', 'odd'),
  simple('XLEN', sk),
  cat(simple('XRANGE', sk, pick('-', '1-1', '(1-1', '2', 'bad'), pick('+', '3-5', '(5-0', '2')), opt('COUNT', count)),
  cat(simple('XREVRANGE', sk, pick('+', '3-5'), pick('-', '1-2')), opt('COUNT', count)),
  cat(simple('XDEL', sk, anyId), opt(entryId)),
  cat(simple('XGROUP', 'CREATE', sk, group, pick('0', '$', '1-2', 'bad')), opt('MKSTREAM'), rare('ENTRIESREAD', pick('1', '-2'))),
  simple('XGROUP', 'DESTROY', sk, group),
  simple('XGROUP', pick('CREATECONSUMER', 'DELCONSUMER'), sk, group, consumer),
  simple('XGROUP', 'SETID', sk, group, pick('0', '$', '1-2')),
  simple('XGROUP', pick('FOO', 'CREATE')),
  cat(simple('XREADGROUP', 'GROUP', group, consumer), opt('COUNT', count), rare('NOACK'), simple('STREAMS', sk), simple(pick('>', '>', '0', '1-2', '$', 'bad'))),
  cat(simple('XREADGROUP', 'GROUP', group, consumer, 'STREAMS', 'st:1', 'st:2', pick('>', '0'), pick('>', '0'))),
  simple('XREADGROUP', 'GROUP', group, consumer, 'STREAMS', 'st:1'),
  cat(simple('XREAD'), opt('COUNT', count), simple('STREAMS', sk, pick('0', '1-2', '$', '>'))),
  cat(simple('XACK', sk, group, anyId), opt(entryId)),
  simple('XPENDING', sk, group),
  cat(simple('XPENDING', sk, group), rare('IDLE', pick('0', '3600000')), simple(pick('-', '1-2', '(1-1'), pick('+', '3-5'), count), opt(consumer)),
  cat(simple('XCLAIM', sk, group, consumer, pick('0', '3600000', 'x'), entryId), opt(entryId), rare(pick('JUSTID', 'FORCE', 'BOGUS')), rare('RETRYCOUNT', pick('5', 'x')), rare(pick('IDLE', 'TIME', 'LASTID'), pick('3600000', '0', '3-5', 'x'))),
  cat(simple('XAUTOCLAIM', sk, group, consumer, pick('0', '3600000'), pick('0-0', '0', '1-2', '(1-1', 'bad')), opt('COUNT', pick('1', '2', '0')), rare('JUSTID')),
  simple('XINFO', 'STREAM', sk),
  simple('XINFO', 'GROUPS', sk),
  simple('XINFO', 'CONSUMERS', sk, group),
);
const streamCommand = streamCommandOn(keyOf(streamKey));
/** mostly one stream, so that groups, PELs and deletions meet */
const focusedKey = fc.constantFrom('st:1', 'st:1', 'st:1', 'st:1', 'st:2', 'str:1');
const focusedStreamCommand = fc.oneof(
  { weight: 6, arbitrary: streamCommandOn(focusedKey) },
  // the paths a worker's reclaim takes: read, delete, reclaim, re-read its own PEL
  { weight: 1, arbitrary: simple('XREADGROUP', 'GROUP', group, consumer, 'COUNT', pick('1', '2'), 'STREAMS', 'st:1', '>') },
  { weight: 1, arbitrary: simple('XDEL', 'st:1', entryId) },
  { weight: 1, arbitrary: cat(simple('XAUTOCLAIM', 'st:1', group, consumer, pick('0', '3600000'), '0-0'), opt('COUNT', pick('1', '2'))) },
  { weight: 1, arbitrary: simple('XREADGROUP', 'GROUP', group, consumer, 'STREAMS', 'st:1', pick('0', '1-1')) },
);

/** one command: argv */
const command: fc.Arbitrary<string[]> = fc.oneof(
  // keys and strings
  cat(simple('GET', keyOf(strKey))),
  cat(simple('SET', keyOf(strKey), value), fc.oneof(fc.constant<string[]>([]), simple('NX'), simple('XX'), simple('PX', '100000'), simple('EX', pick('100', '0', 'x')), simple('GET'), simple('KEEPTTL'), simple('NX', 'XX'))),
  cat(simple('DEL', anyKey), opt(anyKey)),
  cat(simple('EXISTS', anyKey), opt(anyKey)),
  simple('INCR', keyOf(strKey)),
  simple('TYPE', anyKey),
  cat(simple('PEXPIRE', anyKey, pick('100000', '0', '-5', '200000', 'x')), opt(pick('NX', 'XX', 'GT', 'LT', 'FOO'))),
  simple('PTTL', anyKey),
  simple('KEYS', pick('*', 'st:*', '?:1', 'h*', '[sl]*')),
  cat(simple('SCAN', '0'), opt('MATCH', pick('*', 'st:*', 'x')), opt('COUNT', pick('1', '5'))),
  simple('DBSIZE'),
  // hashes
  cat(simple('HSET', keyOf(hashKey), field, value), opt(field, value)),
  simple('HSET', keyOf(hashKey), field),
  simple('HGET', keyOf(hashKey), field),
  cat(simple('HMGET', keyOf(hashKey), field), opt(field)),
  simple('HGETALL', keyOf(hashKey)),
  cat(simple('HDEL', keyOf(hashKey), field), opt(field)),
  simple('HEXISTS', keyOf(hashKey), field),
  simple('HLEN', keyOf(hashKey)),
  // sets
  cat(simple('SADD', keyOf(setKey), member), opt(member)),
  cat(simple('SREM', keyOf(setKey), member), opt(member)),
  simple('SMEMBERS', keyOf(setKey)),
  simple('SISMEMBER', keyOf(setKey), member),
  simple('SCARD', keyOf(setKey)),
  // lists
  cat(simple(pick('LPUSH', 'RPUSH'), keyOf(listKey), value), opt(value)),
  simple('LLEN', keyOf(listKey)),
  simple('LRANGE', keyOf(listKey), pick('0', '1', '-2'), pick('-1', '0', '2')),
  cat(simple(pick('LPOP', 'RPOP'), keyOf(listKey)), opt(pick('1', '2'))),
  // streams
  { weight: 20, arbitrary: streamCommand },
  { weight: 2, arbitrary: simple('XGROUP', 'CREATE', streamKey, group, '0', 'MKSTREAM') },
  // scripts
  cat(simple('EVAL', fc.constantFrom(...SCRIPTS), '1', anyKey), fc.array(value, { maxLength: 2 })),
  simple('EVAL', 'return 1', pick('2', '-1', 'x')),
  simple('SCRIPT', 'LOAD', fc.constantFrom(...SCRIPTS)),
  cat(simple('EVALSHA', pick('e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0000000000000000000000000000000000000000'), '0')),
  simple('SCRIPT', 'EXISTS', pick('e0e1f9fabfc9d4800c877a703b823ac0578ff8db', 'nope')),
  // misc and errors
  cat(simple('PING'), opt(value)),
  simple('ECHO', value),
  simple('NOSUCHCOMMAND', value),
  simple('GET'),
  simple('PUBLISH', 'ch', value),
  simple('CLIENT', pick('GETNAME', 'NOSUCH')),
  simple('SELECT', pick('0', 'x')),
  simple('FLUSHALL'),
);

type Step = string[][];
/** a step is a command, a transaction, or a WATCH dance */
const stepOf = (command: fc.Arbitrary<string[]>): fc.Arbitrary<Step> => {
  // SCAN's cursor walk cannot be compared inside a transaction
  const inner = command.filter((c) => c[0] !== 'SCAN');
  return fc.oneof(
  { weight: 12, arbitrary: command.map((c) => [c]) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.array(inner, { minLength: 0, maxLength: 3 }), fc.constantFrom<string[] | null>(null, null, null, ['NOSUCH'], ['GET'], ['EXEC', 'x'], ['MULTI']), fc.boolean())
      .map(([inner, bad, discard]) => [['MULTI'], ...inner, ...(bad ? [bad] : []), [discard ? 'DISCARD' : 'EXEC']]),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(anyKey, fc.option(command, { nil: undefined }), inner).map(([k, touch, inner]) => [['WATCH', k], ...(touch ? [touch] : []), ['MULTI'], inner, ['EXEC']]),
  },
  { weight: 1, arbitrary: fc.constantFrom<Step>([['EXEC']], [['DISCARD']], [['UNWATCH']], [['WATCH', 'x'], ['MULTI'], ['WATCH', 'y'], ['EXEC']]) },
  );
};

/** the edge cases a run reached (from the real server's replies), so a green run is known to mean something */
function reached(argv: string[], r: Reply, seen: Set<string>): void {
  const name = argv[0].toLowerCase();
  if (r.t === 'error') seen.add(r.v.split(' ')[0]);
  if (r.t === 'error' && r.v.includes('script: ')) seen.add('script error');
  if (name === 'exec' && r.t === 'array' && r.v === null) seen.add('EXEC aborted by WATCH');
  if (name === 'exec' && r.t === 'array' && r.v?.some((x) => x.t === 'error')) seen.add('error inside EXEC');
  if (name === 'xautoclaim' && r.t === 'array' && r.v?.[2]?.t === 'array' && r.v[2].v?.length) seen.add('XAUTOCLAIM deleted ids');
  if (name === 'xautoclaim' && r.t === 'array' && r.v?.[1]?.t === 'array' && r.v[1].v?.length) seen.add('XAUTOCLAIM claimed');
  if (name === 'xclaim' && r.t === 'array' && r.v?.length) seen.add('XCLAIM claimed');
  if (name === 'xreadgroup' && JSON.stringify(r).includes('{"t":"array","v":null}]')) seen.add('XREADGROUP history with a deleted entry');
  if (name === 'xreadgroup' && r.t === 'array' && r.v?.length && argv.includes('>')) seen.add('XREADGROUP new entries');
  if (name === 'xack' && r.t === 'int' && r.v > 0) seen.add('XACK acked');
  if (name === 'xinfo' && JSON.stringify(r).includes('"lag"},{"t":"bulk","v":null}')) seen.add('XINFO GROUPS unknown lag');
  if (name === 'xpending' && r.t === 'array' && r.v?.length && argv.length > 3) seen.add('XPENDING rows');
}

/**
 * PEXPIRE GT/LT compares a new deadline with the key's: when the two are a few ms apart the
 * answer depends on each server's clock (the model's moves 1 ms a command, redis-server's runs
 * on real time), so such a command is sent with a deadline 10 s further on to both servers
 * (`probe` reads the model's PTTL on a connection of its own, outside any MULTI or WATCH)
 */
function unambiguous(argv: string[], probe: SimClient): string[] {
  const option = argv[3]?.toUpperCase();
  if (argv[0].toUpperCase() !== 'PEXPIRE' || (option !== 'GT' && option !== 'LT')) return argv;
  const ms = Number(argv[2]);
  const ttl = probe.send(['PTTL', argv[1]]);
  if (!Number.isFinite(ms) || ttl?.t !== 'int' || ttl.v <= 0 || Math.abs(ttl.v - ms) > 1000) return argv;
  return [argv[0], argv[1], String(ms + 10_000), ...argv.slice(3)];
}

/** sends each sequence to both servers from a clean state; any reply that differs fails (and shrinks) */
async function differential(steps: fc.Arbitrary<Step[]>, runs: number, seen = new Set<string>()): Promise<{ commands: number; ms: number }> {
  let clock = 1_800_000_000_000;
  let commands = 0;
  const t0 = Date.now();
  await fc.assert(
    fc.asyncProperty(steps, async (seq) => {
      await pair.real.send(['FLUSHALL']);
      await pair.real.send(['SCRIPT', 'FLUSH']);
      await pair.real.send(['UNWATCH']);
      const { client } = newSim(() => clock);
      const sim = client();
      const probe = client();
      for (const s of seq) {
        let inMulti = false;
        const queued: string[][] = [];
        for (const original of s) {
          const argv = unambiguous(original, probe);
          commands++;
          clock += 1;
          const name = argv[0].toLowerCase();
          let want: Reply;
          let got: Reply | undefined;
          if (name === 'scan' && !inMulti) {
            want = await scanAll(pair.real, argv);
            got = await scanAll(sim, argv);
          } else {
            want = await pair.real.send(argv);
            got = sim.send(argv);
          }
          if (name === 'multi' && want.t === 'status') inMulti = true;
          else if (inMulti && want.t === 'status' && want.v === 'QUEUED') queued.push(argv);
          if (name === 'exec' && want.t === 'array' && want.v && got?.t === 'array' && got.v) {
            want = { t: 'array', v: want.v.map((r, i) => normalise(queued[i] ?? ['?'], r)) };
            got = { t: 'array', v: got.v.map((r, i) => normalise(queued[i] ?? ['?'], r)) };
          }
          if (name === 'exec' || name === 'discard') inMulti = false;
          reached(argv, want, seen);
          const a = normalise(argv, want);
          const b = got && normalise(argv, got);
          if (JSON.stringify(a) !== JSON.stringify(b)) {
            throw new Error(`${argv.join(' ')}\n  redis-server: ${showReply(a)}\n  SimRedis:     ${b ? showReply(b) : 'no reply'}`);
          }
        }
      }
    }),
    { numRuns: runs, endOnFailure: false },
  );
  return { commands, ms: Date.now() - t0 };
}

describe('SimRedis against redis-server 7.0', () => {
  const MAX_STEPS = 40;
  // SIM_DIFF_RUNS=20000 for a soak; the default keeps this file well under a minute
  const RUNS = Number(process.env.SIM_DIFF_RUNS) || 4000;

  it('answers random sequences over every modelled command exactly as the real server does', async () => {
    const runs = RUNS;
    const seen = new Set<string>();
    const { commands, ms } = await differential(fc.array(stepOf(command), { minLength: 1, maxLength: MAX_STEPS, size: 'max' }), runs, seen);
    console.log(`differential (all commands): ${runs} sequences, ${commands} commands, ${ms} ms; reached: ${[...seen].sort().join(', ')}`);
    for (const edge of ['WRONGTYPE', 'NOGROUP', 'BUSYGROUP', 'EXECABORT', 'NOSCRIPT', 'ERR', 'script error', 'EXEC aborted by WATCH', 'error inside EXEC']) {
      expect(seen, edge).toContain(edge);
    }
  });

  it('answers random consumer-group sequences (reclaims of deleted entries, own-PEL re-reads, NOGROUP ...) as the real server does', async () => {
    const runs = RUNS;
    const seen = new Set<string>();
    // every sequence starts from a stream with entries and two groups
    const setup: Step[] = [
      [['XADD', 'st:1', '1-1', 'f', 'a']],
      [['XADD', 'st:1', '1-2', 'f', 'b']],
      [['XADD', 'st:1', '2-0', 'f', 'c']],
      [['XGROUP', 'CREATE', 'st:1', 'g1', '0']],
      [['XGROUP', 'CREATE', 'st:1', 'g2', '1-2']],
    ];
    const steps = fc.array(stepOf(focusedStreamCommand), { minLength: 1, maxLength: MAX_STEPS, size: 'max' }).map((seq) => [...setup, ...seq]);
    const { commands, ms } = await differential(steps, runs, seen);
    console.log(`differential (streams): ${runs} sequences, ${commands} commands, ${ms} ms; reached: ${[...seen].sort().join(', ')}`);
    for (const edge of ['XAUTOCLAIM deleted ids', 'XAUTOCLAIM claimed', 'XCLAIM claimed', 'XREADGROUP history with a deleted entry', 'XREADGROUP new entries', 'XACK acked', 'XINFO GROUPS unknown lag', 'XPENDING rows', 'NOGROUP', 'BUSYGROUP']) {
      expect(seen, edge).toContain(edge);
    }
  });

  it('gives XADD * ids that only grow, from the virtual clock with a sequence per millisecond', () => {
    let clock = 1_000;
    const { client } = newSim(() => clock);
    const c = client();
    const ids: string[] = [];
    for (const step of [0, 0, 1, 0, -5, 0, 7]) {
      clock += step;
      ids.push(String(c.send(['XADD', 's', '*', 'f', 'v'])?.v));
    }
    expect(ids).toEqual(['1000-0', '1000-1', '1001-0', '1001-1', '1001-2', '1001-3', '1003-0']);
    clock = 5_000.7; // a fractional clock: Redis's ms are whole
    expect(c.send(['XADD', 's', '*', 'f', 'v'])).toEqual(bulk('5000-0'));
    expect(c.send(['XADD', 's', '7000-*', 'f', 'v'])).toEqual(bulk('7000-0'));
    expect(c.send(['XADD', 's', '7000-*', 'f', 'v'])).toEqual(bulk('7000-1'));
  });

  it('gives XADD * ids that grow on the real server too (same id shape)', async () => {
    await pair.real.send(['FLUSHALL']);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(String((await pair.real.send(['XADD', 's', '*', 'f', 'v'])).v));
    const parse = (s: string) => s.split('-').map(BigInt) as [bigint, bigint];
    for (let i = 1; i < ids.length; i++) {
      const [am, as] = parse(ids[i - 1]);
      const [bm, bs] = parse(ids[i]);
      expect(bm > am || (bm === am && bs === as + 1n)).toBe(true);
    }
  });
});

// ---- blocking: the same interleaving of three clients on both servers ----------------------------

/** the blocking scripts below run with the simulation's clock from a fixed start (see runClients) */
const runBoth = (acts: Act[]) => runClients(pair, acts, 1_900_000_000_000);

describe('blocked commands wake in the order redis-server serves them', () => {
  it('XREADGROUP BLOCK: first blocked is first served, one entry per waiter, the other stays blocked', async () => {
    await runBoth([
      { c: 'C', send: ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'] },
      { c: 'A', send: ['XREADGROUP', 'GROUP', 'g', 'a', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 's', '>'] },
      { c: 'B', send: ['XREADGROUP', 'GROUP', 'g', 'b', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 's', '>'] },
      { c: 'C', send: ['XADD', 's', '1-1', 'job', '1'] },
      { expectIdle: ['B'] },
      { c: 'C', send: ['XADD', 's', '2-1', 'job', '2'] },
      { expectIdle: ['A'] },
      { c: 'C', send: ['XPENDING', 's', 'g'] },
      { expectIdle: ['A', 'B'] },
    ]);
  });

  it('a write inside MULTI or a script wakes the waiter after it completes; a reader without COUNT gets all', async () => {
    await runBoth([
      { c: 'C', send: ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'] },
      { c: 'A', send: ['XREADGROUP', 'GROUP', 'g', 'a', 'BLOCK', '0', 'STREAMS', 's', '>'] },
      { c: 'B', send: ['BRPOP', 'q1', 'q2', '0'] },
      { c: 'C', send: ['MULTI'] },
      { c: 'C', send: ['XADD', 's', '1-1', 'n', '1'] },
      { c: 'C', send: ['XADD', 's', '2-1', 'n', '2'] },
      { c: 'C', send: ['EXEC'] },
      { expectIdle: ['B'] },
      { c: 'C', send: ['EVAL', 'redis.call("LPUSH", KEYS[1], "x"); return redis.call("LLEN", KEYS[1])', '1', 'q2'] },
      { expectIdle: ['A'] },
    ]);
  });

  it('BRPOP: FIFO per key across clients blocked on several keys, and a timeout answers nil', async () => {
    await runBoth([
      { c: 'A', send: ['BRPOP', 'l1', 'l2', '0'] },
      { c: 'B', send: ['BRPOP', 'l2', '0'] },
      { c: 'C', send: ['RPUSH', 'l2', 'x', 'y', 'z'] },
      { expectIdle: [] },
      { c: 'C', send: ['LRANGE', 'l2', '0', '-1'] },
      { expectIdle: ['A', 'B'] },
      { c: 'A', send: ['BRPOP', 'l3', '0.2'] },
      { expectIdle: ['A', 'B', 'C'] },
      { wait: 400 },
      { expectIdle: ['B', 'C'] },
    ]);
  });

  it('XGROUP DESTROY answers NOGROUP, DEL answers UNBLOCKED, XREAD keeps waiting on a deleted key', async () => {
    await runBoth([
      { c: 'C', send: ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'] },
      { c: 'A', send: ['XREADGROUP', 'GROUP', 'g', 'a', 'BLOCK', '0', 'STREAMS', 's', '>'] },
      { c: 'C', send: ['XGROUP', 'DESTROY', 's', 'g'] },
      { expectIdle: ['B'] },
      { c: 'C', send: ['XGROUP', 'CREATE', 's', 'g', '$'] },
      { c: 'A', send: ['XREADGROUP', 'GROUP', 'g', 'a', 'BLOCK', '0', 'STREAMS', 's', '>'] },
      { c: 'B', send: ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'] },
      { c: 'C', send: ['DEL', 's'] },
      { expectIdle: ['B'] },
      { c: 'C', send: ['XADD', 's', '7-7', 'k', 'v'] },
      { expectIdle: ['A'] },
      { c: 'C', send: ['XGROUP', 'CREATE', 's', 'g', '$'] },
      { c: 'A', send: ['XREADGROUP', 'GROUP', 'g', 'a', 'BLOCK', '0', 'STREAMS', 's', '>'] },
      { c: 'C', send: ['FLUSHALL'] },
      { expectIdle: ['B'] },
    ]);
  });

  it('expiry: an expired key is gone, a WATCHed key that expires aborts EXEC, one expired before WATCH does not', async () => {
    await runBoth([
      { c: 'C', send: ['SET', 'k', 'v', 'PX', '100'] },
      { c: 'C', send: ['SET', 'gone', 'v', 'PX', '50'] },
      { c: 'C', send: ['WATCH', 'k'] },
      { wait: 250 },
      { c: 'C', send: ['MULTI'] },
      { c: 'C', send: ['SET', 'x', '1'] },
      { c: 'C', send: ['EXEC'] },
      { c: 'C', send: ['WATCH', 'gone'] },
      { c: 'C', send: ['MULTI'] },
      { c: 'C', send: ['SET', 'x', '2'] },
      { c: 'C', send: ['EXEC'] },
      { c: 'C', send: ['GET', 'k'] },
      { c: 'C', send: ['PTTL', 'k'] },
      { c: 'C', send: ['GET', 'x'] },
      { expectIdle: ['A', 'B'] },
    ]);
  });

  it('commands pipelined behind a blocked one run once it is served; subscribers get messages in order', async () => {
    await runBoth([
      { c: 'A', send: ['BRPOP', 'q', '0'] },
      { c: 'A', send: ['PING'] },
      { c: 'A', send: ['GET', 'k'] },
      { expectIdle: ['A', 'B', 'C'] },
      { c: 'C', send: ['SET', 'k', 'v'] },
      { c: 'C', send: ['LPUSH', 'q', 'job'] },
      { expectIdle: ['B'] },
      { c: 'B', send: ['SUBSCRIBE', 'ch', 'other'] },
      { c: 'B', send: ['GET', 'k'] },
      { c: 'B', send: ['PING'] },
      { c: 'C', send: ['PUBLISH', 'ch', 'one'] },
      { c: 'C', send: ['PUBLISH', 'ch', 'two'] },
      { c: 'B', send: ['UNSUBSCRIBE', 'ch'] },
      { c: 'C', send: ['PUBLISH', 'ch', 'three'] },
      { expectIdle: ['A'] },
    ]);
  });
});

// ---- the system's four scripts --------------------------------------------------------------------

const lua = (file: string) => readFileSync(new URL(`../../system-under-test/lua/${file}`, import.meta.url), 'utf8');
const SUBMIT = lua('submit-task.lua');
const SUBMIT_LIST = lua('submit-task-list.lua');
const APPLY = lua('apply-event.lua');
const APPLY_LWW = lua('apply-event-lww.lua');

/** event args as the keeper passes them: eventId, group, ack, keeper, ttl, jobId type source sourceId attempt seq exitCode output reason durationMs */
const event = (eventId: string, jobId: string, type: string, attempt: string, ack = '1') => [
  eventId, 'keepers', ack, 'keeper-1', '60000', jobId, type, 'worker', 'worker-1', attempt, type === 'running' ? '1' : '2',
  type === 'completed' ? '0' : '', type === 'completed' ? 'out' : '', type === 'failed' ? 'crash' : '', type === 'running' ? '' : '12',
];
const applyKeys = (jobId: string) => [`sut:job:${jobId}`, 'sut:running', `sut:running:${jobId}`, 'sut:translog', 'sut:events'];
const submitArgs = (taskId: string, idem: string, n: number) => {
  const jobIds = Array.from({ length: n }, (_, i) => `${taskId}-${i}`);
  const keys = [`sut:task:${taskId}`, 'QUEUE', ...jobIds.map((j) => `sut:job:${j}`), ...(idem ? [`sut:idem:${idem}`] : [])];
  const args = [taskId, 'desc', '3', idem, JSON.stringify(jobIds), ...jobIds.flatMap((j) => [j, '{"durationMs":20}', '30000'])];
  return { keys, args };
};

/** time-dependent parts of the SUT's data: stream ids and ms timestamps become placeholders */
const maskTime = (r: Reply): Reply => {
  if (r.t === 'bulk' && r.v !== null && (/^\d{13}-\d+$/.test(r.v) || /^\d{13}$/.test(r.v))) return bulk('<time>');
  if (r.t === 'array' && r.v) return { t: 'array', v: r.v.map(maskTime) };
  return r;
};

describe("the system's Lua scripts run unchanged and agree with redis-server", () => {
  const scenario = (submit: string, apply: string, queue: string): string[][] => {
    const one = submitArgs('t1', 'idem-1', 2);
    const again = submitArgs('t2', 'idem-1', 1);
    const withoutKey = submitArgs('t3', '', 1);
    const sub = (a: { keys: string[]; args: string[] }) => ['EVAL', submit, String(a.keys.length), ...a.keys.map((k) => (k === 'QUEUE' ? queue : k)), ...a.args];
    const ap = (eventId: string, jobId: string, type: string, attempt: string, ack?: string) => ['EVAL', apply, '5', ...applyKeys(jobId), ...event(eventId, jobId, type, attempt, ack)];
    return [
      ['XGROUP', 'CREATE', 'sut:events', 'keepers', '0', 'MKSTREAM'],
      ['XADD', 'sut:events', '1-1', 'jobId', 't1-0', 'type', 'running'],
      ['XREADGROUP', 'GROUP', 'keepers', 'keeper-1', 'STREAMS', 'sut:events', '>'],
      sub(one),
      sub(one), // a resend: nothing written twice
      sub(again), // same idempotency key: the first task
      sub(withoutKey),
      ['HGETALL', 'sut:task:t1'],
      ['HGETALL', 'sut:job:t1-0'],
      ap('1-1', 't1-0', 'running', '1'),
      ap('1-2', 't1-0', 'running', '1', '0'), // duplicate
      ap('1-3', 't1-1', 'completed', '1'), // queued -> completed: implied running (strict script)
      ap('1-4', 't1-0', 'completed', '1'),
      ap('1-5', 't1-0', 'running', '2'), // late running after completed
      ap('1-6', 'nope', 'failed', '1'), // unknown job
      ap('1-7', 't3-0', 'cancelled', '0'),
      ap('1-8', 't3-0', 'failed', '1'),
      ['HGETALL', 'sut:job:t1-0'],
      ['HGETALL', 'sut:job:t1-1'],
      ['HGETALL', 'sut:running:t1-0'],
      ['SMEMBERS', 'sut:running'],
      ['XPENDING', 'sut:events', 'keepers'],
      ['XRANGE', 'sut:translog', '-', '+'],
      ['XLEN', queue],
      ['LRANGE', queue, '0', '-1'],
      ['TYPE', queue],
    ];
  };

  for (const [name, submit, apply, queue] of [
    ['submit-task.lua + apply-event.lua', SUBMIT, APPLY, 'sut:jobs'],
    ['submit-task-list.lua + apply-event-lww.lua', SUBMIT_LIST, APPLY_LWW, 'sut:queue'],
  ] as const) {
    it(name, async () => {
      await pair.real.send(['FLUSHALL']);
      const { client } = newSim(() => Date.now());
      const sim = client();
      for (const argv of scenario(submit, apply, queue)) {
        const want = maskTime(normalise(argv, await pair.real.send(argv)));
        const got = maskTime(normalise(argv, sim.send(argv)!));
        expect(showReply(got), argv.slice(0, 2).join(' ')).toBe(showReply(want));
      }
    });
  }
});

// ---- the RESP layer with the real client ------------------------------------------------------------

describe('ioredis through the in-memory connector', () => {
  it('gets the same results from SimRedis as from redis-server, pipelines and transactions included', async () => {
    await pair.real.send(['FLUSHALL']);
    const sim = new SimRedis({ now: () => Date.now(), password: 'secret' });
    const viaSim = new Redis({ ...simConnectorFor(sim), password: 'secret', connectionName: 'sim-client', maxRetriesPerRequest: 1 });
    const viaReal = pair.server.client({ connectionName: 'sim-client', maxRetriesPerRequest: 1 });
    const run = async (r: Redis) => {
      const out: unknown[] = [];
      const settle = async (p: Promise<unknown>) => p.then((v) => v, (e: Error) => `error: ${e.message}`);
      out.push(await settle(r.client('GETNAME')));
      out.push(await settle(r.set('text', 'héllo wörld ✓ \r\n *3 $5')));
      out.push(await settle(r.get('text')));
      out.push(await settle(r.xgroup('CREATE', 'jobs', 'workers', '0', 'MKSTREAM')));
      out.push(await settle(r.xgroup('CREATE', 'jobs', 'workers', '0', 'MKSTREAM')));
      const p = r.pipeline();
      for (let i = 1; i <= 50; i++) p.xadd('jobs', `${i}-1`, 'jobId', `j${i}`, 'payload', 'x'.repeat(i * 37));
      p.hset('h', 'a', '1', 'b', '2').incr('text').hgetall('h');
      out.push(await settle(p.exec()));
      out.push(await settle(r.call('XREADGROUP', 'GROUP', 'workers', 'w1', 'COUNT', 3, 'STREAMS', 'jobs', '>')));
      out.push(await settle(r.call('XAUTOCLAIM', 'jobs', 'workers', 'w2', 0, '0-0', 'COUNT', 2)));
      out.push(await settle(r.multi().hgetall('h').smembers('none').xlen('jobs').exec()));
      out.push(await settle(r.eval('return {KEYS[1], ARGV[1], redis.call("XLEN", KEYS[1])}', 1, 'jobs', 'arg')));
      out.push(await settle(r.call('NOSUCH')));
      return out;
    };
    try {
      const [a, b] = [await run(viaReal), await run(viaSim)];
      expect(b).toEqual(a);
    } finally {
      viaSim.disconnect();
      viaReal.disconnect();
    }
  });

  it("hands QUIT's reply to the caller before the connection's close and end, as redis-server's socket does", async () => {
    const order = async (r: Redis) => {
      await r.ping();
      const seen: string[] = [];
      r.on('close', () => seen.push('close'));
      const ended = new Promise<void>((resolve) => r.once('end', () => resolve(void seen.push('end'))));
      await r.quit().then((v) => seen.push(`quit ${v}`));
      // the close and end come in later turns
      await ended;
      return seen;
    };
    const viaReal = pair.server.client({ retryStrategy: () => null });
    const viaSim = new Redis({ ...simConnectorFor(new SimRedis({ now: () => Date.now() })), retryStrategy: () => null });
    const real = await order(viaReal);
    expect(real).toEqual(['quit OK', 'close', 'end']);
    expect(await order(viaSim)).toEqual(real);
  });
});
