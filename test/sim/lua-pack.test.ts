// cmsgpack.pack and the struct library (pack, unpack, size) against redis-server 7.0: the same
// EVAL goes to the in-process SimRedis and to a real redis-server, and the replies (packed bytes,
// unpacked values, error texts) must be identical, byte for byte.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferBytes, textBytes } from '../../harness/sim/redis/bytes.ts';
import { SimRedis } from '../../harness/sim/redis/engine.ts';
import { showReply, type Reply } from '../../harness/sim/redis/reply.ts';
import { realRedis } from './redis-pair.ts';

const pair = realRedis();
const sim = new SimRedis({ now: () => 1_800_000_000_000 });
const conn = sim.connect();

type Arg = string | Uint8Array;
const argBytes = (a: Arg): string => (typeof a === 'string' ? textBytes(a) : bufferBytes(a));

/** a reply shown with its strings' bytes in hex where they are not printable ASCII */
function show(r: Reply): string {
  if (r.t === 'bulk' && r.v !== null && /[^\x20-\x7e]/.test(r.v)) return `<${Buffer.from(r.v, 'latin1').toString('hex')}>`;
  if (r.t === 'array' && r.v !== null) return `[${r.v.map(show).join(', ')}]`;
  return showReply(r);
}

let compared = 0;
afterAll(() => {
  console.log(`lua-pack: ${compared} EVALs compared with redis-server`);
});

async function both(script: string, args: Arg[] = []): Promise<{ want: string; got: string }> {
  const argv = ['EVAL', script, '0', ...args].map(argBytes);
  const want = await pair.real.send(argv);
  const r = sim.exec(conn, argv);
  const got = typeof r === 'object' ? r : ({ t: 'status', v: `(${String(r)})` } as Reply);
  compared++;
  return { want: show(want), got: show(got) };
}

async function same(script: string, args: Arg[] = []): Promise<string> {
  const { want, got } = await both(script, args);
  if (got !== want) throw new Error(`${script.length > 400 ? `...${script.slice(-400)}` : script}\n  redis-server: ${want}\n  SimRedis:     ${got}`);
  return want;
}

/** Lua helpers: values shown exactly (numbers with 17 digits, tables sorted) */
const SHOW = `
local function num(v)
  if v ~= v then return 'nan' end
  if v == 1/0 then return 'inf' end
  if v == -1/0 then return '-inf' end
  if v == 0 then return 1/v < 0 and '-0' or '0' end
  -- exactly: an integer below 2^53 times a power of 2
  -- (0.0 - v, not math.abs or -v: a key -2^31 read back by pairs is a fengari 32-bit integer, which those wrap)
  local a, e = (v < 0 and 0.0 - v or v + 0.0), 0
  while a >= 2^53 do a = a / 2 e = e + 1 end
  while a ~= math.floor(a) do a = a * 2 e = e - 1 end
  return (v < 0 and '-' or '') .. string.format('%d', a) .. (e ~= 0 and ('p' .. e) or '')
end
local function show(v)
  local t = type(v)
  if t == 'table' then
    -- sorted by names of ASCII hex digits (no string comparison of binary bytes)
    local keys, names = {}, {}
    for k in pairs(v) do
      keys[#keys + 1] = k
      local tk = type(k)
      names[k] = tk .. ':' .. (tk == 'number' and num(k) or tk == 'string' and k:gsub('.', function(c) return string.format('%02x', c:byte()) end) or tostring(k))
    end
    table.sort(keys, function(a, b) return names[a] < names[b] end)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = show(k) .. '=' .. show(v[k]) end
    return '{' .. table.concat(parts, ',') .. '}'
  end
  if t == 'number' then return 'n:' .. num(v) end
  if t == 'string' then return 's:' .. v end
  return t .. ':' .. tostring(v)
end
local function all(...)
  local out = {tostring(select('#', ...))}
  for i = 1, select('#', ...) do out[#out + 1] = show((select(i, ...))) end
  return out
end
`;

// ---- cmsgpack.pack ------------------------------------------------------------------------

