// SimRedis's RENAME, RENAMENX, EXPIREAT, PEXPIREAT, EXPIRETIME, PEXPIRETIME and SCAN's cursor held to redis-server 7.0: the same sequences
// go to both, every reply compared (normalisations in redis-diff-common.ts), hand-written and random
// (SIM_DIFF_RUNS sequences, 300 by default), directly, in MULTI and from EVAL.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseTests, compareSeq, randomTest, runClients, words } from './redis-diff-common.ts';
import { realRedis } from './redis-pair.ts';

const pair = realRedis();

/** seconds and ms far in the past and the future, whatever the wall clock says */
const PAST_S = '1000000000';
const FUTURE_S = '4000000000';
const PAST_MS = '1000000000000';
const FUTURE_MS = '4000000000000';

const CASES: Record<string, string[]> = {
  'RENAME and RENAMENX: values, types, TTLs, missing and same keys': [
    'SET a 1',
    'RENAME a b',
    'GET a',
    'GET b',
    'RENAME a c',
    'RENAMENX a c',
    'RENAME b b',
    'RENAMENX b b',
    'RENAME nosuch nosuch',
    'RENAMENX nosuch nosuch',
    'HSET h f v',
    'RENAME h b',
    'TYPE b',
    'HGETALL b',
    'SET s x',
    'RENAMENX s b',
    'RENAMENX s t',
    'GET t',
    'PEXPIRE t 100000',
    'RENAME t u',
    'PTTL u',
    'TTL t',
    'SET dst v',
    'PEXPIRE dst 100000',
    'RENAME u dst',
    'PTTL dst',
    'SET plain v',
    'RENAME dst plain',
    'PTTL plain',
    'LPUSH l a b',
    'ZADD z 1 m',
    'RENAME l z',
    'TYPE z',
    'LRANGE z 0 -1',
    'EXISTS l',
    'RENAME',
    'RENAME a',
    'RENAME a b c',
    'RENAMENX a',
  ],
  'EXPIREAT and PEXPIREAT: past deletes, future sets, NX/XX/GT/LT, bad times': [
    'SET k v',
    `EXPIREAT k ${FUTURE_S}`,
    'TTL k',
    `PEXPIREAT k ${FUTURE_MS}`,
    'PTTL k',
    `EXPIREAT k ${PAST_S}`,
    'EXISTS k',
    'SET k v',
    `PEXPIREAT k ${PAST_MS}`,
    'EXISTS k',
    `EXPIREAT nosuch ${FUTURE_S}`,
    'SET k v',
    `EXPIREAT k ${FUTURE_S} XX`,
    `EXPIREAT k ${FUTURE_S} NX`,
    `EXPIREAT k ${FUTURE_S} GT`,
    `EXPIREAT k ${FUTURE_S} LT`,
    'PTTL k',
    `EXPIREAT k ${FUTURE_S} NX`,
    `EXPIREAT k 4000000001 GT`,
    `EXPIREAT k ${FUTURE_S} LT`,
    `EXPIREAT k ${FUTURE_S} NX XX`,
    `EXPIREAT k ${FUTURE_S} GT LT`,
    `EXPIREAT k ${FUTURE_S} BOGUS`,
    'EXPIREAT k x',
    'EXPIREAT k 1.5',
    'PEXPIREAT k 99999999999999999999',
    'EXPIREAT k 9223372036854775807',
    'PEXPIREAT k 9223372036854775807',
    'EXPIREAT k -1',
    'EXISTS k',
    'SET k v',
    'PEXPIREAT k 0',
    'EXISTS k',
    'EXPIREAT k',
    'PEXPIREAT',
    'SET t v',
    'EXPIRETIME t',
    'PEXPIRETIME t',
    'EXPIRETIME nosuch',
    `PEXPIREAT t ${FUTURE_MS}`,
    'EXPIRETIME t',
    'PEXPIRETIME t',
    'PEXPIREAT t 4000000000499',
    'EXPIRETIME t',
    'PEXPIREAT t 4000000000500',
    'EXPIRETIME t',
    'PERSIST t',
    'PEXPIRETIME t',
    'EXPIRETIME',
    'PEXPIRETIME t x',
  ],
  'from scripts and transactions': [
    'SET a 1',
    'EVAL return~redis.call("RENAME",KEYS[1],KEYS[2]) 2 a b',
    'EVAL return~redis.call("RENAME",KEYS[1],KEYS[2]) 2 a b',
    'EVAL return~redis.pcall("RENAMENX",KEYS[1],KEYS[2]) 2 nosuch b',
    'EVAL return~redis.call("RENAMENX",KEYS[1],KEYS[2]) 2 b c',
    `EVAL return~redis.call("EXPIREAT",KEYS[1],ARGV[1]) 1 c ${FUTURE_S}`,
    `EVAL return~redis.call("PEXPIREAT",KEYS[1],ARGV[1]) 1 c ${PAST_MS}`,
    'EVAL return~redis.call("EXISTS",KEYS[1]) 1 c',
    'EVAL return~redis.call("RENAME",KEYS[1]) 1 c',
    'SET x 1',
    'MULTI',
    'RENAME x y',
    'RENAME x y',
    `PEXPIREAT y ${FUTURE_MS}`,
    'RENAMENX y x',
    'EXEC',
    'PTTL x',
    'MULTI',
    'RENAME x',
    'EXEC',
  ],
};

/** "EVAL <script> n args...": the script one word, '~' standing for its spaces */
const line = (l: string): string[] => {
  const w = words(l);
  return w[0] === 'EVAL' ? [w[0], w[1].replace(/~/g, ' '), ...w.slice(2)] : w;
};

