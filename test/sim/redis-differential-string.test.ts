// SimRedis's SETNX, SETEX, PSETEX, MGET, MSET, MSETNX, GETSET, GETDEL, GETEX, STRLEN, APPEND, DECRBY held
// to redis-server 7.0: the same sequences go to both, every reply compared (normalisations in
// redis-diff-common.ts), hand-written and random (SIM_DIFF_RUNS sequences, 300 by default),
// directly, in MULTI and from EVAL.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseTests, compareSeq, randomTest, runs, words } from './redis-diff-common.ts';
import { realRedis } from './redis-pair.ts';

const pair = realRedis();

const CASES: Record<string, string[]> = {
  'SETNX, SETEX, PSETEX': [
    'SETNX a 1',
    'SETNX a 2',
    'GET a',
    'HSET h f v',
    'SETNX h x',
    'TYPE h',
    'SETEX a 100 v',
    'TTL a',
    'GET a',
    'PSETEX a 100000 w',
    'PTTL a',
    'SETEX h 100 v',
    'TYPE h',
    'SETEX a 0 v',
    'SETEX a -5 v',
    'PSETEX a 0 v',
    'SETEX a x v',
    'SETEX a 1.5 v',
    'SETEX a 9223372036854775 v',
    'SETEX a 9223372036854776 v',
    'PSETEX a 9223372036854775807 v',
    'PSETEX a 9223372036854775808 v',
    'GET a',
    'SETEX a 100',
    'PSETEX a',
    'SETNX a',
  ],
  'MGET, MSET, MSETNX': [
    'MSET a 1 b 2 c 3',
    'MGET a b c nosuch',
    'LPUSH l x',
    'MGET a l b',
    'MSET a 1 b',
    'MSET a',
    'MSETNX a 9 z 9',
    'MGET a z',
    'MSETNX y 1 z 2',
    'MGET y z',
    'MSETNX y 1 z',
    'PEXPIRE a 100000',
    'MSET a 5 l 6',
    'PTTL a',
    'TYPE l',
    'MSET a 1 a 2',
    'GET a',
    'MGET',
  ],
  'GETSET, GETDEL, STRLEN, APPEND, DECRBY': [
    'GETSET a 1',
    'GETSET a 2',
    'PEXPIRE a 100000',
    'GETSET a 3',
    'PTTL a',
    'LPUSH l x',
    'GETSET l v',
    'GETDEL l',
    'GETDEL a',
    'GETDEL a',
    'EXISTS a',
    'STRLEN nosuch',
    'SET s héllo',
    'STRLEN s',
    'STRLEN l',
    "SET e ''",
    'STRLEN e',
    'APPEND e abc',
    'APPEND new xyz',
    'PEXPIRE new 100000',
    'APPEND new é',
    'PTTL new',
    'GET new',
    'APPEND l x',
    'SET n 10',
    'DECRBY n 3',
    'DECRBY n -5',
    'DECRBY n x',
    'DECRBY n 1.5',
    'DECRBY nosuch 4',
    'DECRBY s 1',
    'DECRBY l 1',
    'SET big -9223372036854775807',
    'DECRBY big 1',
    'DECRBY big 1',
    'SET n 0',
    'DECRBY n -9223372036854775808',
    'DECRBY n 9223372036854775808',
    'SET n 1',
    'DECRBY n -9223372036854775807',
    'SET n 9223372036854775000',
    'INCR n',
    'INCRBY n 5',
    'GET n',
    'DECRBY n 3',
    'GET n',
    'SET g v',
    'GETEX g',
    'GETEX g EXAT 4000000000',
    'PEXPIRETIME g',
    'GETEX g PXAT 4000000000123',
    'PEXPIRETIME g',
    'GETEX g PERSIST',
    'PTTL g',
    'GETEX g EX 100',
    'PTTL g',
    'GETEX g PX 100000',
    'PTTL g',
    'GETEX g EX 10 EX 20',
    'GETEX g EX 10 PX 20',
    'GETEX g PERSIST EX 10',
    'GETEX g EX 10 PERSIST',
    'GETEX g PERSIST PERSIST',
    'GETEX g EX',
    'GETEX g NX',
    'GETEX g KEEPTTL',
    'GETEX g EX x',
    'GETEX g EX 0',
    'GETEX g PX -1',
    'GETEX g EXAT 9223372036854776',
    'GETEX g PXAT 9223372036854775807',
    'GETEX g PX 9223372036854775807',
    'GETEX nosuch EX x',
    'GETEX nosuch BOGUS',
    'GETEX l EX 10',
    'GETEX l EX x',
    'GETEX g EXAT 1000000000',
    'EXISTS g',
    'SET g v',
    'GETEX g PXAT 1',
    'EXISTS g',
    'GETEX',
    'GETSET a',
    'GETDEL',
    'STRLEN',
    'APPEND a',
    'DECRBY a',
  ],
};

describe('string commands against redis-server 7.0: hand-written sequences', () => {
  caseTests(pair, CASES);
});

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const key = fc.oneof({ weight: 5, arbitrary: pick('s:1', 's:2', 's:3') }, { weight: 1, arbitrary: pick('h:1') });
// (not within 512 of 2^63: a script's integer that large rounds to 2^63 as a Lua number, which
// redis-server's conversion back turns into -2^63, a matter of the Lua bridge, not of these commands)
const val = pick('1', '-2', 'abc', '', '10', '9223372036854775000', '-9223372036854775807', 'é');
const num = pick('1', '0', '-1', '7', 'x', '9223372036854775807', '-9223372036854775808', '1.5');
const ttl = pick('100', '0', '-1', 'x', '100000');
const simple = (...parts: Array<fc.Arbitrary<string> | string>): fc.Arbitrary<string[]> => fc.tuple(...parts.map((p) => (typeof p === 'string' ? fc.constant(p) : p)));
const kvs = fc.array(fc.tuple(key, val), { minLength: 1, maxLength: 3 }).map((xs) => xs.flat());

