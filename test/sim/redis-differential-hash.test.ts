// SimRedis's HKEYS, HVALS, HSTRLEN and HSCAN held to redis-server 7.0: the same sequences go to
// both, every reply compared (normalisations in redis-diff-common.ts: HSCAN as the elements of a
// full iteration), hand-written and random (SIM_DIFF_RUNS sequences, 300 by default), directly,
// in MULTI and from EVAL.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseTests, compareSeq, randomTest } from './redis-diff-common.ts';
import { realRedis } from './redis-pair.ts';

const pair = realRedis();

const CASES: Record<string, string[]> = {
  'HKEYS, HVALS, HSTRLEN': [
    'HSET h a 1 b 22 c héllo',
    'HKEYS h',
    'HVALS h',
    'HSET h a 333',
    'HKEYS h',
    'HVALS h',
    'HDEL h a',
    'HSET h a 4',
    'HKEYS h',
    'HSTRLEN h a',
    'HSTRLEN h c',
    'HSTRLEN h nosuch',
    'HSTRLEN nosuch a',
    'HKEYS nosuch',
    'HVALS nosuch',
    'SET s v',
    'HKEYS s',
    'HVALS s',
    'HSTRLEN s a',
    'HKEYS',
    'HVALS h x',
    'HSTRLEN h',
  ],
  'HSCAN: options, errors in redis-server order': [
    'HSET h a 1 b 2 c 3 ab 4',
    'HSCAN h 0',
    'HSCAN h 0 MATCH a*',
    'HSCAN h 0 MATCH *b COUNT 1',
    'HSCAN h 0 match ? count 100',
    'HSCAN h 0 MATCH *',
    'HSCAN h 0 COUNT 0',
    'HSCAN h 0 COUNT -1',
    'HSCAN h 0 COUNT x',
    'HSCAN h 0 COUNT',
    'HSCAN h 0 MATCH',
    'HSCAN h 0 TYPE hash',
    'HSCAN h 0 BOGUS',
    'HSCAN h x',
    'HSCAN h -',
    'HSCAN h 1.5',
    'HSCAN h 18446744073709551616',
    'HSCAN h +0',
    "HSCAN h ''",
    'HSCAN nosuch 0 COUNT 0',
    'HSCAN nosuch x',
    'SET s v',
    'HSCAN s 0',
    'HSCAN s 0 COUNT 0',
    'HSCAN s x',
    'HSCAN h',
  ],
};

describe('hash commands against redis-server 7.0: hand-written sequences', () => {
  // a script's HSCAN is one page: these hashes are small, so one page is all of it on both
  caseTests(pair, CASES);

  it('HSCAN of a large hash (a hash table on redis-server, many pages there) returns every field once', async () => {
    const fields = Array.from({ length: 300 }, (_, i) => [`f${i}`, `v${i}`]).flat();
    const seq = [['HSET', 'big', ...fields], ['HSCAN', 'big', '0'], ['HSCAN', 'big', '0', 'COUNT', '7'], ['HSCAN', 'big', '0', 'MATCH', 'f1*'], ['HLEN', 'big'], ['HKEYS', 'big']];
    // HKEYS of a hash table comes in hash order: only the scans and HLEN are compared
    expect(await compareSeq(pair, seq.slice(0, 5))).toBe(5);
  });
});

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const key = fc.oneof({ weight: 5, arbitrary: pick('h:1', 'h:2') }, { weight: 1, arbitrary: pick('s:1', 'none') });
const field = pick('a', 'b', 'ab', 'c', '');
const val = pick('1', 'xyz', '', 'é');
const simple = (...parts: Array<fc.Arbitrary<string> | string>): fc.Arbitrary<string[]> => fc.tuple(...parts.map((p) => (typeof p === 'string' ? fc.constant(p) : p)));
const scanOpts = fc.subarray([['MATCH', 'a*'], ['COUNT', '2'], ['MATCH', '?'], ['COUNT', '0'], ['TYPE', 'hash'], ['COUNT', 'x']], { maxLength: 2 }).map((xs) => xs.flat());

const command: fc.Arbitrary<string[]> = fc.oneof(
  simple('HSET', key, field, val),
  simple('HDEL', key, field),
  simple(pick('HKEYS', 'HVALS', 'HLEN', 'HGETALL', 'TYPE', 'DEL'), key),
  simple('HSTRLEN', key, field),
  simple('SET', 's:1', val),
);
const scan = fc.tuple(key, pick('0', '0', '0', 'x', '-1x', ''), scanOpts).map(([k, c, o]) => ['HSCAN', k, c, ...o]);

describe('hash commands against redis-server 7.0: random sequences', () => {
  randomTest(pair, 'hashes', command, { scan });
});
