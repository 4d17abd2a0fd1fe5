// SimRedis's ZSCAN held to redis-server 7.0: compared as the members and scores of a full
// iteration, errors exactly; hand-written, a large sorted set (a skiplist there, many pages),
// from EVAL, and random (SIM_DIFF_RUNS sequences, 300 by default).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSeq, inScript, runs, steps, words } from './redis-diff-common.ts';
import { realRedis } from './redis-pair.ts';

const pair = realRedis();

const LINES = [
  'ZADD z 1 a 2.5 b -inf c 1e20 ab 0.1 d',
  'ZSCAN z 0',
  'ZSCAN z 0 MATCH a*',
  'ZSCAN z 0 MATCH ?b COUNT 1',
  'ZSCAN z 0 COUNT 0',
  'ZSCAN z 0 COUNT x',
  'ZSCAN z 0 TYPE zset',
  'ZSCAN z 0 MATCH',
  'ZSCAN z x',
  'ZSCAN z 99999999999999999999',
  'ZSCAN nosuch 0 BOGUS',
  'SET s v',
  'ZSCAN s 0',
  'ZSCAN s 0 COUNT 0',
  'ZSCAN z',
];

describe('ZSCAN against redis-server 7.0', () => {
  it('hand-written: options, errors in redis-server order, scores as ZRANGE writes them', async () => {
    const seq = LINES.map(words);
    expect(await compareSeq(pair, seq)).toBe(seq.length);
  });

  it('hand-written, each from a script (small sets: one page is all of it on both)', async () => {
    const seq = LINES.map((l) => inScript(words(l)));
    expect(await compareSeq(pair, seq)).toBe(seq.length);
  });

  it('a large sorted set returns every member once with its score', async () => {
    const pairs = Array.from({ length: 300 }, (_, i) => [String(i / 7), `m${i}`]).flat();
    const seq = [['ZADD', 'big', ...pairs], ['ZSCAN', 'big', '0'], ['ZSCAN', 'big', '0', 'COUNT', '5', 'MATCH', 'm1*']];
    expect(await compareSeq(pair, seq)).toBe(seq.length);
  });

  it('random sequences', async () => {
    const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
    const key = fc.oneof({ weight: 5, arbitrary: pick('z:1', 'z:2') }, { weight: 1, arbitrary: pick('str', 'none') });
    const member = pick('a', 'b', 'ab', 'c', '');
    const command: fc.Arbitrary<string[]> = fc.oneof(
      fc.tuple(key, pick('1', '2', '-1', '0.5', 'inf'), member).map(([k, s, m]) => ['ZADD', k, s, m]),
      fc.tuple(key, member).map(([k, m]) => ['ZREM', k, m]),
      key.map((k) => ['ZCARD', k]),
      fc.constant<string[]>(['SET', 'str', 'v']),
    );
    const opts = fc.subarray([['MATCH', 'a*'], ['COUNT', '1'], ['COUNT', '0'], ['MATCH', '?']], { maxLength: 2 }).map((xs) => xs.flat());
    const scan = fc.tuple(key, pick('0', '0', 'x'), opts).map(([k, c, o]) => ['ZSCAN', k, c, ...o]);
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(steps(command, scan), async (seq) => {
        await compareSeq(pair, seq, seen);
      }),
      { numRuns: runs(), endOnFailure: false },
    );
    for (const edge of ['ERR', 'WRONGTYPE', 'EXEC ran']) expect(seen, edge).toContain(edge);
  });
});
