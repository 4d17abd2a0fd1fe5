// The Lua libraries Redis bundles for scripts (cjson, cmsgpack, bit) and the Lua 5.1 behaviours
// the job-queue libraries' scripts (BullMQ, Bull, bee-queue) rely on: the same EVAL goes to the
// in-process SimRedis and to a real redis-server 7.0, and the replies must be identical.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferBytes, textBytes } from '../../harness/sim/redis/bytes.ts';
import { SimRedis } from '../../harness/sim/redis/engine.ts';
import { showReply, type Reply } from '../../harness/sim/redis/reply.ts';
import { realRedis } from './redis-pair.ts';

const pair = realRedis();
const sim = new SimRedis({ now: () => 1_800_000_000_000 });
const conn = sim.connect();

/** an argument: a JS text (sent as its UTF-8) or exact bytes */
type Arg = string | Uint8Array;
const argBytes = (a: Arg): string => (typeof a === 'string' ? textBytes(a) : bufferBytes(a));

/** the replies of both servers to one EVAL (the script a text), byte for byte */
async function both(script: string, args: Arg[] = []): Promise<{ want: string; got: string }> {
  const argv = ['EVAL', script, '0', ...args].map(argBytes);
  const want = await pair.real.send(argv);
  const r = sim.exec(conn, argv);
  const got = typeof r === 'object' ? r : ({ t: 'status', v: `(${String(r)})` } as Reply);
  return { want: showReply(want), got: showReply(got) };
}

async function same(script: string, args: Arg[] = []): Promise<string> {
  const { want, got } = await both(script, args);
  if (got !== want) throw new Error(`${script.length > 300 ? `...${script.slice(-300)}` : script}\n  redis-server: ${want}\n  SimRedis:     ${got}`);
  return want;
}


