// SimRedis's sorted sets are held to the real redis-server 7.0: the same command sequences go to
// both and every reply must be identical, byte for byte (no normalisation: sorted-set replies
// have one order on both servers).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { textBytes } from '../../harness/sim/redis/bytes.ts';
import { SimRedis } from '../../harness/sim/redis/engine.ts';
import { showReply } from '../../harness/sim/redis/reply.ts';
import { compareBytes, formatScore, parseScore } from '../../harness/sim/redis/zset-commands.ts';
import { type Act, runClients } from './redis-diff-common.ts';
import { newSim, realRedis } from './redis-pair.ts';

const pair = realRedis();

/** runs one sequence on both from an empty keyspace; the first reply that differs throws */
async function compare(seq: string[][]): Promise<number> {
  await pair.real.send(['FLUSHALL']);
  const { client } = newSim(() => 1_800_000_000_000);
  const sim = client();
  let n = 0;
  for (const argv of seq) {
    const want = await pair.real.send(argv);
    const got = sim.send(argv);
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      throw new Error(`${argv.join(' ')}\n  redis-server: ${showReply(want)}\n  SimRedis:     ${got ? showReply(got) : 'no reply'}`);
    }
    n++;
  }
  return n;
}

const w = (line: string): string[] => line.split(' ').map((s) => (s === "''" ? '' : s));

// ---- hand-written sequences ---------------------------------------------------------------