const EDGE_INTS = [0, 1, 31, 32, 127, 128, 255, 256, 32767, 32768, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 62, 2 ** 63 - 1024];
const INT_EXPRS = [
  ...EDGE_INTS.flatMap((n) => [String(n), `-${n}`]),
  '-32',
  '-33',
  '-128',
  '-129',
  '-32768',
  '-32769',
  '-(2^31)',
  '-(2^31) - 1',
  '2^63',
  '-(2^63)',
  '-(2^63) - 2048',
  '2^64',
  '2^64 + 4096',
  '-(2^64)',
  '1e18',
  '-1e18',
  '1e19',
  '1e300',
  '-0',
  '0 * -1',
];
const FLOAT_EXPRS = ['0.5', '-0.5', '1.5', '0.1', '-0.1', '1/3', '3.4028234663852886e38', '3.4028235677973366e38', '1.401298464324817e-45', '1e-45', '2^-149', '2^-150', '5e-324', '-5e-324', '2^63 + 2^40', '1e-300', '123456.789', '16777217', '16777216.5', '1/0', '-1/0', '0/0', '-(0/0)', 'math.pi', '1.17549435e-38', '2^-126'];

describe('cmsgpack.pack against redis-server 7.0', () => {
  const packs: string[] = [
    ...INT_EXPRS,
    ...FLOAT_EXPRS,
    'nil',
    'true',
    'false',
    "''",
    "'a'",
    "string.rep('x', 31)",
    "string.rep('x', 32)",
    "string.rep('y', 255)",
    "string.rep('y', 256)",
    "string.rep('z', 65535)",
    "string.rep('z', 65536)",
    "string.rep('\\0\\255', 40)",
    "'12'",
    "'1.5'",
    "'héllo ☃'",
    '{}',
    '{1}',
    '{1, 2, 3}',
    "{'a', 'b', 'c', true, false, 1.5}",
    '{1, 2, nil, 4}',
    '{nil, 2}',
    '{[1] = 1, [2] = 2}',
    '{[2] = 2}',
    '{[0] = 0}',
    '{[1.5] = 1}',
    '{[-1] = 1}',
    '{[2^31] = 1}',
    '{[2^31 - 1] = 1}',
    "{['1'] = 1}",
    "{[true] = 'yes'}",
    '{a = 1}',
    '{[1] = 1, [3] = 3}',
    "{1, 2, x = 'y'}",
    "{a = {b = {c = {1, 2, {d = 'x'}}}}}",
    '{{}, {{}}, {{{}}}}',
    '{cjson.null}',
    '{function() end}',
    'cjson.null',
    'function() end',
    'redis.call',
    'coroutine.create(function() end)',
    "(function() local t = {} for i = 1, 15 do t[i] = i end return t end)()",
    "(function() local t = {} for i = 1, 16 do t[i] = i end return t end)()",
    "(function() local t = {} for i = 1, 65535 do t[i] = i % 7 end return t end)()",
    "(function() local t = {} for i = 1, 65536 do t[i] = i % 7 end return t end)()",
    "(function() local t = {} for i = 1, 15 do t['k' .. i] = i end return t end)()",
    "(function() local t = {} for i = 1, 16 do t['k' .. i] = i end return t end)()",
    "(function() local t = {} for i = 1, 70000 do t['k' .. i] = i end return t end)()",
    "(function() local t = {} t.z = 1 t.a = 2 t[10] = 3 t[1] = 4 t[2.5] = 5 t[true] = 6 t[false] = 7 return t end)()",
    "(function() local t = {} for i = 1, 40 do t[i * 3] = i t['s' .. i] = -i end return t end)()",
    "(function() local t = {} for i = 1, 10 do t[i] = i end t[5] = nil return t end)()",
    "(function() local t = {} t[{}] = 1 return t end)()",
    // constructors: Lua 5.1 sizes the table they make, which decides the order of its keys
    '{a = 1, b = 2, c = 3, d = 4, e = 5}',
    '{x = 1, y = 2, z = 3, w = 4, v = 5, u = 6, t = 7}',
    "{attempts = 3, delay = 1000, backoff = {type = 'exponential', delay = 1000}, jobId = 'j1', timestamp = 1700000000000}",
    '{1, 2, 3, x = 1}',
    '{[1] = 1, [2] = 2, [3] = 3, x = 1, y = 2}',
    '{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, x = 1, y = 2}',
    '{[5] = 1, [6] = 2, [7] = 3, 8, 9}',
    "(function() local t = {a = 1, b = 2} t.c = 3 t.d = 4 t[1] = 5 return t end)()",
    '{x = 1, unpack({1, 2, 3})}',
    '{x = 1, y = 2, z = 3, unpack({1, 2, 3})}',
    '(function(...) return {a = 1, b = 2, c = 3, d = 4, e = 5, ...} end)(5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18)',
    "{x = 1, y = 2, 7, 8, string.byte('abcdefghijklmnopqrstuvwxyz', 1, 20)}",
    "(function() local t = {k = 1, unpack({1, 2, 3, 4, 5})} t.j = 2 t[6] = 6 t[9] = 9 return t end)()",
  ];
  for (const expr of packs) {
    it(`pack(${expr.length > 60 ? `${expr.slice(0, 57)}...` : expr})`, async () => {
      await same(`return cmsgpack.pack(${expr})`);
      // (big tables: packed again, as sorting their keys in the script would take long)
      if (/65536|65535|70000/.test(expr)) await same(`return cmsgpack.pack(cmsgpack.unpack(cmsgpack.pack(${expr})))`);
      else await same(`${SHOW}\nreturn all(cmsgpack.unpack(cmsgpack.pack(${expr})))`);
    });
  }
  it('several arguments: their encodings concatenated', async () => {
    await same("return cmsgpack.pack(1, 'a', {2}, nil, true)");
    await same('return cmsgpack.pack(nil)');
    await same('return cmsgpack.pack(nil, nil)');
    await same("return cmsgpack.pack(unpack({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}))");
    // (Lua 5.1's C stack: twice the arguments must fit in 8000 slots)
    for (const n of [4000, 4001, 7999]) await same(`local t = {} for i = 1, ${n} do t[i] = i end local ok, s = pcall(cmsgpack.pack, unpack(t)) return {tostring(ok), ok and #s or s}`);
    await same(`${SHOW}\nreturn all(cmsgpack.unpack(cmsgpack.pack(1, 'a', {2}, nil, true)))`);
  });
  it('no argument is an error', async () => {
    await same('return cmsgpack.pack()');
    await same('local ok, e = pcall(cmsgpack.pack) return {tostring(ok), e}');
  });
  it('nesting: 16 levels, deeper tables are nil; cycles', async () => {
    for (const depth of [14, 15, 16, 17, 18, 30]) {
      const nest = `(function() local t = {'leaf'} for i = 1, ${depth} do t = {t} end return t end)()`;
      await same(`return cmsgpack.pack(${nest})`);
      await same(`${SHOW}\nreturn all(cmsgpack.unpack(cmsgpack.pack(${nest})))`);
      const nestMap = `(function() local t = {x = 1} for i = 1, ${depth} do t = {k = t} end return t end)()`;
      await same(`return cmsgpack.pack(${nestMap})`);
    }
    await same('local t = {} t[1] = t return cmsgpack.pack(t)');
    await same('local t = {} t.self = t return cmsgpack.pack(t)');
    await same('local a, b = {}, {} a[1] = b b[1] = a return cmsgpack.pack(a, b)');
  });
  it("constructors' sizes decide cjson.encode's key order too", async () => {
    await same("return cjson.encode({a = 1, b = 2, c = 3, d = 4, e = 5})");
    await same("return cjson.encode({x = 1, y = 2, z = 3, w = 4, v = 5, u = 6, t = 7, [1.5] = 8})");
    await same("return cjson.encode({jobId = 'j1', name = 'send', data = {to = 'a@b.c', n = 2}, opts = {attempts = 3, delay = 0}, timestamp = 1700000000000})");
    await same("local t = {k1 = 1, k2 = 2, k3 = 3} t.k4 = 4 t.k5 = 5 t.k6 = 6 return cjson.encode(t)");
  });
  it('a map key that is a table (nested keys count a level)', async () => {
    await same("local k = {1, 2} local t = {} t[k] = 'v' return cmsgpack.pack(t)");
  });
  it('unpack_one / unpack_limit on packed streams', async () => {
    const stream = "cmsgpack.pack(1, {2, 3}, 'four', {five = 5}, nil, 6.5)";
    await same(`${SHOW}\nreturn all(cmsgpack.unpack_one(${stream}))`);
    await same(`${SHOW}\nreturn all(cmsgpack.unpack_one(${stream}, 1))`);
    await same(`${SHOW}\nreturn all(cmsgpack.unpack_limit(${stream}, 3))`);
    await same(`${SHOW}\nreturn all(cmsgpack.unpack_limit(${stream}, 3, 4))`);
    await same(`${SHOW}\nreturn all(cmsgpack.unpack_limit(${stream}, 10))`);
  });
  it('a packed value stored and read back by redis.call, then unpacked', async () => {
    await same("redis.call('SET', 'lua-pack:k', cmsgpack.pack({a = 1, b = {1, 2.5, 'x'}})) return redis.call('GET', 'lua-pack:k')");
    await same(`${SHOW}\nreturn all(cmsgpack.unpack(redis.call('GET', 'lua-pack:k')))`);
  });
});

