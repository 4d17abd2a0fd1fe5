// Binary safety: redis-server keeps any bytes as they are, and so must SimRedis. Random byte
// strings (NUL, CR/LF, bytes 0x80-0xFF, invalid and valid multi-byte UTF-8) go to both as keys,
// values, hash fields, stream values, list and sorted-set members and script arguments, and every
// reply must be identical byte for byte. Then the same through ioredis: Buffer arguments, the
// *Buffer forms of commands, and non-ASCII text, on a client of each.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pack } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferBytes, textBytes } from '../../harness/sim/redis/bytes.ts';
import { simConnectorFor } from '../../harness/sim/redis/connection.ts';
import { SimRedis } from '../../harness/sim/redis/engine.ts';
import { showReply, type Reply } from '../../harness/sim/redis/reply.ts';
import { newSim, realRedis } from './redis-pair.ts';

const pair = realRedis();

const NON_ASCII = /[\x80-\xff]/;

// ---- byte strings ----------------------------------------------------------------------------

/** pieces that matter to a byte-for-byte server: control bytes, UTF-8 whole, cut short and invalid */
const SPECIAL = [
  '\x00',
  '\r\n',
  '\r',
  '\n',
  ' ',
  '"',
  '\\',
  '\x7f',
  '\x80',
  '\xff',
  '\xfe\xff',
  '\xc3', // a lead byte with no continuation
  '\xc3\xa9', // é
  '\xe2\x9c\x93', // ✓
  '\xf0\x9f\x98\x80', // 😀
  '\xed\xa0\x80', // a UTF-16 surrogate written as UTF-8: invalid
  '\xc0\xaf', // an overlong '/': invalid
  'a',
  'Z',
  '0',
];

const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 8 }).map(bufferBytes) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }).map(textBytes) },
);
/** any byte string, most often made of the pieces above */
const bytes = fc.array(piece, { maxLength: 4 }).map((parts) => parts.join(''));

/** names from a small pool (so that commands meet the same keys), some of them binary; one shared by every type */
const pool = (prefix: string) => fc.constantFrom(`${prefix}`, `${prefix}\xff`, `${prefix}\x00`, `${prefix}\r\n`, `${prefix}\xc3\xa9`, `${prefix}\xc3`, `\x80${prefix}`, '\xff\x00shared');
const strKey = pool('s');
const hashKey = pool('h');
const listKey = pool('l');
const zsetKey = pool('z');
const streamKey = pool('x');
const setKey = pool('t');
const group = fc.constantFrom('g', 'g\xff', 'g\x00', '\xc3\xa9', 'G');
const consumer = fc.constantFrom('c', 'c\xff', '\x80', 'c\r\n');
/** a member or field: from a small pool or any bytes */
const member = fc.oneof(fc.constantFrom('', 'a', '\x00', '\xff', '\xff\x00', '\xc3\xa9', '\xc3', 'a\r\nb', '\x80', '\x7f'), bytes);

/** a Lua chunk with a binary string constant in its source (a long bracket string: no escapes needed) */
const constantScript = bytes.filter((b) => !b.includes(']==]') && !b.startsWith('\n') && !b.startsWith('\r')).map((b) => `return {[==[${b}]==], #[==[${b}]==]}`);

/**
 * a JS value msgpackr packs as Redis's cmsgpack reads it (no binary, no extension types; no nil
 * either: a nil stored into a fresh table still takes a node in Lua 5.1, and cjson.encode's key
 * order would then follow a layout the simulation does not model)
 */
const packable = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
    fc.constantFrom(0, 1, -1, 127, 128, 255, 256, 65535, 65536, 2 ** 32, 1.5, -0.25),
    fc.boolean(),
    fc.string({ unit: 'grapheme', maxLength: 6 }),
    fc.string({ maxLength: 40 }),
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 5 }), tie('value'), { maxKeys: 4 }),
})).value;