const CASES: Record<string, string[]> = {
  'ZADD flags, CH, INCR, GT/LT and their conflicts': [
    'ZADD z 1 a 2 b 3 c',
    'ZADD z 1 a',
    'ZADD z CH 5 a 2 b 7 d',
    'ZADD z NX 9 a 9 e',
    'ZADD z XX 10 a 11 f',
    'ZADD z XX CH 10 a 12 b',
    'ZADD z GT CH 1 a 20 b',
    'ZADD z LT CH 1 a 30 b',
    'ZADD z INCR 2.5 a',
    'ZADD z INCR NX 1 a',
    'ZADD z INCR XX 1 nosuch',
    'ZADD z INCR GT -1 a',
    'ZADD z INCR LT -1 a',
    'ZADD z NX XX 1 a',
    'ZADD z GT LT 1 a',
    'ZADD z GT NX 1 a',
    'ZADD z INCR 1 a 2 b',
    'ZADD z 1',
    'ZADD z 1 a 2',
    'ZADD z NX',
    'ZADD z x a',
    'ZADD z 1 a x b',
    'ZADD z nan a',
    'ZADD z 1e400 a',
    'ZADD z 1e-400 a',
    "ZADD z '' a",
    'ZADD z 1.5x a',
    'ZADD z +inf top -inf bottom',
    'ZADD z inf top2 -Infinity bottom2',
    'ZADD z INCR -inf top',
    'ZADD z INCR 1 top',
    'ZRANGE z 0 -1 WITHSCORES',
    'ZADD none XX 1 a',
    'EXISTS none',
    'ZADD none XX INCR 1 a',
    'TYPE z',
    'SET s v',
    'ZADD s 1 a',
    'ZADD s x a',
    'ZADD',
    'ZADD z',
  ],
  'scores as redis-server prints them': [
    'ZADD f 0.1 a 1.5 b 100 c 1e20 d 1e-5 e 0.0001 g 123456789012345678 h -0 i 3.0 j 1e16 k 1e17 l 2.5e-7 m',
    'ZRANGE f 0 -1 WITHSCORES',
    'ZSCORE f a',
    'ZSCORE f i',
    'ZINCRBY f 0.2 a',
    'ZINCRBY f 1e308 c',
    'ZINCRBY f 1e308 c',
    'ZINCRBY f -inf top',
    'ZINCRBY f +inf top',
    'ZINCRBY f x a',
    'ZINCRBY f nx a',
    'ZINCRBY s 1 a',
    'ZMSCORE f a b nosuch top',
    'ZMSCORE none a b',
    'ZSCORE none a',
    'ZADD f 0x10 hex 0x1.8p1 hex2 -0X.8 hex3',
    'ZADD f 0x hex4',
    'ZADD f 1e5 sci',
    'ZADD f .5 dot',
    'ZADD f 5. dot2',
    'ZRANGE f 0 -1 WITHSCORES',
  ],
  'ZRANGE by rank, score and lex; REV, LIMIT, WITHSCORES and bad ranges': [
    'ZADD r 1 a 2 b 2 c 3 d 4 e 4 f 5 g',
    'ZRANGE r 0 -1',
    'ZRANGE r 1 3 WITHSCORES',
    'ZRANGE r -3 -1',
    'ZRANGE r -100 100',
    'ZRANGE r 5 2',
    'ZRANGE r 7 10',
    'ZRANGE r 0 -1 REV',
    'ZRANGE r 1 2 REV WITHSCORES',
    'ZREVRANGE r 0 2 WITHSCORES',
    'ZREVRANGE r 0 -1 REV',
    'ZRANGE r x 1',
    'ZRANGE r 0 1 LIMIT 0 1',
    'ZRANGE r 0 1 LIMIT 0 -1',
    'ZRANGE r 0 1 LIMIT',
    'ZRANGE r 0 1 BOGUS',
    'ZRANGE r 2 4 BYSCORE',
    'ZRANGE r (2 4 BYSCORE WITHSCORES',
    'ZRANGE r 2 (4 BYSCORE',
    'ZRANGE r -inf +inf BYSCORE LIMIT 1 2',
    'ZRANGE r -inf +inf BYSCORE LIMIT 1 -1',
    'ZRANGE r -inf +inf BYSCORE LIMIT 1 -5',
    'ZRANGE r -inf +inf BYSCORE LIMIT -1 2',
    'ZRANGE r -inf +inf BYSCORE LIMIT 10 2',
    'ZRANGE r -inf +inf BYSCORE LIMIT 0 0',
    'ZRANGE r -inf +inf BYSCORE LIMIT x 0',
    'ZRANGE r 4 2 BYSCORE REV',
    'ZRANGE r 2 4 BYSCORE REV',
    'ZRANGE r +inf -inf BYSCORE REV LIMIT 1 3 WITHSCORES',
    'ZRANGE r (2 (2 BYSCORE',
    'ZRANGE r [2 4 BYSCORE',
    'ZRANGE r 2 4 BYSCORE BYLEX',
    'ZRANGE r 2 4 REV REV',
    'ZRANGE r x 4 BYSCORE',
    "ZRANGE r '' 3 BYSCORE",
    'ZRANGE r ( 3 BYSCORE',
    'ZRANGEBYSCORE r 2 4',
    'ZRANGEBYSCORE r 2 4 WITHSCORES LIMIT 1 1',
    'ZRANGEBYSCORE r 2 4 REV',
    'ZRANGEBYSCORE r 2 4 BYSCORE',
    'ZRANGEBYSCORE r a 4',
    'ZREVRANGEBYSCORE r 4 2',
    'ZREVRANGEBYSCORE r 2 4',
    'ZREVRANGEBYSCORE r +inf (3 WITHSCORES LIMIT 0 2',
    'ZRANGE none 0 -1',
    'ZRANGE none x 1',
    'ZRANGEBYSCORE none 0 1',
    'SET s v',
    'ZRANGE s 0 -1',
    'ZRANGE s x 1',
    'ZRANGEBYSCORE s x 1',
    'ZRANGEBYSCORE s 0 1',
    'ZADD lx 0 a 0 b 0 c 0 d 0 e',
    'ZRANGE lx - + BYLEX',
    'ZRANGE lx [b (d BYLEX',
    'ZRANGE lx (b + BYLEX LIMIT 1 2',
    'ZRANGE lx + - BYLEX REV',
    'ZRANGE lx [d [b BYLEX REV',
    'ZRANGE lx - + BYLEX WITHSCORES',
    'ZRANGE lx a + BYLEX',
    'ZRANGEBYLEX lx - +',
    'ZREVRANGEBYLEX lx + [c',
    'ZLEXCOUNT lx - +',
    'ZLEXCOUNT lx (a [c',
    'ZLEXCOUNT lx a c',
    'ZLEXCOUNT none - +',
    'ZLEXCOUNT s - +',
    'ZLEXCOUNT s a +',
    'ZREMRANGEBYLEX lx (a [c',
    'ZREMRANGEBYLEX lx x +',
    'ZREMRANGEBYLEX none - +',
    'ZREMRANGEBYLEX s - +',
    'ZRANGE lx 0 -1',
    'ZREMRANGEBYLEX lx - +',
    'EXISTS lx',
  ],
  'counts, ranks, removals': [
    'ZADD c 1 a 2 b 3 c 4 d 5 e',
    'ZCARD c',
    'ZCARD none',
    'ZCOUNT c 2 4',
    'ZCOUNT c (2 (4',
    'ZCOUNT c -inf +inf',
    'ZCOUNT c x 1',
    'ZCOUNT none 0 1',
    'ZRANK c a',
    'ZRANK c e',
    'ZRANK c nosuch',
    'ZREVRANK c a',
    'ZRANK none a',
    'ZREM c a nosuch b',
    'ZREM c nosuch',
    'ZREM none a',
    'ZREMRANGEBYSCORE c (3 4',
    'ZREMRANGEBYSCORE c x 4',
    'ZRANGE c 0 -1 WITHSCORES',
    'ZADD c 6 f 7 g 8 h',
    'ZREMRANGEBYRANK c 1 2',
    'ZREMRANGEBYRANK c 5 1',
    'ZREMRANGEBYRANK c x 1',
    'ZREMRANGEBYRANK c -2 -1',
    'ZRANGE c 0 -1 WITHSCORES',
    'ZREMRANGEBYRANK c 0 -1',
    'EXISTS c',
    'ZADD d 1 a',
    'ZREM d a',
    'EXISTS d',
    'SET s v',
    'ZCARD s',
    'ZCOUNT s 0 1',
    'ZCOUNT s x 1',
    'ZRANK s a',
    'ZREM s a',
    'ZREMRANGEBYSCORE s 0 1',
    'ZREMRANGEBYRANK s 0 1',
    'ZSCORE s a',
    'ZMSCORE s a',
    'ZCARD',
    'ZRANK c',
  ],
  'ZPOPMIN / ZPOPMAX and their non-blocking B forms': [
    'ZADD p 1 a 2 b 3 c 4 d 5 e',
    'ZPOPMIN p',
    'ZPOPMAX p',
    'ZPOPMIN p 2',
    'ZPOPMAX p 0',
    'ZPOPMAX p -1',
    'ZPOPMAX p x',
    'ZPOPMAX p 1 2',
    'ZPOPMIN p 10',
    'EXISTS p',
    'ZPOPMIN p',
    'ZPOPMIN p 3',
    'SET s v',
    'ZPOPMIN s',
    'ZPOPMIN s 0',
    'ZPOPMIN s x',
    'ZADD q 1 a 2 b',
    'BZPOPMIN none q 0',
    'BZPOPMAX q 0',
    'BZPOPMIN s q 0',
    'BZPOPMIN q s 0',
    'BZPOPMIN q x',
    'BZPOPMIN q -1',
    'MULTI',
    'BZPOPMIN none 0',
    'ZADD q 5 x',
    'BZPOPMAX q 0',
    'EXEC',
    'EVAL return~redis.call("BZPOPMIN",KEYS[1],"0") 1 q',
    'EVAL return~redis.call("ZADD",KEYS[1],"1.5","m") 1 q',
    'EVAL return~redis.call("ZRANGE",KEYS[1],"0","-1","WITHSCORES") 1 q',
    'EVAL return~redis.call("ZSCORE",KEYS[1],"m") 1 q',
    'TYPE q',
    'SCAN 0 TYPE zset',
  ],
};