describe('binary strings as table keys, constants and in comparisons (lua-string-hash.ts)', () => {
  // fengari keyed '\1\0' and '\16' (and '\6\1' and 'a') alike: one table key, equal strings
  it('strings whose bytes below 0x10 line up differently stay distinct', async () => {
    await same("local t = {} t['\\1\\0'] = 1 t['\\16'] = 2 local n = 0 for _ in pairs(t) do n = n + 1 end return {t['\\1\\0'], t['\\16'], n}");
    await same("local x = 'a' local s = '\\6\\1' return {s, x, tostring(s == x)}");
    await same("return {tostring('\\1\\0' == '\\16'), tostring('\\1\\0' < '\\16'), tostring('\\15' < '\\16'), tostring('\\0' < '\\1'), tostring('a\\0' < 'a'), tostring('\\255' > '\\16\\0')}");
    await same("local t = {'\\16', '\\1\\0', '\\15', '\\1', '', '\\0', '\\0\\0', 'a', '\\6\\1', '\\255', '\\128\\1'} table.sort(t) return t");
    await same(`return cmsgpack.pack((function() local t = {} t['\\1\\0'] = 1 t['\\16'] = 2 t['\\6\\1'] = 3 t.a = 4 return t end)())`);
    await same(`${SHOW}\nreturn all(cmsgpack.unpack(cmsgpack.pack((function() local t = {} t['\\1\\0'] = 1 t['\\16'] = 2 t['\\6\\1'] = 3 t.a = 4 return t end)())))`);
  });
  it('a binary argument as a key', async () => {
    await same("local t = {} t[ARGV[1]] = 1 t[ARGV[2]] = 2 return {t[ARGV[1]], t[ARGV[2]], tostring(ARGV[1] < ARGV[2])}", [Uint8Array.from([1, 0]), Uint8Array.from([16])]);
  });
});