/** Lua that shows a value as text, tables with sorted keys (pairs() order aside) */
const SHOW = "local function show(v) local t = type(v) if t == 'table' then local keys = {} for k in pairs(v) do keys[#keys + 1] = k end table.sort(keys, function(a, b) return tostring(a) < tostring(b) end) local parts = {} for _, k in ipairs(keys) do parts[#parts + 1] = type(k) .. ':' .. tostring(k) .. '=' .. show(v[k]) end return '{' .. table.concat(parts, ',') .. '}' end return t .. ':' .. tostring(v) end ";

/** "ID" in an XADD: the next explicit id (both clocks differ: "*" would not compare) */
const NEXT_ID = '<next id>';

const command: fc.Arbitrary<string[]> = fc.oneof(
  // strings
  fc.tuple(strKey, bytes).map(([k, v]) => ['SET', k, v]),
  strKey.map((k) => ['GET', k]),
  strKey.map((k) => ['STRLEN', k]),
  fc.tuple(strKey, bytes).map(([k, v]) => ['APPEND', k, v]),
  // hashes
  fc.tuple(hashKey, member, bytes, member, bytes).map(([k, f1, v1, f2, v2]) => ['HSET', k, f1, v1, f2, v2]),
  fc.tuple(hashKey, member).map(([k, f]) => ['HGET', k, f]),
  hashKey.map((k) => ['HGETALL', k]),
  fc.tuple(hashKey, member, member).map(([k, f1, f2]) => ['HMGET', k, f1, f2]),
  // sets (their members' order is a hash table's on redis-server: only membership is compared)
  fc.tuple(setKey, member, member).map(([k, m1, m2]) => ['SADD', k, m1, m2]),
  fc.tuple(setKey, member).map(([k, m]) => ['SISMEMBER', k, m]),
  setKey.map((k) => ['SCARD', k]),
  // streams
  fc.tuple(streamKey, member, bytes, bytes).map(([k, f, v1, v2]) => ['XADD', k, NEXT_ID, f, v1, 'g\xff', v2]),
  streamKey.map((k) => ['XRANGE', k, '-', '+']),
  // consumer groups with binary names: XINFO GROUPS and XPENDING list them in byte order
  fc.tuple(streamKey, group).map(([k, g]) => ['XGROUP', 'CREATE', k, g, '0', 'MKSTREAM']),
  fc.tuple(streamKey, group, consumer).map(([k, g, c]) => ['XREADGROUP', 'GROUP', g, c, 'COUNT', '2', 'STREAMS', k, '>']),
  streamKey.map((k) => ['XINFO', 'GROUPS', k]),
  fc.tuple(streamKey, group).map(([k, g]) => ['XPENDING', k, g]),
  // lists
  fc.tuple(listKey, fc.array(member, { minLength: 1, maxLength: 3 })).map(([k, ms]) => ['LPUSH', k, ...ms]),
  listKey.map((k) => ['LRANGE', k, '0', '-1']),
  // sorted sets: equal scores order members by their bytes (memcmp)
  fc.tuple(zsetKey, fc.constantFrom('0', '0', '1', '-2.5'), member, member).map(([k, s, m1, m2]) => ['ZADD', k, s, m1, s, m2]),
  zsetKey.map((k) => ['ZRANGE', k, '0', '-1', 'WITHSCORES']),
  fc.tuple(zsetKey, member).map(([k, m]) => ['ZSCORE', k, m]),
  zsetKey.map((k) => ['ZRANGEBYLEX', k, '-', '+']),
  // scripts: KEYS and ARGV, their lengths and bytes, hashes and libraries over them
  fc.tuple(strKey, bytes).map(([k, a]) => ['EVAL', 'return {KEYS[1], ARGV[1], #KEYS[1], #ARGV[1]}', '1', k, a]),
  bytes.map((a) => ['EVAL', 'return {string.byte(ARGV[1], 1, -1)}', '0', a]),
  fc.tuple(bytes, fc.integer({ min: -5, max: 6 }), fc.integer({ min: -5, max: 6 })).map(([a, i, j]) => ['EVAL', 'return string.sub(ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))', '0', a, String(i), String(j)]),
  bytes.map((a) => ['EVAL', 'return redis.sha1hex(ARGV[1])', '0', a]),
  fc.tuple(bytes, bytes).map(([a, b]) => ['EVAL', 'return {cjson.encode(ARGV[1]), cjson.encode({ARGV[1], ARGV[2]})}', '0', a, b]),
  // cjson.decode: bytes >= 0x80 inside a JSON string are kept as they are, \u escapes become UTF-8
  bytes.map((a) => ['EVAL', 'local v = cjson.decode(ARGV[1]) return {v, #v}', '0', `"${a.replace(/[\x00-\x1f"\\]/g, '')}"`]),
  fc.string({ unit: 'grapheme', maxLength: 4 }).map((t) => ['EVAL', 'local v = cjson.decode(ARGV[1]) return {v, #v}', '0', JSON.stringify(t).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)]),
  packable.map((v) => ['EVAL', `${SHOW}return show(cmsgpack.unpack(ARGV[1]))`, '0', bufferBytes(pack(v))]),
  packable.map((v) => ['EVAL', 'return cjson.encode(cmsgpack.unpack(ARGV[1]))', '0', bufferBytes(pack(v))]),
  fc.tuple(strKey, bytes).map(([k, a]) => ['EVAL', "redis.call('SET', KEYS[1], ARGV[1] .. ARGV[1]) return {redis.call('GET', KEYS[1]), redis.call('STRLEN', KEYS[1])}", '1', k, a]),
  fc.tuple(hashKey, member, bytes).map(([k, f, v]) => ['EVAL', "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return redis.call('HGETALL', KEYS[1])", '1', k, f, v]),
  bytes.map((a) => ['EVAL', "return redis.status_reply(ARGV[1] .. 'x')", '0', a]),
  bytes.map((a) => ['EVAL', "return redis.error_reply('MY ' .. ARGV[1])", '0', a]),
  bytes.map((a) => ['EVAL', "return redis.pcall('HGET', 'h', ARGV[1], ARGV[1])", '0', a]),
  bytes.map((a) => ['EVAL', 'return {(string.gsub(ARGV[1], "[\\128-\\255]", "."))}', '0', a]),
  // a binary script: its source's bytes, its sha1 (SCRIPT LOAD) and EVALSHA of it
  constantScript.map((s) => ['EVAL', s, '0']),
  constantScript.map((s) => ['SCRIPT', 'LOAD', s]),
);