describe('RENAME, RENAMENX, EXPIREAT, PEXPIREAT against redis-server 7.0: hand-written sequences', () => {
  caseTests(pair, CASES, { read: line, fromScript: () => false });
});

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const key = pick('k:1', 'k:2', 'k:3');
const simple = (...parts: Array<fc.Arbitrary<string> | string>): fc.Arbitrary<string[]> => fc.tuple(...parts.map((p) => (typeof p === 'string' ? fc.constant(p) : p)));
const when = fc.oneof(pick(PAST_S, FUTURE_S, '4000000001', '0', '-1', 'x'), pick(PAST_MS, FUTURE_MS));
const flag = fc.subarray(['NX', 'XX', 'GT', 'LT'], { maxLength: 2 });

const command: fc.Arbitrary<string[]> = fc.oneof(
  simple(pick('RENAME', 'RENAMENX'), key, key),
  fc.tuple(simple(pick('EXPIREAT', 'PEXPIREAT'), key, when), flag).map(([a, b]) => [...a, ...b]),
  simple('SET', key, pick('v', '1')),
  simple('HSET', key, 'f', 'v'),
  simple('RPUSH', key, pick('a', 'b')),
  // absolute times only: EXPIRETIME of a relative one would depend on each server's clock
  simple('PEXPIREAT', key, pick(FUTURE_MS, '4000000000123')),
  simple(pick('PTTL', 'TTL', 'TYPE', 'EXISTS', 'PERSIST', 'GET', 'DEL', 'EXPIRETIME', 'PEXPIRETIME'), key),
  simple('LRANGE', key, '0', '-1'),
);

describe('RENAME, RENAMENX, EXPIREAT, PEXPIREAT against redis-server 7.0: random sequences', () => {
  randomTest(pair, 'keyspace', command);
});

describe('RENAME serves blocked clients as redis-server does', () => {
  it('a list renamed onto the key a BLPOP waits on wakes it; a string renamed there does not', async () => {
    const log = await runClients(pair, [
      { c: 'A', send: ['BLPOP', 'dst', '0'] },
      { c: 'C', send: ['SET', 'str', 'v'] },
      { c: 'C', send: ['RENAME', 'str', 'dst'] },
      { expectIdle: ['A', 'B'] },
      { c: 'C', send: ['DEL', 'dst'] },
      { c: 'C', send: ['RPUSH', 'src', 'x', 'y'] },
      { c: 'C', send: ['RENAME', 'src', 'dst'] },
      { expectIdle: ['B'] },
      { c: 'C', send: ['LRANGE', 'dst', '0', '-1'] },
      { expectIdle: ['A', 'B'] },
    ]);
    expect(log).toContain('A ["dst", "x"]');
  });
});

describe('SCAN cursors and options as redis-server 7.0 reads them', () => {
  it('cursors strtoul accepts, options in order, a full iteration', async () => {
    const lines = [
      'MSET a 1 b 2 ab 3',
      'HSET h f v',
      'SCAN 0',
      "SCAN ''",
      'SCAN +0 MATCH a*',
      'SCAN -0 COUNT 1',
      'SCAN 0 TYPE hash',
      'SCAN 0 TYPE string MATCH a?',
      'SCAN 0 TYPE nosuchtype',
      'SCAN 0 COUNT 0',
      'SCAN 0 COUNT x',
      'SCAN 0 MATCH',
      'SCAN 0 BOGUS',
      'SCAN x',
      'SCAN +',
      'SCAN 1.5',
      "SCAN ' 1'",
      'SCAN 18446744073709551616',
      'SCAN 0x10',
    ];
    const seq = lines.map((l) => (l === "SCAN ' 1'" ? ['SCAN', ' 1'] : words(l)));
    expect(await compareSeq(pair, seq)).toBe(seq.length);
  });
});

describe('RENAME and blocked stream readers as on redis-server 7.0', () => {
  it('a stream renamed onto the key an XREAD waits on serves it; one renamed in with older ids does not', async () => {
    await runClients(pair, [
      { c: 'A', send: ['XREAD', 'BLOCK', '0', 'STREAMS', 'dst', '$'] },
      { c: 'B', send: ['XREAD', 'BLOCK', '0', 'STREAMS', 'src', '$'] },
      { c: 'C', send: ['XADD', 'src', '5-1', 'f', 'v'] },
      { expectIdle: ['A'] },
      { c: 'C', send: ['XADD', 'src', '6-1', 'f', 'w'] },
      { c: 'B', send: ['XREAD', 'BLOCK', '0', 'STREAMS', 'src', '$'] },
      { c: 'C', send: ['RENAME', 'src', 'dst'] },
      { expectIdle: ['B'] },
      { c: 'C', send: ['XADD', 'other', '1-1', 'f', 'v'] },
      { c: 'C', send: ['RENAMENX', 'other', 'src'] },
      // B waits for ids past 6-1: the stream renamed in holds only 1-1
      { expectIdle: ['A', 'B'] },
      { c: 'C', send: ['XADD', 'src', '7-1', 'f', 'x'] },
      { expectIdle: ['A'] },
    ]);
  });

  it('a group reader whose stream is renamed away is told so', async () => {
    await runClients(pair, [
      { c: 'C', send: ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'] },
      { c: 'A', send: ['XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>'] },
      { expectIdle: ['A', 'B'] },
      { c: 'C', send: ['RENAME', 's', 't'] },
      { expectIdle: ['B'] },
      { c: 'C', send: ['XINFO', 'GROUPS', 't'] },
      { expectIdle: ['A', 'B'] },
    ]);
  });
});