describe('number keys read back by pairs (lua-table-keys.ts)', () => {
  // fengari gave an integral key in the 32-bit range back as a 32-bit integer: k + k, -k, math.abs(k) wrapped
  it('arithmetic on keys from pairs and next does not wrap at 32 bits', async () => {
    await same(`local t = {} t[2^30] = 1 t[-2147483648] = 2 t[2147483647] = 3
      local out = {}
      for k in pairs(t) do out[#out + 1] = tostring(k + k) out[#out + 1] = tostring(-k) out[#out + 1] = tostring(math.abs(k)) out[#out + 1] = tostring(k * k) end
      table.sort(out) return out`);
    await same('local k = next({[2147483647] = true}) return {tostring(k + k), tostring(k - -k)}');
    await same(`${SHOW}\nlocal t = cmsgpack.unpack(cmsgpack.pack({[-2147483648] = 1, [2^31 - 1] = 2})) local out = {} for k in pairs(t) do out[#out + 1] = num(-k) end table.sort(out) return out`);
  });
});

describe('a string with a NUL byte read as a number (Lua 5.1 reads it up to the NUL)', () => {
  it('tonumber, arithmetic and struct.unpack c0 read "5\\0abc" as 5', async () => {
    await same(`return {tostring(tonumber('5\\0abc')), tostring('5\\0x' + 1), tostring(tonumber('\\0')), tostring(tonumber(' 7 \\0 z')), tostring(tonumber('5\\0')), tostring(tonumber('0x10\\0')), tostring(tonumber('x\\0 5'))}`);
    await same(`${SHOW}\nreturn {all(struct.unpack('c2c0', '0\\0')), all(struct.unpack('c2c0', '2\\0abc')), all(pcall(struct.unpack, 'c2c0', 'x\\0abc'))}`);
    await same('return {tostring(ARGV[1] + 0), tostring(tonumber(ARGV[1]))}', [Uint8Array.from([0x31, 0x32, 0, 0x39])]);
  });
});