/** the sha1 hex of a script's bytes, as a client computes it */
const sha1 = (s: string) => createHash('sha1').update(Buffer.from(s, 'latin1')).digest('hex');

describe('binary strings against redis-server 7.0', () => {
  it('keeps every byte: hand-written cases', async () => {
    await pair.real.send(['FLUSHALL']);
    const { client } = newSim(() => 1_800_000_000_000);
    const sim = client();
    const seq: string[][] = [
      ['SET', 'k\xff\x00\r\n', '\xc3\x28\xa0\xa1\x00\xff'],
      ['GET', 'k\xff\x00\r\n'],
      ['STRLEN', 'k\xff\x00\r\n'],
      ['APPEND', 'k\xff\x00\r\n', '\xe2\x9c\x93'],
      ['GET', 'k\xff\x00\r\n'],
      ['EVAL', 'return {#ARGV[1], string.byte(ARGV[1], 1, -1)}', '0', '\x00\x80\xff\xc3'],
      ['EVAL', 'return {#KEYS[1], KEYS[1]}', '1', '\xed\xa0\x80'],
      ['EVAL', 'return redis.sha1hex(ARGV[1])', '0', '\xff\xfe\xfd'],
      ['EVAL', 'return cjson.encode({ARGV[1]})', '0', '\x00\x01\x1f\x7f\x80\xff"\\/\r\n'],
      ['EVAL', textBytes("return {'é', #'é'}"), '0'],
      ['SCRIPT', 'LOAD', textBytes("return 'héllo ✓'")],
      ['EVALSHA', sha1(textBytes("return 'héllo ✓'")), '0'],
      ['EVAL', 'return {[==[\xff\x00\r\n\x80]==]}', '0'],
      ['SCRIPT', 'LOAD', 'return {[==[\xff\x00\r\n\x80]==]}'],
      ['EVALSHA', sha1('return {[==[\xff\x00\r\n\x80]==]}'), '0'],
      ['EVAL', textBytes("error('é\xff')"), '0'],
      ['EVAL', 'error(ARGV[1])', '0', 'a\xffb\r\nc'],
      ['EVAL', "return redis.call('NO\\255SUCH', ARGV[1])", '0', 'x\xff'],
      ['NO\xffSUCH', 'a\xff', 'b'],
      ['ZADD', 'z', '0', '\xff', '0', '\x7f', '0', '\xc3\xa9', '0', '\x00', '0', ''],
      ['ZRANGE', 'z', '0', '-1'],
      ['ZRANGEBYLEX', 'z', '[\x7f', '(\xff'],
      ['XADD', 'x\xff', '1-1', 'f\x00', '\xff'],
      ['XRANGE', 'x\xff', '-', '+'],
      ['XREADGROUP', 'GROUP', 'g\xff', 'c', 'STREAMS', 'x\xff', '>'],
      ['HSET', 'h', '\xff', '\x00', '\x00', '\xff'],
      ['HGETALL', 'h'],
      ['ECHO', '\xff\x00'],
      ['PING', '\r\n\xff'],
    ];
    for (const argv of seq) {
      const want = await pair.real.send(argv);
      const got = sim.send(argv);
      expect(JSON.stringify(got), `${JSON.stringify(argv)}\n  redis-server: ${showReply(want)}`).toBe(JSON.stringify(want));
    }
  });

  it('answers random sequences of binary keys, values, members and script arguments exactly as the real server does', async () => {
    // SIM_DIFF_RUNS=5000 for a soak
    const runs = Number(process.env.SIM_DIFF_RUNS) || 300;
    let commands = 0;
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (seq) => {
        await pair.real.send(['FLUSHALL']);
        await pair.real.send(['SCRIPT', 'FLUSH']);
        const { client } = newSim(() => 1_800_000_000_000);
        const sim = client();
        let id = 0;
        for (const original of seq) {
          const argv = original.map((a) => (a === NEXT_ID ? `${++id}-1` : a));
          const want = await pair.real.send(argv);
          const got = sim.send(argv);
          commands++;
          note(want, seen);
          if (JSON.stringify(want) !== JSON.stringify(got)) {
            throw new Error(`${JSON.stringify(argv)}\n  redis-server: ${showReply(want)}\n  SimRedis:     ${got ? showReply(got) : 'no reply'}`);
          }
          // and the script a SCRIPT LOAD named runs by its sha1 (over the same bytes on both)
          if (argv[0] === 'SCRIPT' && want.t === 'bulk' && want.v !== null) {
            expect(want.v).toBe(sha1(argv[2]!));
            const call = ['EVALSHA', want.v, '0'];
            const w2 = await pair.real.send(call);
            expect(JSON.stringify(sim.send(call))).toBe(JSON.stringify(w2));
          }
        }
      }),
      { numRuns: runs, endOnFailure: false },
    );
    console.log(`differential (binary): ${runs} sequences, ${commands} commands; reached: ${[...seen].sort().join(', ')}`);
    for (const edge of ['bulk with NUL', 'bulk with 0x80-0xFF', 'bulk with CR/LF', 'ERR', 'WRONGTYPE', 'array']) expect(seen, edge).toContain(edge);
  });
});

