// SimRedis's SMISMEMBER, SMOVE, SINTER/SUNION/SDIFF and their STORE forms, SINTERCARD, SSCAN (and
// SPOP, SRANDMEMBER, HRANDFIELD where their picks are determined) held to
// redis-server 7.0: the same sequences go to both, every reply compared (normalisations in
// redis-diff-common.ts: set replies sorted, SSCAN as the elements of a full iteration),
// hand-written and random (SIM_DIFF_RUNS sequences, 300 by default), directly, in MULTI and from
// EVAL.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../harness/sim/redis/reply.ts';
import { caseTests, compareSeq, randomTest } from './redis-diff-common.ts';
import { newSim, realRedis } from './redis-pair.ts';

const pair = realRedis();

const CASES: Record<string, string[]> = {
  'SMISMEMBER and SMOVE': [
    'SADD a x y z',
    'SMISMEMBER a x nosuch z',
    'SMISMEMBER nosuch x',
    'SMOVE a b x',
    'SMEMBERS b',
    'SMOVE a b nosuch',
    'SMOVE a a y',
    'SMOVE a a nosuch',
    'SMOVE nosuch a x',
    'SET s v',
    'SMOVE nosuch s x',
    'SMOVE s a x',
    'SMOVE a s y',
    'SMOVE a b y',
    'SMOVE a b z',
    'EXISTS a',
    'SMEMBERS b',
    'SMOVE b b x',
    'SMISMEMBER s x',
    'SMISMEMBER a',
    'SMOVE a b',
  ],
  'SINTER, SUNION, SDIFF and the STORE forms': [
    'SADD a 1 2 3 x',
    'SADD b 2 3 4 y',
    'SADD c 3 x y',
    'SINTER a b',
    'SINTER a b c',
    'SINTER a nosuch',
    'SINTER nosuch a',
    'SUNION a b c',
    'SUNION nosuch',
    'SDIFF a b',
    'SDIFF a b c',
    'SDIFF nosuch a',
    'SDIFF a nosuch',
    'SDIFF a a',
    'SET s v',
    'SINTER a s',
    'SINTER nosuch s',
    'SUNION s a',
    'SDIFF nosuch s',
    'SINTERSTORE d a b',
    'SMEMBERS d',
    'PEXPIRE d 100000',
    'SUNIONSTORE d a c',
    'PTTL d',
    'SMEMBERS d',
    'SDIFFSTORE d a b c',
    'SMEMBERS d',
    'SINTERSTORE d a nosuch',
    'EXISTS d',
    'SINTERSTORE s a b',
    'TYPE s',
    'SET s v',
    'SDIFFSTORE s a a',
    'EXISTS s',
    'SUNIONSTORE a a b',
    'SMEMBERS a',
    'SET t v',
    'SUNIONSTORE d t a',
    'SINTERSTORE d',
    'SINTER',
    'SDIFFSTORE d',
  ],
  'SINTERCARD, and SPOP / SRANDMEMBER where their picks are determined': [
    'SADD a 1 2 3 x',
    'SADD b 2 3 4 y',
    'SINTERCARD 2 a b',
    'SINTERCARD 2 a b LIMIT 1',
    'SINTERCARD 2 a b LIMIT 0',
    'SINTERCARD 1 a limit 10',
    'SINTERCARD 2 a nosuch',
    'SINTERCARD 0 a',
    'SINTERCARD -1 a',
    'SINTERCARD x a',
    'SINTERCARD 3 a b',
    'SINTERCARD 2 a b LIMIT',
    'SINTERCARD 2 a b LIMIT -1',
    'SINTERCARD 2 a b LIMIT x',
    'SINTERCARD 2 a b BOGUS',
    'SINTERCARD 1 a b',
    'SET s v',
    'SINTERCARD 2 a s',
    'SINTERCARD 2 nosuch s',
    'SINTERCARD 1',
    'SPOP nosuch',
    'SPOP nosuch 3',
    'SPOP nosuch x',
    'SPOP nosuch -1',
    'SPOP s',
    'SPOP s 1',
    'SPOP s -1',
    'SPOP a 0',
    'SPOP a 1 2',
    'SRANDMEMBER nosuch',
    'SRANDMEMBER nosuch 5',
    'SRANDMEMBER nosuch -5',
    'SRANDMEMBER nosuch x',
    'SRANDMEMBER s',
    'SRANDMEMBER s 2',
    'SRANDMEMBER a 0',
    'SRANDMEMBER a 4',
    'SRANDMEMBER a 100',
    'SRANDMEMBER a -9223372036854775808',
    'SRANDMEMBER a 1 2',
    'SADD one m',
    'SRANDMEMBER one',
    'SRANDMEMBER one -3',
    'SPOP one',
    'EXISTS one',
    'SPOP a 4',
    'EXISTS a',
    'SPOP b 10',
    'EXISTS b',
    'HSET h f1 v1 f2 v2',
    'HRANDFIELD h 2',
    'HRANDFIELD h 5 WITHVALUES',
    'HRANDFIELD h 0',
    'HRANDFIELD h x',
    'HRANDFIELD h 1 BOGUS',
    'HRANDFIELD h 1 WITHVALUES x',
    'HRANDFIELD h -9223372036854775808',
    'HRANDFIELD h -4611686018427387904 WITHVALUES',
    'HRANDFIELD nosuch',
    'HRANDFIELD nosuch 3',
    'HRANDFIELD s',
    'HRANDFIELD s 1',
    'HRANDFIELD s x',
    'HSET h1 only one',
    'HRANDFIELD h1',
    'HRANDFIELD h1 -2 WITHVALUES',
  ],
  'SSCAN: options, errors in redis-server order': [
    'SADD a x y xy 1',
    'SSCAN a 0',
    'SSCAN a 0 MATCH x*',
    'SSCAN a 0 MATCH [xy] COUNT 1',
    'SSCAN a 0 COUNT 0',
    'SSCAN a 0 COUNT x',
    'SSCAN a 0 TYPE set',
    'SSCAN a 0 MATCH',
    'SSCAN a x',
    'SSCAN nosuch 0 BOGUS',
    'SET s v',
    'SSCAN s 0',
    'SSCAN s 0 BOGUS',
    'SADD i 1 2 3',
    'SSCAN i 0 MATCH 2',
  ],
};