// ---- random values ------------------------------------------------------------------------

/** a Lua string literal of exactly these bytes */
function luaString(bytes: Uint8Array): string {
  let s = '"';
  for (const b of bytes) s += b >= 0x20 && b <= 0x7e && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  return `${s}"`;
}

/** a Lua expression for this double, exactly */
function luaNumber(d: number): string {
  if (Number.isNaN(d)) return '(0/0)';
  if (d === Infinity) return '(1/0)';
  if (d === -Infinity) return '(-1/0)';
  if (Object.is(d, -0)) return '(-0.0)';
  const text = Number.isInteger(d) && Math.abs(d) < 2 ** 53 ? String(d) : d.toExponential(20);
  return d < 0 ? `(${text})` : text;
}

const number = fc.oneof(
  fc.integer({ min: -200, max: 300 }),
  fc.integer({ min: -(2 ** 31) - 10, max: 2 ** 32 + 10 }),
  fc.constantFrom(...EDGE_INTS, ...EDGE_INTS.map((n) => -n), -32, -33, 2 ** 63, -(2 ** 63), 2 ** 64),
  fc.maxSafeInteger(),
  fc.double(),
  fc.float().map((f) => f),
  fc.double({ min: -1e6, max: 1e6 }),
);
const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 30, maxLength: 300 }));
const key = fc.oneof(fc.uint8Array({ maxLength: 40 }).map(luaString), fc.constantFrom('"\\1\\0"', '"\\16"', '"\\15"', '"a"', '"\\6\\1"').map(String), fc.integer({ min: -3, max: 40 }).map(String), number.map(luaNumber), fc.boolean().map(String));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    number.map(luaNumber),
    bytes.map(luaString),
    fc.constantFrom('true', 'false', 'nil', 'cjson.null'),
    tie('array'),
    tie('map'),
    tie('ctor'),
  ),
  array: fc.array(tie('value'), { maxLength: 20 }).map((items) => `{${items.map((v) => (v === 'nil' ? 'false' : v)).join(', ')}}`),
  // filled key by key from empty, no nil assigned (Lua 5.1 adds the key of an assigned nil, which
  // may resize the table): the order Lua 5.1 iterates it is then known
  map: fc.array(fc.tuple(key, tie('value')), { maxLength: 20 }).map((entries) => `(function() local t = {} ${entries.map(([k, v]) => `t[${k}] = ${v === 'nil' ? 'false' : v}`).join(' ')} return t end)()`),
  // made by a constructor with fields and items (Lua 5.1 presizes it; a call last gives all its
  // values, and 5.1 resizes the array to them), then a key or two added
  ctor: fc
    .tuple(fc.array(fc.oneof(tie('value').map((v) => (v === 'nil' ? 'false' : v)), fc.integer({ min: 0, max: 30 }).map((n) => `unpack({${Array.from({ length: n }, (_, i) => i * 3).join(', ')}})`), fc.tuple(key, tie('value')).map(([k, v]) => `[${k}] = ${v === 'nil' ? 'false' : v}`)), { maxLength: 20 }), fc.array(fc.tuple(key, tie('value')), { maxLength: 2 }))
    .map(([fields, later]) => (later.length === 0 ? `{${fields.join(', ')}}` : `(function() local t = {${fields.join(', ')}} ${later.map(([k, v]) => `t[${k}] = ${v === 'nil' ? 'false' : v}`).join(' ')} return t end)()`)),
}));