function note(r: Reply, seen: Set<string>): void {
  if (r.t === 'error') seen.add(r.v.split(' ')[0]!);
  if (r.t === 'bulk' && r.v !== null) {
    if (r.v.includes('\x00')) seen.add('bulk with NUL');
    if (NON_ASCII.test(r.v)) seen.add('bulk with 0x80-0xFF');
    if (r.v.includes('\r\n')) seen.add('bulk with CR/LF');
  }
  if (r.t === 'array' && r.v) {
    seen.add('array');
    for (const x of r.v) note(x, seen);
  }
}

// ---- through ioredis ------------------------------------------------------------------------

describe('binary strings through ioredis: SimRedis and redis-server give the same values', () => {
  let sim: SimRedis;
  const clients: Redis[] = [];
  beforeAll(() => {
    sim = new SimRedis({ now: () => Date.now(), password: 'secret' });
  });
  afterAll(() => {
    for (const c of clients) c.disconnect();
  });
  const viaSim = () => {
    const c = new Redis({ ...simConnectorFor(sim), password: 'secret', maxRetriesPerRequest: 1 });
    clients.push(c);
    return c;
  };
  const viaReal = () => {
    const c = pair.server.client({ maxRetriesPerRequest: 1 });
    clients.push(c);
    return c;
  };

  const bin = Buffer.from([0xff, 0x00, 0x0d, 0x0a, 0x80, 0xc3, 0x28, 0xed, 0xa0, 0x80]);
  const binKey = Buffer.from([0x6b, 0xff, 0x00, 0xfe]);
  const text = 'héllo ✓ 日本 😀';

  /** the same calls on one client; every result, Buffers and strings as ioredis hands them on */
  async function run(r: Redis): Promise<unknown[]> {
    // (EVAL's Buffer form, which ioredis has but does not declare)
    const evalBuffer = (r as unknown as { evalBuffer(...args: unknown[]): Promise<unknown> }).evalBuffer.bind(r);
    const out: unknown[] = [];
    const settle = async (p: Promise<unknown>) => out.push(await p.then((v) => v, (e: Error) => `error: ${e.message}`));
    await settle(r.flushall());
    await settle(r.set(binKey, bin));
    await settle(r.getBuffer(binKey));
    await settle(r.get(binKey));
    await settle(r.strlen(binKey));
    await settle(r.append(binKey, Buffer.from([0xe2, 0x9c])));
    await settle(r.getBuffer(binKey));
    await settle(r.set('text', text));
    await settle(r.get('text'));
    await settle(r.getBuffer('text'));
    await settle(r.strlen('text'));
    await settle(r.hset('h', bin, bin, 'f', text, text, 'v'));
    await settle(r.hgetallBuffer('h'));
    await settle(r.hgetall('h'));
    await settle(r.hget('h', text));
    await settle(r.hgetBuffer('h', bin));
    await settle(r.rpush(binKey.subarray(0, 2), bin, text, ''));
    await settle(r.lrange(binKey.subarray(0, 2), 0, -1));
    await settle(r.lrangeBuffer(binKey.subarray(0, 2), 0, -1));
    await settle(r.zadd('z', 0, bin, 0, text, 0, 'plain'));
    await settle(r.zrangeBuffer('z', 0, -1, 'WITHSCORES'));
    await settle(r.zscore('z', text));
    await settle(r.xadd('x', '1-1', bin, bin, text, text));
    await settle(r.xrangeBuffer('x', '-', '+'));
    await settle(r.xrange('x', '-', '+'));
    await settle(r.eval('return {KEYS[1], ARGV[1], #ARGV[1], #ARGV[2], ARGV[2]}', 1, binKey, bin, text));
    await settle(evalBuffer('return {KEYS[1], ARGV[1], #ARGV[1], ARGV[2], redis.sha1hex(ARGV[1])}', 1, binKey, bin, text));
    await settle(r.eval(`return {'${text}', #'${text}'}`, 0));
    await settle(r.eval("return redis.status_reply(ARGV[1])", 0, bin));
    await settle(evalBuffer("return redis.status_reply(ARGV[1])", 0, bin));
    await settle(r.eval("return redis.error_reply(ARGV[1])", 0, text));
    await settle(r.eval('return cjson.encode(cmsgpack.unpack(ARGV[1]))', 0, pack({ name: text, n: [1, 2.5, -3], nested: { é: true } })));
    await settle(r.callBuffer('GET', binKey));
    await settle(r.call('GET', binKey));
    await settle(r.callBuffer('ECHO', 'ascii only'));
    await settle(r.callBuffer('PING'));
    await settle(r.pipeline().getBuffer(binKey).get('text').hgetallBuffer('h').set('p', bin).getBuffer('p').exec());
    await settle(r.multi().getBuffer(binKey).get(binKey).get('text').getBuffer('text').incr('n').exec());
    // a command defined by its Lua (EVALSHA, EVAL on NOSCRIPT), with text in its source: the
    // sha1 ioredis computes of the text's UTF-8 must be the one the server knows
    r.defineCommand('echoBoth', { numberOfKeys: 1, lua: "return {KEYS[1], ARGV[1], 'ü'}" });
    const defined = r as Redis & { echoBoth(k: Buffer, a: Buffer): Promise<unknown>; echoBothBuffer(k: Buffer, a: Buffer): Promise<unknown> };
    await settle(defined.echoBoth(binKey, bin));
    await settle(defined.echoBothBuffer(binKey, bin));
    await settle(r.script('EXISTS', (r as unknown as { scriptsSet: Record<string, { sha: string }> }).scriptsSet.echoBoth!.sha));
    return out;
  }

  it('the same calls with Buffer arguments, *Buffer commands and non-ASCII text', async () => {
    const real = await run(viaReal());
    const simulated = await run(viaSim());
    // the Buffer forms did hand on Buffers, and the text came back as it went
    expect(real[2]).toEqual(bin);
    expect(real[8]).toBe(text);
    expect(simulated).toEqual(real);
  });

  it('pub/sub: message and messageBuffer events carry the same bytes', async () => {
    const collect = async (pub: Redis, sub: Redis) => {
      const got: unknown[] = [];
      sub.on('message', (ch: string, m: string) => got.push(['message', ch, m]));
      sub.on('messageBuffer', (ch: Buffer, m: Buffer) => got.push(['messageBuffer', ch, m]));
      await sub.subscribe('ch\xe9', 'plain');
      await pub.publish('ch\xe9', bin);
      await pub.publish('plain', text);
      await pub.publish('plain', 'ascii');
      await pub.publish(Buffer.from([0x63, 0x68, 0xc3, 0xa9]), 'same channel as its utf8');
      await sub.ping();
      return got;
    };
    const real = await collect(viaReal(), viaReal());
    const simulated = await collect(viaSim(), viaSim());
    expect(real.some((m) => Array.isArray(m) && m[0] === 'messageBuffer' && Buffer.isBuffer(m[2]))).toBe(true);
    expect(simulated).toEqual(real);
  });

  it("BullMQ's Queue.add (its script arguments packed by msgpackr into bytes) stores the same job on both", async () => {
    const add = async (connection: Redis) => {
      const queue = new Queue('binary', { connection });
      try {
        const job = await queue.add('héllo ✓', { text, bytes: [...bin] }, { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, priority: 2, jobId: 'j-é' });
        const back = await queue.getJob(job.id!);
        return { id: job.id, name: back?.name, data: back?.data, opts: back?.opts, counts: await queue.getJobCounts('prioritized', 'waiting', 'failed') };
      } finally {
        await queue.close();
      }
    };
    const real = await add(pair.server.client({ maxRetriesPerRequest: null }));
    const simulated = await add(new Redis({ ...simConnectorFor(new SimRedis({ now: () => Date.now() })), maxRetriesPerRequest: null }));
    expect(real).toMatchObject({ id: 'j-é', name: 'héllo ✓', data: { text }, counts: { prioritized: 1 } });
    expect(simulated).toEqual(real);
  });
});