describe('set commands against redis-server 7.0: hand-written sequences', () => {
  // a script's SSCAN is one page, and sets of strings are hash tables
  caseTests(pair, CASES, { fromScript: (name) => !name.startsWith('SSCAN') });

  it('SSCAN of large sets (strings, and integers past the intset limit) returns every member once', async () => {
    const strs = Array.from({ length: 300 }, (_, i) => `m${i}`);
    const ints = Array.from({ length: 600 }, (_, i) => String(i * 3));
    const seq = [['SADD', 'big', ...strs], ['SSCAN', 'big', '0'], ['SSCAN', 'big', '0', 'COUNT', '3', 'MATCH', 'm2*'], ['SADD', 'ints', ...ints], ['SSCAN', 'ints', '0', 'COUNT', '50'], ['SINTERSTORE', 'd', 'big', 'ints'], ['SUNIONSTORE', 'd', 'big', 'ints']];
    expect(await compareSeq(pair, seq)).toBe(seq.length);
  });
});

describe('SPOP, SRANDMEMBER, HRANDFIELD picks (the simulation alone: redis-server picks at random)', () => {
  it('what is picked is in the collection; SPOP removes it; positive counts are distinct; picks vary', async () => {
    const { client } = newSim(() => Date.now());
    const sim = client();
    const members = Array.from({ length: 10 }, (_, i) => `m${i}`);
    const arr = (r: Reply | undefined): string[] => (r?.t === 'array' && r.v ? r.v.map((x) => String(x.v)) : []);
    sim.send(['SADD', 's', ...members]);
    sim.send(['HSET', 'h', ...members.flatMap((m) => [m, `v-${m}`])]);
    const singles = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const r = sim.send(['SRANDMEMBER', 's']);
      expect(members).toContain(r?.t === 'bulk' ? r.v : '');
      singles.add(String(r?.t === 'bulk' ? r.v : ''));
      const f = sim.send(['HRANDFIELD', 'h']);
      expect(members).toContain(f?.t === 'bulk' ? f.v : '');
    }
    expect(singles.size).toBeGreaterThan(3);
    const three = arr(sim.send(['SRANDMEMBER', 's', '3']));
    expect(new Set(three).size).toBe(3);
    const repeats = arr(sim.send(['SRANDMEMBER', 's', '-30']));
    expect(repeats).toHaveLength(30);
    for (const m of repeats) expect(members).toContain(m);
    const withValues = arr(sim.send(['HRANDFIELD', 'h', '-4', 'WITHVALUES']));
    expect(withValues).toHaveLength(8);
    for (let i = 0; i < 8; i += 2) expect(withValues[i + 1]).toBe(`v-${withValues[i]}`);
    const popped = arr(sim.send(['SPOP', 's', '4']));
    expect(new Set(popped).size).toBe(4);
    const left = arr(sim.send(['SMEMBERS', 's']));
    expect([...left, ...popped].sort()).toEqual([...members].sort());
    const one = sim.send(['SPOP', 's']);
    expect(left).toContain(one?.t === 'bulk' ? one.v : '');
    expect(sim.send(['SCARD', 's'])).toEqual({ t: 'int', v: 5 });
  });
});

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const key = fc.oneof({ weight: 5, arbitrary: pick('s:1', 's:2', 's:3') }, { weight: 1, arbitrary: pick('str', 'none') });
const member = pick('a', 'b', 'c', '1', '2', '');
const simple = (...parts: Array<fc.Arbitrary<string> | string>): fc.Arbitrary<string[]> => fc.tuple(...parts.map((p) => (typeof p === 'string' ? fc.constant(p) : p)));
const keys = fc.array(key, { minLength: 1, maxLength: 3 });
const scanOpts = fc.subarray([['MATCH', 'a*'], ['COUNT', '1'], ['MATCH', '?'], ['COUNT', '0'], ['TYPE', 'set']], { maxLength: 2 }).map((xs) => xs.flat());