describe('sorted sets against redis-server 7.0: hand-written sequences', () => {
  for (const [name, lines] of Object.entries(CASES)) {
    it(name, async () => {
      const seq = lines.map((l) => (l.startsWith('EVAL ') ? evalLine(l) : w(l)));
      expect(await compare(seq)).toBe(seq.length);
    });
  }

  it('the helpers: %.17g scores, strtod-like parsing, byte order of members', () => {
    expect(['1', '1.5', '0.10000000000000001', 'inf', '-inf', '1e+20', '1.0000000000000001e-05', '-0'].map((s) => s)).toEqual(
      [1, 1.5, 0.1, Infinity, -Infinity, 1e20, 1e-5, -0].map(formatScore),
    );
    expect(['1', '+inf', '-Infinity', '1e400', '', ' 1', '1 ', 'nan', '1e-400', '.5'].map(parseScore)).toEqual([1, Infinity, -Infinity, undefined, undefined, undefined, undefined, undefined, undefined, 0.5]);
    expect(compareBytes(textBytes('\u{1F600}'), textBytes('\uFFFD'))).toBeGreaterThan(0);
    expect(compareBytes('\xff', 'a\x00')).toBeGreaterThan(0);
    expect(compareBytes('a', 'ab')).toBeLessThan(0);
    expect(compareBytes('b', 'a')).toBeGreaterThan(0);
  });
});