const command: fc.Arbitrary<string[]> = fc.oneof(
  simple('SETNX', key, val),
  simple(pick('SETEX', 'PSETEX'), key, ttl, val),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['MGET', ...ks]),
  kvs.map((xs) => ['MSET', ...xs]),
  kvs.map((xs) => ['MSETNX', ...xs]),
  simple('GETSET', key, val),
  simple(pick('GETDEL', 'STRLEN', 'GET', 'PTTL', 'TYPE', 'DEL', 'INCR'), key),
  simple('GET', key),
  simple('APPEND', key, val),
  simple('DECRBY', key, num),
  fc.tuple(key, fc.constantFrom<string[]>([], ['EX', '100'], ['PX', '0'], ['EXAT', '4000000000'], ['PXAT', '1000'], ['PERSIST'], ['EX', 'x'], ['EX', '1', 'PERSIST'])).map(([k, o]) => ['GETEX', k, ...o]),
  simple('SET', key, val),
  simple('HSET', key, 'f', val),
  simple('PEXPIRE', key, pick('100000', '200000')),
);

describe('string commands against redis-server 7.0: random sequences', () => {
  randomTest(pair, 'strings', command);
});

describe('INCRBYFLOAT and HINCRBYFLOAT against redis-server 7.0 (its x87 long double)', () => {
  it('hand-written: formats, parsing, errors in order, TTL kept', async () => {
    const lines = [
      'INCRBYFLOAT f 0.1',
      'INCRBYFLOAT f 0.2',
      'INCRBYFLOAT f -0.3',
      'INCRBYFLOAT f 1e20',
      'INCRBYFLOAT f 3.0e-5',
      'INCRBYFLOAT f 0x10',
      'INCRBYFLOAT f 0x1.8p-3',
      'INCRBYFLOAT f -1e20',
      'SET g 10',
      'PEXPIRE g 100000',
      'INCRBYFLOAT g 1.5',
      'PTTL g',
      'INCRBYFLOAT g 5.0e3',
      'INCRBYFLOAT g -5000.5',
      'INCRBYFLOAT g -11.00',
      'INCRBYFLOAT g 0.000003814697265625',
      'INCRBYFLOAT g 1.7976931348623157e308',
      'INCRBYFLOAT g 1e4932',
      'INCRBYFLOAT g 1e5000',
      'INCRBYFLOAT g inf',
      'INCRBYFLOAT g -inf',
      'INCRBYFLOAT g nan',
      'INCRBYFLOAT g x',
      "INCRBYFLOAT g ''",
      'INCRBYFLOAT g 1e',
      'INCRBYFLOAT g +.5',
      'INCRBYFLOAT g 5.',
      'INCRBYFLOAT g -0',
      'SET s abc',
      'INCRBYFLOAT s 1',
      'INCRBYFLOAT s x',
      'SET i inf',
      'INCRBYFLOAT i 1',
      'SET n 1e-5000',
      'INCRBYFLOAT n 1',
      'LPUSH l a',
      'INCRBYFLOAT l x',
      'SET z -0.1',
      'INCRBYFLOAT z 0.1',
      'INCRBYFLOAT z -1e-30',
      'INCRBYFLOAT z 123456789012345678901234567890',
      'INCRBYFLOAT',
      'INCRBYFLOAT z',
      'HINCRBYFLOAT h f 0.1',
      'HINCRBYFLOAT h f 2.5e-3',
      'HINCRBYFLOAT h f x',
      'HINCRBYFLOAT h f inf',
      'HINCRBYFLOAT h f 1e4932',
      'HSET h s abc i 12 n nan',
      'HINCRBYFLOAT h s 1',
      'HINCRBYFLOAT h i 0.5',
      'HINCRBYFLOAT h n 1',
      'HINCRBYFLOAT l f 1',
      'HINCRBYFLOAT l f x',
      'HINCRBYFLOAT nosuch f x',
      'EXISTS nosuch',
      // (not HGETALL: a value over 64 bytes makes it a hash table on redis-server, in hash order)
      'HMGET h f s i n',
      'HINCRBYFLOAT h f',
    ];
    const seq = lines.map(words);
    expect(await compareSeq(pair, seq)).toBe(seq.length);
  });

  it('random increments: every reply the same', async () => {
    const digits = fc.stringMatching(/^[0-9]{1,22}$/);
    const decimal = fc
      .tuple(fc.constantFrom('', '-', '+'), digits, fc.option(fc.stringMatching(/^[0-9]{0,22}$/)), fc.option(fc.integer({ min: -40, max: 40 })))
      .map(([sign, int, frac, exp]) => `${sign}${int}${frac === null ? '' : `.${frac}`}${exp === null ? '' : `e${exp}`}`);
    const increment = fc.oneof(
      decimal,
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 }).map(String),
      fc.integer({ min: -1000000, max: 1000000 }).map(String),
      fc.constantFrom('0.1', '-0.1', '1e-17', '0x1p-20', '3', '0.5'),
    );
    const step = fc.tuple(fc.constantFrom('INCRBYFLOAT', 'HINCRBYFLOAT'), increment).map(([cmd, by]) => (cmd === 'INCRBYFLOAT' ? ['INCRBYFLOAT', 'f', by] : ['HINCRBYFLOAT', 'h', 'x', by]));
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 20 }), async (seq) => {
        await compareSeq(pair, [...seq, ['GET', 'f'], ['HGET', 'h', 'x']]);
      }),
      { numRuns: runs(), endOnFailure: false },
    );
  });
});