describe('cmsgpack.pack: random values (property)', () => {
  // LUA_PACK_RUNS=5000 for a soak
  const RUNS = Number(process.env.LUA_PACK_RUNS) || 300;
  it('the same bytes, and the same values unpacked, on both servers', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 3 }), async (values) => {
        runs++;
        const args = values.join(', ');
        const packed = await both(`return cmsgpack.pack(${args})`);
        if (packed.got !== packed.want) throw new Error(`pack(${args})\n  redis-server: ${packed.want}\n  SimRedis:     ${packed.got}`);
        const round = await both(`${SHOW}\nreturn all(cmsgpack.unpack(cmsgpack.pack(${args})))`);
        if (round.got !== round.want) throw new Error(`unpack(pack(${args}))\n  redis-server: ${round.want}\n  SimRedis:     ${round.got}`);
      }),
      { numRuns: RUNS },
    );
    expect(runs).toBeGreaterThanOrEqual(RUNS);
  });
});

// ---- struct ---------------------------------------------------------------------------------

describe('struct against redis-server 7.0', () => {
  const packs: string[] = [
    "'b', 0",
    "'b', -1",
    "'b', 127",
    "'b', 128",
    "'b', 255",
    "'b', 256",
    "'b', -129",
    "'B', -1",
    "'>h', 1",
    "'<h', 1",
    "'h', -2",
    "'>H', 65535",
    "'>H', 65536",
    "'>l', -1",
    "'<l', 2^53",
    "'>L', 2^63",
    "'>L', 2^64 - 2048",
    "'>L', 2^64",
    "'>L', 2^65",
    "'>l', 2^63",
    "'>l', -(2^63)",
    "'>l', -(2^64)",
    "'>L', 1/0",
    "'>L', -1/0",
    "'>L', 0/0",
    "'>l', 0/0",
    "'>L', 1.9",
    "'>l', -1.9",
    "'>T', 12345",
    "'>i', 1",
    "'<i', -1",
    "'>I', 2^32 + 1",
    "'>i1', 300",
    "'>i2', -2",
    "'>i3', 65536 * 3 + 2",
    "'<i3', -5",
    "'>i8', -2",
    "'>i9', -2",
    "'<i9', -2",
    "'>i16', 2^60",
    "'<I16', -1",
    "'>i32', -1",
    "'>i33', 1",
    "'i0', 5",
    "'>f', 1.5",
    "'<f', 0.1",
    "'f', 1e300",
    "'f', 1e-50",
    "'>f', -0.0",
    "'>d', 0.1",
    "'<d', -1/3",
    "'>d', 1/0",
    "'>d', 0/0",
    "'>d', -(0/0)",
    "'c', 'a'",
    "'c', 'abc'",
    "'c3', 'abcdef'",
    "'c3', 'ab'",
    "'c0', 'abcdef'",
    "'c0', ''",
    "'c10', 'short'",
    "'s', 'hello'",
    "'s', ''",
    "'s', 'a\\0b'",
    "'s', 12",
    "'s', 1.5",
    "'c0', 2^53",
    "'x'",
    "'xx'",
    "'bxh', 1, 2",
    "'!bxh', 1, 2",
    "'!4 b i', 1, 2",
    "'!2 b i', 1, 2",
    "'!8 b d', 1, 2",
    "'! b d', 1, 2",
    "'!1 b d', 1, 2",
    "'!3 b d', 1, 2",
    "'!0 b', 1",
    "'!16 b d', 1, 2",
    "'!4 b i3', 1, 2",
    "'!8 b c3 l', 1, 'abc', 7",
    "'!8 b s d', 1, 'ab', 7",
    "'> b h l d f s', -1, -2, -3, -4.5, 5.5, 'six'",
    "'< b h l d f s', -1, -2, -3, -4.5, 5.5, 'six'",
    "'=i', 1",
    "'z', 1",
    "'b5', 1",
    "'?'",
    "'b'",
    "'b', 'x'",
    "'b', '12'",
    "'b', ' 0x10 '",
    "'s'",
    "'s', {}",
    "'c', nil",
    "'i99999999999', 1",
    "'c99999999999', 'x'",
    "'!99999999999', 1",
    "'i40', 1",
    "'b\\0b', 1, 2",
    "'', 1",
    '',
    'nil',
    '12',
    "'>' .. string.char(200), 1",
  ];
  for (const args of packs) {
    it(`pack(${args})`, async () => {
      await same(`return struct.pack(${args})`);
      await same(`local ok, e = pcall(struct.pack${args === '' ? '' : `, ${args}`}) return {tostring(ok), e}`);
    });
  }

  const unpacks: string[] = [
    "'b', '\\255'",
    "'B', '\\255'",
    "'>h', '\\255\\254'",
    "'<H', '\\255\\254'",
    "'>l', string.rep('\\255', 8)",
    "'>L', string.rep('\\255', 8)",
    "'>L', '\\0\\32\\0\\0\\0\\0\\0\\1'",
    "'>L', '\\128\\0\\0\\0\\0\\0\\0\\1'",
    "'>l', '\\128\\0\\0\\0\\0\\0\\0\\1'",
    "'<i3', '\\1\\2\\128'",
    "'>i3', '\\128\\2\\1'",
    "'>I3', '\\128\\2\\1'",
    "'>i9', '\\1\\2\\3\\4\\5\\6\\7\\8\\128'",
    "'<i9', '\\1\\2\\3\\4\\5\\6\\7\\8\\128'",
    "'>i9', '\\128\\2\\3\\4\\5\\6\\7\\8\\9'",
    "'>i16', string.rep('\\255', 16)",
    "'<I16', string.rep('\\1', 16)",
    "'>i32', string.rep('\\128', 32)",
    "'i0', ''",
    "'I0', 'abc'",
    "'>f', '\\63\\192\\0\\0'",
    "'<f', '\\0\\0\\192\\63'",
    "'>f', '\\127\\128\\0\\0'",
    "'>f', '\\255\\192\\0\\0'",
    "'>d', '\\63\\185\\153\\153\\153\\153\\153\\154'",
    "'<d', '\\154\\153\\153\\153\\153\\153\\185\\63'",
    "'>d', '\\127\\248\\0\\0\\0\\0\\0\\0'",
    "'>d', '\\0\\0\\0\\0\\0\\0\\0\\1'",
    "'c3', 'abcdef'",
    "'c3c3', 'abcdef'",
    "'c7', 'abcdef'",
    "'b c0', '\\3abcdef'",
    "'b c0', '\\7abcdef'",
    "'c1 c0', '3abcdef'",
    "'c1 c0', 'xabcdef'",
    "'c0', 'abc'",
    "'s', 'abc\\0def'",
    "'ss', 'abc\\0def\\0'",
    "'ss', 'abc\\0def'",
    "'s', ''",
    "'x', 'a'",
    "'x', ''",
    "'!4 b i', '\\1\\0\\0\\0\\2\\0\\0\\0'",
    "'!4 b i', '\\1\\0\\0\\0\\2\\0\\0'",
    "'b', 'abc', 2",
    "'b', 'abc', 3",
    "'b', 'abc', 4",
    "'', 'abc', 4",
    "'', 'abc', 10",
    "'', 'abc', -5",
    "'b', 'abc', -1",
    "'b', 'abc', 0",
    "'b', 'abc', 1.9",
    "'b', 'abc', '2'",
    "'b', 'abc', 'x'",
    "'b', 'abc', 1e300",
    "'', 'abc', 1e300",
    "'!4 bi', '\\1\\0\\0\\0\\2\\0\\0\\0\\3', 2",
    "'z', 'abc'",
    "'<', ''",
    "' ', 'abc', 5",
    "'b'",
    "'b', nil",
    "'b', 12",
    "'>d', 'short'",
    "'i40', string.rep('a', 40)",
    "'b', 'abc', 1, 'extra'",
  ];
  for (const args of unpacks) {
    it(`unpack(${args})`, async () => {
      await same(`${SHOW}\nreturn all(struct.unpack(${args}))`);
    });
  }
  it('nan: its sign and payload through unpack, pack and cmsgpack.pack', async () => {
    await same(`return {tostring(struct.unpack('>d', '\\255\\248\\0\\0\\0\\0\\0\\0')), tostring(struct.unpack('>d', '\\127\\248\\0\\0\\0\\0\\0\\0')), tostring(struct.unpack('>f', '\\255\\192\\0\\0')), tostring(struct.unpack('>f', '\\127\\192\\0\\0'))}`);
    await same(`return {struct.pack('>d', 0/0), struct.pack('>f', -(0/0)), struct.pack('>f', struct.unpack('>f', '\\127\\192\\0\\1')), struct.pack('>d', struct.unpack('>d', '\\127\\248\\0\\0\\0\\0\\0\\1'))}`);
    await same(`return {cmsgpack.pack(struct.unpack('>d', '\\127\\248\\0\\0\\0\\0\\0\\1')), cmsgpack.pack(struct.unpack('>f', '\\127\\192\\0\\1')), cmsgpack.pack(struct.unpack('>d', '\\255\\240\\0\\0\\0\\0\\0\\1'))}`);
  });
  it('unpack: too many results', async () => {
    await same(`${SHOW}\nreturn #{struct.unpack(string.rep('b', 7990), string.rep('a', 8000))}`);
    await same(`${SHOW}\nreturn #{struct.unpack(string.rep('b', 7996), string.rep('a', 8000))}`);
    await same(`${SHOW}\nreturn #{struct.unpack(string.rep('b', 7997), string.rep('a', 8000))}`);
    await same(`${SHOW}\nreturn #{struct.unpack(string.rep('b', 7997), string.rep('a', 8000), 1)}`);
  });

  const sizes = ['', 'b', 'bhlLTfdx', '!bhlLTfdx', '!4 b d', 'i3', '!8 b i3', 'c10', 'c0', 's', 'bs', 'z', 'b5', '?', '=', '!3', 'i40', '<>', 'i0'];
  for (const fmt of sizes) {
    it(`size('${fmt}')`, async () => {
      await same(`return struct.size('${fmt}')`);
    });
  }
  it('size: no format, a number', async () => {
    await same('return struct.size()');
    await same('return struct.size(12)');
  });
});