/** "EVAL <script> n keys...": the script is one word, '~' standing for its spaces */
function evalLine(l: string): string[] {
  const parts = l.split(' ');
  return [parts[0], parts[1].replace(/~/g, ' '), ...parts.slice(2)];
}

// ---- random sequences -----------------------------------------------------------------------

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const simple = (...parts: Array<fc.Arbitrary<string> | string>): fc.Arbitrary<string[]> =>
  fc.tuple(...parts.map((p) => (typeof p === 'string' ? fc.constant(p) : p)));
const cat = (...parts: fc.Arbitrary<string[]>[]): fc.Arbitrary<string[]> => fc.tuple(...parts).map((xs) => xs.flat());
const opt = (...parts: Array<fc.Arbitrary<string> | string>): fc.Arbitrary<string[]> => fc.oneof(fc.constant<string[]>([]), simple(...parts));

/** z:1 and z:2 take any score; zl:1 only score 0, so that lex ranges are defined on it */
const zkey = fc.oneof({ weight: 6, arbitrary: pick('z:1', 'z:2') }, { weight: 1, arbitrary: pick('str:1', 'none') });
// (its wrong-type key is its own: str:1 may hold a sorted set of mixed scores)
const lexKey = fc.oneof({ weight: 6, arbitrary: pick('zl:1') }, { weight: 1, arbitrary: pick('zl:str', 'zl:none') });
const member = pick('a', 'b', 'c', 'd', 'e', 'B', '10', '');
const score = fc.oneof(
  { weight: 6, arbitrary: pick('1', '2', '3', '-1', '0', '1.5', '0.1', '10') },
  { weight: 1, arbitrary: pick('inf', '-inf', '+inf', 'x', '1e400', '(1', '') },
);
const bound = fc.oneof({ weight: 5, arbitrary: pick('0', '1', '2', '(1', '(2', '3', '1.5', '-inf', '+inf', '(3') }, { weight: 1, arbitrary: pick('x', '(', '((1', 'inf') });
const lexBound = fc.oneof({ weight: 5, arbitrary: pick('-', '+', '[a', '(a', '[c', '(c', '[B', '[') }, { weight: 1, arbitrary: pick('a', '') });
const index = pick('0', '1', '2', '-1', '-2', '5', '-10', 'x');
const cnt = pick('1', '2', '3', '0', '-1', '10');
const flags = fc.subarray(['NX', 'XX', 'GT', 'LT', 'CH', 'INCR'], { maxLength: 2 });
const pairs = fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 3 }).map((ps) => ps.flat());
const limit = opt('LIMIT', pick('0', '1', '2', '-1'), cnt);