describe('cjson against redis-server 7.0', () => {
  const encodes = [
    'cjson.encode({})',
    'cjson.encode({1,2,3})',
    "cjson.encode({'a', 'b', {}})",
    "cjson.encode({a = 1})",
    "cjson.encode({a = {b = {c = {1, 2, {d = 'x'}}}}})",
    "cjson.encode('a/b\\\\c\"d\\n\\r\\t\\b\\f' .. string.char(0, 1, 31, 127, 128, 255))",
    "cjson.encode('héllo ☃ 😀')",
    'cjson.encode(1)',
    'cjson.encode(-1)',
    'cjson.encode(0)',
    'cjson.encode(-0)',
    'cjson.encode(0.1)',
    'cjson.encode(1/3)',
    'cjson.encode(-2.5)',
    'cjson.encode(1e15)',
    'cjson.encode(1e14)',
    'cjson.encode(99999999999999)',
    'cjson.encode(123456789012345)',
    'cjson.encode(1234567890123.25)',
    'cjson.encode(2^53)',
    'cjson.encode(2^63)',
    'cjson.encode(1e300)',
    'cjson.encode(1e-300)',
    'cjson.encode(5e-324)',
    'cjson.encode(0.0001)',
    'cjson.encode(0.00001)',
    'cjson.encode(1700000000000)',
    'cjson.encode(1700000000000.5)',
    'cjson.encode(tonumber("12345678901234567890"))',
    'cjson.encode(true)',
    'cjson.encode(false)',
    'cjson.encode(nil)',
    'cjson.encode(cjson.null)',
    'cjson.encode({cjson.null, 1})',
    'cjson.encode({[1] = 1, [2] = 2, [4] = 4})',
    'cjson.encode({[1] = 1, [20] = 2})',
    'cjson.encode({[10] = 1})',
    'cjson.encode({[11] = 1})',
    'cjson.encode({[1.5] = 1})',
    'cjson.encode({[-1] = 1})',
    'cjson.encode({[0] = 1})',
    "cjson.encode({[true] = 1})",
    'cjson.encode({f = function() end})',
    'cjson.encode(function() end)',
    'cjson.encode(1/0)',
    'cjson.encode(-1/0)',
    'cjson.encode(0/0)',
    'cjson.encode()',
    'cjson.encode(1, 2)',
    "local t = {} t[1] = t return cjson.encode(t)",
    'local t = {} for i = 1, 100 do t[i] = i * 1.5 end return cjson.encode(t)',
    "local t = {1, 2, 3} t[2] = nil return cjson.encode(t)",
  ];
  for (const expr of encodes) {
    it(`encode: ${expr}`, async () => {
      await same(expr.startsWith('local') ? expr : `return ${expr}`);
    });
  }

  const decodes: string[] = [
    '{}',
    '[]',
    '[1,2,3]',
    '{"a":1}',
    '{"a":[1,{"b":null}],"c":"d"}',
    '"x"',
    '12',
    '-12.5e3',
    '1E400',
    '0.1',
    '-0',
    '"\\u00e9\\u2603\\ud83d\\ude00"',
    '"\\/\\\\\\"\\b\\f\\n\\r\\t"',
    '  [ 1 , 2 ]  ',
    'true',
    'null',
    '',
    ' ',
    '[',
    '[1,]',
    '{"a"}',
    '{"a":1,}',
    '{1:2}',
    'tru',
    'nul',
    '[1 2]',
    '"abc',
    '"\\x"',
    '"\\u12"',
    '"\\ud800"',
    '"\\udc00\\ud800"',
    '01',
    '+1',
    '0x10',
    '-0x10',
    'inf',
    '-Infinity',
    'nan',
    'NaN',
    '1.',
    '.5',
    '1e',
    '1e+',
    '2e-3',
    '[1]x',
    '{"a":1}}',
    '"a\\u0000b"',
    '[[[[[[[[[[1]]]]]]]]]]',
  ];
  const show = `
    local function show(v, depth)
      if v == cjson.null then return 'null' end
      local t = type(v)
      if t == 'table' then
        local keys = {}
        for k in pairs(v) do keys[#keys + 1] = k end
        table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
        local parts = {}
        for _, k in ipairs(keys) do parts[#parts + 1] = type(k) .. ':' .. tostring(k) .. '=' .. show(v[k]) end
        return '{' .. table.concat(parts, ',') .. '}'
      end
      return t .. ':' .. tostring(v)
    end`;
  for (const text of decodes) {
    it(`decode: ${JSON.stringify(text)}`, async () => {
      await same(`${show}\nreturn show(cjson.decode(ARGV[1]))`, [text]);
      await same('return cjson.encode(cjson.decode(ARGV[1]))', [text]);
    });
  }
  it('decode: UTF-16 input, a non-string argument, no argument, nesting past 1000', async () => {
    await same("return cjson.decode('a' .. string.char(0) .. 'b')");
    await same('return cjson.decode(12)');
    await same('return cjson.decode({})');
    await same('return cjson.decode()');
    await same("return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))");
    await same("return #cjson.encode(cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000)))");
    await same("local t = {} local c = t for i = 1, 1001 do c[1] = {} c = c[1] end return cjson.encode(t)");
  });
  it('objects of many keys come out in Lua 5.1 order (tables filled key by key)', async () => {
    const keys = ['jobId', 'name', 'data', 'opts', 'timestamp', 'delay', 'priority', 'attempts', 'backoff', 'removeOnComplete', 'removeOnFail', 'parent', 'repeat', 'lifo', 'a', 'b', 'x1', 'x2', 'x3', '', 'é'];
    for (let n = 2; n <= keys.length; n++) {
      const obj = Object.fromEntries(keys.slice(0, n).map((k, i) => [k, i]));
      await same('return cjson.encode(cjson.decode(ARGV[1]))', [JSON.stringify(obj)]);
      await same(`local t = {} ${keys.slice(0, n).map((k, i) => `t[${JSON.stringify(k)}] = ${i}`).join(' ')} return cjson.encode(t)`);
    }
    await same("local t = {} t[1] = 'a' t[2] = 'b' t.x = 1 t[4] = 'd' t[2.5] = 'h' t[-1] = 'n' t[100] = 'far' return cjson.encode(t)");
    await same("local t = {} for i = 1, 40 do t['k' .. i] = i end return cjson.encode(t)");
    await same("local t = {} for i = 40, 1, -1 do t[i * 3] = i end t.s = 1 return cjson.encode(t)");
    await same("local t = {} t[3] = 3 t[2] = 2 t[1] = 1 t.z = 0 return cjson.encode(t)");
    await same("local t = {} t[0] = 'zero' t[-0.5] = 'neg' t[1e300] = 'big' t.k = 1 return cjson.encode(t)");
  });
  it('cjson.null: a value of its own, nil in a reply, equal to itself', async () => {
    await same("return {type(cjson.null), tostring(cjson.null == cjson.null), tostring(cjson.decode('null') == cjson.null)}");
    await same("return {1, cjson.decode('null'), 3}");
    await same("return cjson.decode('[1,null,3]')");
    await same("return cjson.decode('null')");
  });
  it('decoded numbers are Lua numbers as 5.1 has them (tostring, arithmetic, redis.call arguments)', async () => {
    await same("local v = cjson.decode('[3, 2.5, 1e20, 123456789012345678]') return {tostring(v[1]), tostring(v[2]), tostring(v[3]), tostring(v[4]), v[1] .. '', tostring(v[1] / 2)}");
    await same("local v = cjson.decode('{\"n\": 12}') redis.call('SET', 'lualib:n', v.n * 3) return redis.call('GET', 'lualib:n')");
    await same("local v = cjson.decode('{\"n\": 1.5}') redis.call('SET', 'lualib:n', v.n) return redis.call('GET', 'lualib:n')");
  });
});