describe('struct: random formats (property)', () => {
  const RUNS = Number(process.env.LUA_PACK_RUNS) || 300;
  const intOpt = fc.oneof(fc.constantFrom('b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I'), fc.tuple(fc.constantFrom('i', 'I'), fc.integer({ min: 0, max: 20 })).map(([o, n]) => `${o}${n}`));
  const intArg = fc.oneof(fc.integer({ min: -300, max: 300 }), fc.integer(), fc.double({ min: -(2 ** 65), max: 2 ** 65, noNaN: true }), fc.constantFrom(2 ** 63, -(2 ** 63), 2 ** 64, 2 ** 53 + 1)).map(luaNumber);
  const item = fc.oneof(
    fc.tuple(intOpt, intArg).map(([o, a]) => ({ opt: o, arg: a as string | null })),
    fc.tuple(fc.constantFrom('f', 'd'), fc.oneof(fc.double(), fc.float()).map(luaNumber)).map(([o, a]) => ({ opt: o, arg: a as string | null })),
    bytes.map((b) => ({ opt: 's', arg: luaString(b.filter((x) => x !== 0)) as string | null })),
    fc.tuple(fc.integer({ min: 0, max: 6 }), bytes).map(([n, b]) => ({ opt: `c${n}`, arg: luaString(b) as string | null })),
    fc.constantFrom('x', ' ', '<', '>', '!', '!1', '!2', '!4', '!8').map((o) => ({ opt: o, arg: null as string | null })),
  );
  it('pack, then unpack and size of the same format, give the same on both servers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 4 }), async (items, offset) => {
        const fmt = items.map((i) => i.opt).join('');
        const args = items.flatMap((i) => (i.arg === null ? [] : [i.arg]));
        const script = `${SHOW}
          local fmt = '${fmt}'
          local ok, s = pcall(struct.pack, fmt${args.length ? `, ${args.join(', ')}` : ''})
          if not ok then return {'pack error', s} end
          local size = {pcall(struct.size, fmt)}
          local pad = string.rep('.', ${offset - 1})
          return {s, all(pcall(struct.unpack, fmt, s)), all(pcall(struct.unpack, fmt, pad .. s, ${offset})), all(unpack(size))}`;
        const r = await both(script);
        if (r.got !== r.want) throw new Error(`${fmt} ${args.join(', ')}\n  redis-server: ${r.want}\n  SimRedis:     ${r.got}`);
      }),
      { numRuns: RUNS },
    );
  });
});