const zcommand: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 5, arbitrary: cat(simple('ZADD', zkey), flags, pairs) },
  { weight: 2, arbitrary: cat(simple('ZADD', lexKey), fc.subarray(['NX', 'XX', 'CH'], { maxLength: 1 }), fc.array(simple('0', member), { minLength: 1, maxLength: 3 }).map((x) => x.flat())) },
  simple('ZINCRBY', zkey, score, member),
  simple('ZREM', fc.oneof(zkey, lexKey), member),
  simple('ZSCORE', zkey, member),
  cat(simple('ZMSCORE', zkey, member), opt(member)),
  simple('ZCARD', fc.oneof(zkey, lexKey)),
  simple('ZCOUNT', zkey, bound, bound),
  simple(pick('ZRANK', 'ZREVRANK'), zkey, member),
  cat(simple('ZRANGE', zkey, index, index), fc.subarray(['REV', 'WITHSCORES'])),
  cat(simple('ZRANGE', zkey, bound, bound, 'BYSCORE'), fc.subarray(['REV', 'WITHSCORES']), limit),
  cat(simple('ZRANGE', lexKey, lexBound, lexBound, 'BYLEX'), fc.subarray(['REV']), limit),
  cat(simple(pick('ZRANGEBYSCORE', 'ZREVRANGEBYSCORE'), zkey, bound, bound), fc.subarray(['WITHSCORES']), limit),
  cat(simple(pick('ZRANGEBYLEX', 'ZREVRANGEBYLEX'), lexKey, lexBound, lexBound), limit),
  simple(pick('ZLEXCOUNT', 'ZREMRANGEBYLEX'), lexKey, lexBound, lexBound),
  cat(simple('ZREVRANGE', zkey, index, index), fc.subarray(['WITHSCORES'])),
  simple('ZREMRANGEBYSCORE', zkey, bound, bound),
  simple('ZREMRANGEBYRANK', zkey, index, index),
  cat(simple(pick('ZPOPMIN', 'ZPOPMAX'), fc.oneof(zkey, lexKey)), opt(cnt)),
  simple(pick('BZPOPMIN', 'BZPOPMAX'), zkey, zkey, pick('0.01', '0', 'x', '-1')),
  simple('SET', pick('str:1', 'zl:str'), 'v'),
  simple('TYPE', zkey),
  simple('DEL', zkey),
  simple(pick('ZADD', 'ZRANGE', 'ZSCORE'), zkey),
);

/** a command, or a short transaction (blocking pops answer at once inside it) */
const step: fc.Arbitrary<string[][]> = fc.oneof(
  { weight: 8, arbitrary: zcommand.map((c) => [c]) },
  { weight: 1, arbitrary: fc.array(zcommand, { minLength: 1, maxLength: 3 }).map((cs) => [['MULTI'], ...cs, ['EXEC']]) },
  // WATCH, then a command that may or may not change the key: EXEC runs only if it did not
  { weight: 1, arbitrary: fc.tuple(zcommand, zcommand).map(([touch, inner]) => [['WATCH', touch[1] ?? 'none'], touch, ['MULTI'], inner, ['EXEC']]) },
);

describe('sorted sets against redis-server 7.0: random sequences', () => {
  it('answers random sequences of sorted-set commands exactly as the real server does', async () => {
    const runs = Number(process.env.SIM_DIFF_RUNS) || 3000;
    let commands = 0;
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        const seq = steps.flat();
        await pair.real.send(['FLUSHALL']);
        const { client } = newSim(() => 1_800_000_000_000);
        const sim = client();
        let inMulti = false;
        for (const argv of seq) {
          let cmd = argv;
          const name = argv[0].toUpperCase();
          // outside MULTI a BZPOP on empty keys would block the real client: it becomes a ZPOP
          const valid = argv[argv.length - 1] === '0' || argv[argv.length - 1] === '0.01';
          if ((name === 'BZPOPMIN' || name === 'BZPOPMAX') && valid && !inMulti && !(await hasMembers(argv.slice(1, -1)))) {
            cmd = [name === 'BZPOPMIN' ? 'ZPOPMIN' : 'ZPOPMAX', argv[1]];
          }
          if (name === 'MULTI') inMulti = true;
          if (name === 'EXEC') inMulti = false;
          const want = await pair.real.send(cmd);
          const got = sim.send(cmd);
          commands++;
          if (want.t === 'error') seen.add(want.v.split(' ')[0] + (want.v.includes('float') ? ' float' : ''));
          if (want.t === 'array' && want.v && want.v.length > 2) seen.add('long array');
          if (name === 'EXEC' && want.t === 'array' && want.v === null) seen.add('EXEC aborted by WATCH');
          if (name === 'EXEC' && want.t === 'array' && want.v?.length) seen.add('EXEC ran');
          if (JSON.stringify(want) !== JSON.stringify(got)) {
            throw new Error(`${cmd.join(' ')}\n  redis-server: ${showReply(want)}\n  SimRedis:     ${got ? showReply(got) : 'no reply'}`);
          }
        }
      }),
      { numRuns: runs, endOnFailure: false },
    );
    console.log(`differential (sorted sets): ${runs} sequences, ${commands} commands; reached: ${[...seen].sort().join(', ')}`);
    for (const edge of ['WRONGTYPE', 'ERR', 'ERR float', 'EXECABORT', 'long array', 'EXEC aborted by WATCH', 'EXEC ran']) expect(seen, edge).toContain(edge);
  });
});