describe('cjson: random JSON-like values (property)', () => {
  // LUA_LIB_RUNS=5000 for a soak
  const RUNS = Number(process.env.LUA_LIB_RUNS) || 400;
  /** JSON-like values: objects of up to 12 keys (their order is Lua 5.1's hash order on both sides) */
  const key = fc.string({ maxLength: 6 });
  const num = fc.oneof(
    fc.integer({ min: -1e6, max: 1e6 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer({ min: -(2 ** 53), max: 2 ** 53 }),
    fc.constantFrom(0, -0, 0.1, 1e14, 1e15, 123456789012345, 2 ** 31, -(2 ** 31), 1e-5, 1.5e300),
  );
  const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('/', '\\', '"', '\u007f', '\u0000', '\u2028'));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, num, text, fc.boolean(), tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 5 }),
    object: fc.dictionary(key, tie('value'), { maxKeys: 12 }),
  }));
  it('cjson.decode then cjson.encode give the same bytes on both servers', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        runs++;
        const json = JSON.stringify(v);
        const { want, got } = await both('return cjson.encode(cjson.decode(ARGV[1]))', [json]);
        if (got !== want) throw new Error(`${json}\n  redis-server: ${want}\n  SimRedis:     ${got}`);
        // and the decoded values as Lua sees them (pairs() order aside: sorted)
        const typed = await both("local function s(v) if type(v) == 'table' then local o = {} for k, x in pairs(v) do o[#o + 1] = tostring(k) .. '=' .. s(x) end table.sort(o) return '{' .. table.concat(o, ',') .. '}' end return type(v) .. ':' .. tostring(v) end return s(cjson.decode(ARGV[1]))", [json]);
        if (typed.got !== typed.want) throw new Error(`${json}\n  redis-server: ${typed.want}\n  SimRedis:     ${typed.got}`);
      }),
      { numRuns: RUNS },
    );
    expect(runs).toBeGreaterThanOrEqual(RUNS);
  });
  it('numbers: cjson.encode of a number written by the script gives the same text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.double({ noNaN: true, noDefaultInfinity: true }), async (d) => {
        const literal = Object.is(d, -0) ? '-0.0' : d.toExponential(20);
        const { want, got } = await both(`return {cjson.encode(${literal}), cjson.encode({${literal}}), tostring(${literal})}`);
        if (got !== want) throw new Error(`${literal}\n  redis-server: ${want}\n  SimRedis:     ${got}`);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('cmsgpack against redis-server 7.0', () => {
  const show = `
    local function show(v)
      local t = type(v)
      if t == 'table' then
        local keys = {}
        for k in pairs(v) do keys[#keys + 1] = k end
        table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
        local parts = {}
        for _, k in ipairs(keys) do parts[#parts + 1] = type(k) .. ':' .. tostring(k) .. '=' .. show(v[k]) end
        return '{' .. table.concat(parts, ',') .. '}'
      end
      return t .. ':' .. tostring(v)
    end
    local function all(...)
      local out = {select('#', ...)}
      for i = 1, select('#', ...) do out[#out + 1] = show((select(i, ...))) end
      return out
    end`;
  const cases: [string, number[]][] = [
    ['positive fixint', [0x00, 0x7f]],
    ['negative fixint', [0xff, 0xe0]],
    ['uint 8/16/32/64', [0xcc, 0xff, 0xcd, 0xff, 0xff, 0xce, 0xff, 0xff, 0xff, 0xff, 0xcf, 0, 0x20, 0, 0, 0, 0, 0, 1]],
    ['int 8/16/32/64', [0xd0, 0x80, 0xd1, 0x80, 0x00, 0xd2, 0x80, 0, 0, 0, 0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]],
    ['uint 64 above 2^53', [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['float 32 and 64', [0xca, 0x3f, 0xc0, 0, 0, 0xcb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]],
    ['nil, true, false', [0xc0, 0xc3, 0xc2]],
    ['fixstr, str 8/16/32', [0xa3, 0x61, 0x62, 0x63, 0xd9, 0x02, 0x68, 0x69, 0xda, 0, 1, 0x7a, 0xdb, 0, 0, 0, 2, 0xc3, 0xa9]],
    ['fixarray with a nil', [0x93, 0x01, 0xc0, 0x03]],
    ['array 16/32', [0xdc, 0, 2, 0x01, 0x02, 0xdd, 0, 0, 0, 1, 0xa1, 0x78]],
    ['fixmap (BullMQ opts)', [0x83, 0xa8, ...Buffer.from('attempts'), 0x03, 0xa5, ...Buffer.from('delay'), 0xcd, 0x03, 0xe8, 0xa7, ...Buffer.from('backoff'), 0x82, 0xa4, ...Buffer.from('type'), 0xab, ...Buffer.from('exponential'), 0xa5, ...Buffer.from('delay'), 0xcb, 0x40, 0x8f, 0x40, 0, 0, 0, 0, 0]],
    ['map 16/32 with a nil value and number keys', [0xde, 0, 2, 0x01, 0xc0, 0x02, 0xa1, 0x62, 0xdf, 0, 0, 0, 1, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc3]],
    ['nested', [0x92, 0x81, 0xa1, 0x61, 0x91, 0x90, 0x80]],
    ['empty input', []],
    ['missing bytes', [0xcd, 0x01]],
    ['missing string bytes', [0xa5, 0x61]],
    ['missing array items', [0x93, 0x01]],
    ['bin 8 (not in Redis cmsgpack)', [0xc4, 0x01, 0x61]],
    ['ext', [0xd4, 0x01, 0x02]],
    ['0xc1', [0xc1]],
  ];
  for (const [name, bytes] of cases) {
    it(`unpack: ${name}`, async () => {
      // (the msgpack bytes as ARGV[1], exactly)
      const arg = [Uint8Array.from(bytes)];
      await same(`${show}\nreturn all(cmsgpack.unpack(ARGV[1]))`, arg);
      await same(`${show}\nreturn all(cmsgpack.unpack_one(ARGV[1]))`, arg);
      await same(`${show}\nreturn all(cmsgpack.unpack_limit(ARGV[1], 2))`, arg);
      await same(`${show}\nreturn all(cmsgpack.unpack_one(ARGV[1], 1))`, arg);
    });
  }
  it('unpack: offsets out of range, a non-string argument', async () => {
    await same(`${show}\nreturn all(cmsgpack.unpack_one(string.char(1, 2), 3))`);
    await same(`${show}\nreturn all(cmsgpack.unpack_limit(string.char(1, 2), -1))`);
    await same(`${show}\nreturn all(cmsgpack.unpack_one(string.char(1, 2), 2))`);
    await same(`${show}\nreturn all(cmsgpack.unpack({}))`);
    await same(`${show}\nreturn all(cmsgpack.unpack(12))`);
  });
  it('unpacked opts go through cjson.encode as BullMQ stores them (keys in Lua 5.1 order)', async () => {
    const unpacked = 'return cjson.encode(cmsgpack.unpack(ARGV[1]))';
    await same(unpacked, [Uint8Array.from([0x83, 0xa8, ...Buffer.from('attempts'), 0x03, 0xa5, ...Buffer.from('delay'), 0xcd, 0x03, 0xe8, 0xa7, ...Buffer.from('backoff'), 0x82, 0xa4, ...Buffer.from('type'), 0xab, ...Buffer.from('exponential'), 0xa5, ...Buffer.from('delay'), 0xcb, 0x40, 0x8f, 0x40, 0, 0, 0, 0, 0])]);
    await same(unpacked, [Uint8Array.from([0x81, 0xa7, ...Buffer.from('backoff'), 0x81, 0xa5, ...Buffer.from('delay'), 0xcd, 0x03, 0xe8])]);
    await same(unpacked, [Uint8Array.from([0x92, 0xcb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a, 0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe])]);
  });
});

describe('bit against redis-server 7.0', () => {
  const values = ['0', '1', '-1', '0xfff', '2^31', '2^31 - 1', '-(2^31)', '2^32', '2^32 + 5', '2^52', '2^53 + 2', '1.5', '2.5', '-1.5', '-2.5', '0.5', '1e300', '-1e300', '"12"', '"0x10"', '1700000000000', '1700000000000 * 4096'];
  for (const fn of ['tobit', 'bnot', 'bswap', 'tohex']) {
    it(`bit.${fn}`, async () => {
      await same(`return {${values.map((v) => `tostring(bit.${fn}(${v}))`).join(', ')}}`);
    });
  }
  for (const fn of ['band', 'bor', 'bxor', 'lshift', 'rshift', 'arshift', 'rol', 'ror']) {
    it(`bit.${fn}`, async () => {
      const pairs = values.flatMap((a) => ['0', '1', '4', '31', '32', '33', '-1', '0xfff', '0x55555555', '2^31'].map((b) => `tostring(bit.${fn}(${a}, ${b}))`));
      await same(`return {${pairs.join(', ')}}`);
    });
  }
  it('bit: several arguments, tohex widths, wrong types', async () => {
    await same('return {bit.band(0xff, 0x0f, 0x3), bit.bor(1, 2, 4, 8), bit.bxor(1, 3, 7), bit.band(5)}');
    await same('return {bit.tohex(255, 2), bit.tohex(255, -4), bit.tohex(-1, 12), bit.tohex(-1, -12), bit.tohex(1, 0), bit.tohex(1, -0)}');
    await same("return bit.band('x', 1)");
    await same('return bit.band(1, {})');
    await same('return bit.bnot()');
    await same('return bit.band(1, nil)');
    await same('return bit.tohex(nil)');
  });
  it("Bull's job-id score: timestamp * 0x1000 + bit.band(counter, 0xfff)", async () => {
    await same("local ts = tonumber(ARGV[1]) local c = tonumber(ARGV[2]) local score = ts * 0x1000 + bit.band(c, 0xfff) redis.call('ZADD', 'lualib:z', score, 'j') return {tostring(score), redis.call('ZSCORE', 'lualib:z', 'j')}", ['1700000000123', '70000']);
  });
});

describe('Lua 5.1 behaviours the libraries rely on', () => {
  const cases = [
    'return {unpack({1, 2, 3})}',
    'return {unpack({1, 2, 3, 4}, 2, 3)}',
    'return {tostring(math.huge), tostring(-math.huge), tostring(math.huge > 1e308)}',
    'return {tostring(1), tostring(1.0), tostring(3 / 1), tostring(2^53), tostring(2^63), tostring(1e15), tostring(1e14), tostring(123456789012345)}',
    "return {tostring(tonumber('10')), tostring(tonumber('1e3')), tostring(tonumber('0x10')), tostring(tonumber('12345678901234567890')), tostring(tonumber(' 5 ')), tostring(tonumber('5x'))}",
    "return {string.format('%d', 3), string.format('%d', 3.0), string.format('%06d', '123'), string.format('%d', '1700000000000'), string.format('%d', 2^40)}",
    "return string.format('%d', 1.5)",
    "return {string.format('%s', 1.5), string.format('%s', 10), string.format('%.2f', 1), string.format('%5.1f|%-5d|%x', 3.14159, 42, 255)}",
    'return {tostring(math.floor(3.7)), tostring(math.floor(-3.5)), tostring(math.floor(2^40 + 0.5)), tostring(math.abs(-4)), tostring(math.max(1, 2.5)), tostring(math.min(3, 2))}',
    'return {tostring(7 % 3), tostring(-7 % 3), tostring(7.5 % 2), tostring(2^31 * 2), tostring(65536 * 65536), tostring(2147483647 + 1), tostring(-2147483648 - 1)}',
    "local t = {} table.insert(t, 'a') table.insert(t, 1, 'b') return {table.concat(t, ','), #t, table.getn(t)}",
    "local t = {3, 1, 2} table.sort(t) return t",
    "return {string.sub('hello', 2, 3), string.sub('hello', -3), string.len('héllo'), string.char(104, 105), string.find('a.b', '.', 1, true), string.match('key:123', ':(%d+)$')}",
    "return {next({}) == nil, select('#', 1, nil, 3), select(2, 'a', 'b', 'c')}",
    "return {type(nil), type(1), type('x'), type({}), type(print)}",
    "local ok, e = pcall(function() error('boom') end) return {tostring(ok), e}",
    "local ok, e = pcall(function() error({err = 'x'}) end) return {tostring(ok), type(e), e.err}",
    "local r = redis.pcall('INCR', 'lualib:str') return {type(r), r['err']}",
    "redis.call('SET', 'lualib:str', 'abc') local r = redis.pcall('INCR', 'lualib:str') return {type(r), r['err']}",
    "redis.call('SET', 'lualib:str', 'abc') return redis.pcall('INCR', 'lualib:str')",
    "return redis.pcall('NOSUCHCOMMAND')",
    "return redis.error_reply('My error')",
    "return redis.error_reply('-CUSTOM My error')",
    "return redis.status_reply('FINE')",
    "return redis.sha1hex('')",
    "return redis.sha1hex('hello')",
    "return {redis.sha1hex(1.5), redis.sha1hex(2^53), redis.sha1hex(10)}",
    "return redis.sha1hex()",
    "return {tostring(1/0), tostring(-1/0), tostring(0/0), tostring(-(0/0)), tostring(5 % -0.0), tostring(math.huge - math.huge), tostring(math.sqrt(-1))}",
    "return {tostring(string.sub('hello', 2.7)), tostring(string.byte('a')), tostring(string.rep('ab', 2.5)), tostring(('x'):rep(3))}",
    "return {table.concat({1, 2.5, 1e15, 2^53, -0.0, 1/3}, ','), 1e15 .. '', 2^63 .. '|' .. -2^63, (0.1 + 0.2) .. ''}",
    "return {type(redis.setresp), type(redis.log), type(redis.LOG_WARNING), type(redis.set_repl), type(redis.replicate_commands), type(redis.breakpoint), type(redis.debug)}",
    "redis.log(redis.LOG_WARNING, 'from a test') return 1",
    "return {tostring(#ARGV), tostring(#KEYS)}",
    "local time = redis.call('TIME') return {type(time[1]), type(tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))}",
    "return {tostring(0x1000), tostring(0x100000000), tostring(0xffffffff), tostring(0x7fffffff + 1)}",
  ];
  const formats = ["'%d'", "'%5d|%-5d|%05d|%+d|% d'", "'%.3d|%.0d|%8.3d|%-8.3d'", "'%x|%X|%#x|%#X|%o|%#o|%u'", "'%c%c'", "'%d%%'", "'%s=%d (%5.2f)'", "'%i'"];
  const formatArgs = ["3, 4, 5, 6, 7", "-3, -4, -5, 0, 0", "255, 255, 255, 255, 8, 8, 7", "2^40, 2^40, 2^40, -1, 1e10, 1e10, 1e10", "1.9, -1.9, 2.5, -2.5, 0.5", "'12', ' 13 ', '0x10', '1e3', '5'", "2^63, -(2^63), 2^64, 1/0, 0/0", "0, 0, 0, 0, 0", "72, 105, 0", "'k', 1700000000000, 1.005"];
  it('string.format: integer conversions as 5.1 casts them', async () => {
    const calls = formats.flatMap((f) => formatArgs.map((a) => `p(${f}, ${a})`));
    await same(`local function p(...) local ok, r = pcall(string.format, ...) return ok and r or ('error: ' .. tostring(r)) end return {${calls.join(', ')}}`);
  });
  it('pcall: a redis.call error becomes its message (Redis 7), runtime errors in 5.1 words', async () => {
    await same("redis.call('SET', 'lualib:s', 'x') local ok, e = pcall(redis.call, 'INCR', 'lualib:s') return {tostring(ok), type(e), e}");
    await same("local ok, e = pcall(redis.call, 'NOSUCH') return {tostring(ok), e}");
    await same("local ok, e = pcall(function() local t = nil return t.x end) return {tostring(ok), e}");
    await same("local ok, e = pcall(function() return 1 .. {} end) return {tostring(ok), e}");
    await same("local ok, e = pcall(error, 'plain') return {tostring(ok), e}");
    await same("local ok, e = pcall(error, {err = 5}) return {tostring(ok), e}");
    await same("local ok, a, b = pcall(function() return 1, 2 end) return {tostring(ok), a, b}");
    await same("local t = {} return t.x.y");
    await same("local x return x + 1");
    await same("local s = 'a' return s.y.z");
    await same("return #nil");
  });
  for (const script of cases) {
    it(script, async () => {
      await same(script);
    });
  }
  it('unpack of the batch sizes the libraries use (1024, 7000) and past the C stack limit', async () => {
    for (const n of [1024, 7000, 7999, 8000, 8001, 20000]) {
      await same(`local t = {} for i = 1, ${n} do t[i] = i end local ok, e = pcall(function() return select('#', unpack(t)) end) return {tostring(ok), tostring(e)}`);
      await same(`local t = {} for i = 1, ${n} do t[i] = 'm' .. i end redis.call('DEL', 'lualib:big') local ok, e = pcall(function() return redis.call('RPUSH', 'lualib:big', unpack(t)) end) return {tostring(ok), tostring(e)}`);
    }
  });
  it('tonumber: bases, spaces, hex, exponents, junk', async () => {
    const inputs = ["'10'", "' 10 '", "'0x1F'", "'-0x10'", "'1e2'", "'1e'", "''", "'  '", "'.5'", "'5.'", "'1e400'", "'inf'", "'nan'", "'0b1'", "'10', 16", "'ff', 16", "'FF', 16", "'z', 36", "'8', 8", "' 11 ', 2", "'1.5', 10", "12", "12.5", "nil", "{}"];
    await same(`local function t(...) local ok, r = pcall(tonumber, ...) return ok and tostring(r) or ('error: ' .. tostring(r)) end return {${inputs.map((i) => `t(${i})`).join(', ')}}`);
  });
  it('integer arithmetic past 32 bits stays exact, as with 5.1 doubles', async () => {
    await same("local a = tonumber(ARGV[1]) local b = tonumber(ARGV[2]) return {tostring(a * b), tostring(a + b), tostring(a * 4096), tostring(-a * b), tostring(a * b * b)}", ['100000', '70000']);
    await same("local n = tonumber(ARGV[1]) local priority = tonumber(ARGV[2]) local score = priority * 0x100000000 + n return {tostring(score), redis.call('ZADD', 'lualib:p', score, 'j'), redis.call('ZSCORE', 'lualib:p', 'j')}", ['7', '3']);
  });
});

describe("bee-queue's Lua scripts agree with redis-server", () => {
  const dir = join(dirname(createRequire(import.meta.url).resolve('bee-queue/package.json')), 'lib', 'lua');
  const lua = (name: string) => readFileSync(join(dir, `${name}.lua`), 'utf8');
  it('addJob, addDelayedJob, raiseDelayedJobs, checkStalledJobs, removeJob', async () => {
    const q = 'bq:lualib';
    const k = (s: string) => `${q}:${s}`;
    const run = (name: string, keys: string[], args: string[]) => ['EVAL', lua(name), String(keys.length), ...keys, ...args];
    const steps: string[][] = [
      ['DEL', k('id'), k('jobs'), k('waiting'), k('delayed'), k('active'), k('stalling'), k('stallBlock'), k('succeeded'), k('failed')],
      run('addJob', [k('id'), k('jobs'), k('waiting')], ['', '{"a":1}']),
      run('addJob', [k('id'), k('jobs'), k('waiting')], ['', '{"a":2}']),
      run('addJob', [k('id'), k('jobs'), k('waiting')], ['custom', '{"a":3}']),
      run('addJob', [k('id'), k('jobs'), k('waiting')], ['custom', '{"a":4}']),
      run('addDelayedJob', [k('id'), k('jobs'), k('delayed'), k('earlierDelayed')], ['', '{"d":1}', '1000']),
      run('addDelayedJob', [k('id'), k('jobs'), k('delayed'), k('earlierDelayed')], ['', '{"d":2}', '5000']),
      run('addDelayedJob', [k('id'), k('jobs'), k('delayed'), k('earlierDelayed')], ['', '{"d":3}', '500']),
      run('raiseDelayedJobs', [k('delayed'), k('waiting')], ['1200', '100']),
      ['LRANGE', k('waiting'), '0', '-1'],
      ['RPOPLPUSH', k('waiting'), k('active')],
      ['SADD', k('stalling'), '1'],
      run('checkStalledJobs', [k('stallBlock'), k('stalling'), k('waiting'), k('active')], ['1000']),
      run('checkStalledJobs', [k('stallBlock'), k('stalling'), k('waiting'), k('active')], ['1000']),
      ['LRANGE', k('waiting'), '0', '-1'],
      ['SMEMBERS', k('stalling')],
      run('removeJob', [k('succeeded'), k('failed'), k('waiting'), k('active'), k('stalling'), k('jobs'), k('delayed')], ['2']),
      ['HGETALL', k('jobs')],
      ['ZRANGE', k('delayed'), '0', '-1', 'WITHSCORES'],
    ];
    for (const step of steps) {
      const argv = step.map(textBytes);
      const want = showReply(await pair.real.send(argv));
      const r = sim.exec(conn, argv);
      const got = showReply(typeof r === 'object' ? r : ({ t: 'status', v: `(${String(r)})` } as Reply));
      if (got !== want) throw new Error(`${argv[0]} ${argv[0] === 'EVAL' ? argv[1]!.slice(0, 40) : argv.slice(1).join(' ')}\n  redis-server: ${want}\n  SimRedis:     ${got}`);
    }
  });
});