const command: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(key, fc.array(member, { minLength: 1, maxLength: 3 })).map(([k, ms]) => ['SADD', k, ...ms]) },
  simple('SREM', key, member),
  fc.tuple(key, fc.array(member, { minLength: 1, maxLength: 3 })).map(([k, ms]) => ['SMISMEMBER', k, ...ms]),
  simple('SMOVE', key, key, member),
  fc.tuple(pick('SINTER', 'SUNION', 'SDIFF'), keys).map(([c, ks]) => [c, ...ks]),
  fc.tuple(pick('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), key, keys).map(([c, d, ks]) => [c, d, ...ks]),
  simple(pick('SMEMBERS', 'SCARD', 'TYPE', 'DEL', 'PTTL'), key),
  fc.tuple(pick('1', '2', '3', '0', 'x'), keys, fc.constantFrom<string[]>([], ['LIMIT', '1'], ['LIMIT', '0'], ['LIMIT', '-1'])).map(([n, ks, l]) => ['SINTERCARD', n, ...ks, ...l]),
  // picks that are determined: the whole set, or none
  simple('SPOP', key, pick('10', '0', '-1', 'x')),
  simple('SRANDMEMBER', key, pick('10', '0', 'x')),
  simple('PEXPIRE', key, '100000'),
  simple('SET', 'str', 'v'),
);
const scan = fc.tuple(key, pick('0', '0', '0', 'x'), scanOpts).map(([k, c, o]) => ['SSCAN', k, c, ...o]);

describe('set commands against redis-server 7.0: random sequences', () => {
  randomTest(pair, 'sets', command, { scan });
});