/** whether a BZPOP over these keys would answer at once on the real server (some key non-empty and a zset, or a wrong type first) */
async function hasMembers(keys: string[]): Promise<boolean> {
  for (const k of keys) {
    const t = await pair.real.send(['TYPE', k]);
    if (t.t === 'status' && t.v !== 'none') return true;
  }
  return false;
}

// ---- blocking ---------------------------------------------------------------------------------

/** the blocking scripts below run with the simulation's clock from a fixed start (see runClients) */
const runBoth = (acts: Act[]) => runClients(pair, acts, 1_900_000_000_000);

describe('BZPOPMIN / BZPOPMAX block and wake as on redis-server', () => {
  it('first blocked is first served, one member each, across several keys', async () => {
    const log = await runBoth([
      { c: 'A', send: ['BZPOPMIN', 'z1', 'z2', '0'] },
      { c: 'B', send: ['BZPOPMAX', 'z2', '0'] },
      { expectIdle: ['A', 'B', 'C'] },
      { c: 'C', send: ['ZADD', 'z2', '1', 'a', '2', 'b', '3', 'c'] },
      { expectIdle: [] },
      { c: 'C', send: ['ZRANGE', 'z2', '0', '-1', 'WITHSCORES'] },
      { expectIdle: ['A', 'B'] },
    ]);
    expect(log).toContain('A ["z2", "a", "1"]');
  });

  it('a wrong-type write does not wake; a ZADD in MULTI wakes after EXEC; a timeout answers nil', async () => {
    await runBoth([
      { c: 'A', send: ['BZPOPMAX', 'z', '0'] },
      { c: 'C', send: ['LPUSH', 'z', 'x'] },
      { expectIdle: ['A', 'B'] },
      { c: 'C', send: ['DEL', 'z'] },
      { c: 'C', send: ['MULTI'] },
      { c: 'C', send: ['ZADD', 'z', '1.5', 'm', '-inf', 'n'] },
      { c: 'C', send: ['ZCARD', 'z'] },
      { c: 'C', send: ['EXEC'] },
      { expectIdle: ['B'] },
      { c: 'B', send: ['BZPOPMIN', 'empty', '0.2'] },
      { c: 'B', send: ['PING'] },
      { expectIdle: ['A', 'B', 'C'] },
      { wait: 400 },
      { expectIdle: ['A', 'C'] },
    ]);
  });

  it('ZINCRBY and a script ZADD wake waiters; a popped-empty key is gone', async () => {
    await runBoth([
      { c: 'A', send: ['BZPOPMIN', 'z', '0'] },
      { c: 'B', send: ['BZPOPMIN', 'z', '0'] },
      { c: 'C', send: ['ZINCRBY', 'z', '2', 'm'] },
      { expectIdle: ['B'] },
      { c: 'C', send: ['EXISTS', 'z'] },
      { c: 'C', send: ['EVAL', 'return redis.call("ZADD", KEYS[1], "5", "x", "6", "y")', '1', 'z'] },
      { expectIdle: ['A'] },
      { c: 'C', send: ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'] },
      { expectIdle: ['A', 'B'] },
    ]);
  });
});
