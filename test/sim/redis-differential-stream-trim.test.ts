// SimRedis's XTRIM (and XADD's trimming, which shares its node model) held to redis-server 7.0:
// the same sequences go to both, every reply compared, hand-written and random (SIM_DIFF_RUNS
// sequences, 300 by default), directly, in MULTI and from EVAL. Entries of every size, so that
// redis-server's nodes close at 100 entries or at 4096 bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSeq, inScript, randomTest, runs, words } from './redis-diff-common.ts';
import { Stream } from '../../harness/sim/redis/streams.ts';
import { realRedis } from './redis-pair.ts';

const pair = realRedis();

/** XADD key <n>-0 f v for n in from..to */
const adds = (key: string, from: number, to: number, extra: string[] = []): string[][] =>
  Array.from({ length: to - from + 1 }, (_, i) => ['XADD', key, ...extra, `${from + i}-0`, 'f', String(from + i)]);

const CASES: Record<string, string[][]> = {
  'XTRIM: arguments and errors in redis-server order': [
    ...adds('s', 1, 5),
    ...[
      'XTRIM s MAXLEN 3',
      'XRANGE s - +',
      'XTRIM s MAXLEN = 2',
      'XTRIM s MAXLEN ~ 0',
      'XLEN s',
      'XTRIM s MINID 5',
      'XTRIM s MINID = 5-1',
      'XRANGE s - +',
      'XTRIM s MAXLEN 0',
      'XLEN s',
      'EXISTS s',
      'XTRIM nosuch MAXLEN 0',
      'XTRIM nosuch MAXLEN x',
      'XTRIM s',
      'XTRIM s MAXLEN',
      'XTRIM s MAXLEN ~',
      'XTRIM s MAXLEN -1',
      'XTRIM s MAXLEN 1.5',
      'XTRIM s MINID -',
      'XTRIM s MINID +',
      'XTRIM s MINID x-1',
      'XTRIM s MINID 1-x',
      'XTRIM s MAXLEN 1 MINID 1',
      'XTRIM s MINID 1 MAXLEN 1',
      'XTRIM s LIMIT 10',
      'XTRIM s LIMIT 0',
      'XTRIM s MAXLEN 1 LIMIT 10',
      'XTRIM s MAXLEN = 1 LIMIT 10',
      'XTRIM s MAXLEN ~ 1 LIMIT 10',
      'XTRIM s MAXLEN ~ 1 LIMIT -1',
      'XTRIM s MAXLEN ~ 1 LIMIT x',
      'XTRIM s MAXLEN 1 BOGUS',
      'XTRIM s maxlen ~ 1 limit 0',
      'XTRIM s MAXLEN ~ 1 MAXLEN 1',
      'SET str v',
      'XTRIM str MAXLEN 0',
      'XTRIM str MAXLEN x',
      'XTRIM str BOGUS',
      'XTRIM s MINID',
    ].map(words),
  ],
  'approximate trimming removes whole nodes of 100 entries, within LIMIT': [
    ...adds('s', 1, 250),
    ...[
      'XTRIM s MAXLEN ~ 200',
      'XTRIM s MAXLEN ~ 100',
      'XLEN s',
      'XRANGE s - + COUNT 1',
      'XTRIM s MAXLEN ~ 0',
      'XLEN s',
      'XTRIM s MAXLEN = 20',
      'XRANGE s - + COUNT 1',
    ].map(words),
    ...adds('t', 1, 450),
    ...['XINFO STREAM t', 'XTRIM t MAXLEN ~ 0 LIMIT 150', 'XLEN t', 'XINFO STREAM t', 'XTRIM t MAXLEN ~ 0 LIMIT 100', 'XTRIM t MINID ~ 399', 'XTRIM t MINID ~ 451', 'XLEN t', 'XTRIM t MINID 440', 'XLEN t'].map(words),
  ],
  'deleted entries keep their place in a node; an emptied node goes': [
    ...adds('s', 1, 150),
    ...['XDEL s 1-0 2-0 3-0 50-0', 'XTRIM s MAXLEN ~ 0', 'XLEN s', 'XDEL s 120-0', 'XTRIM s MINID ~ 200', 'XLEN s', 'XTRIM s MAXLEN ~ 30', 'XLEN s'].map(words),
    ...adds('u', 1, 100),
    ...[...Array.from({ length: 100 }, (_, i) => ['XDEL', 'u', `${i + 1}-0`]), ...adds('u', 101, 130), ['XTRIM', 'u', 'MAXLEN', '~', '0'], ['XLEN', 'u']],
    ...adds('v', 1, 120),
    ...[['XTRIM', 'v', 'MAXLEN', '110'], ...adds('v', 121, 200), ['XTRIM', 'v', 'MAXLEN', '~', '1'], ['XLEN', 'v'], ['XRANGE', 'v', '-', '+', 'COUNT', '1']],
  ],
  'nodes close at 4096 bytes: large values, integers, changing fields': [
    ...Array.from({ length: 60 }, (_, i) => ['XADD', 'big', `${i + 1}-0`, 'data', 'x'.repeat(150 + ((i * 37) % 90))]),
    ...['XTRIM big MAXLEN ~ 30', 'XLEN big', 'XTRIM big MAXLEN ~ 1', 'XLEN big'].map(words),
    ...Array.from({ length: 300 }, (_, i) => ['XADD', 'ints', `${1000 + i * 70}-${i % 3}`, 'n', String(i * 1000), 'neg', String(-i * 77)]),
    ...['XTRIM ints MAXLEN ~ 150', 'XLEN ints', 'XTRIM ints MINID ~ 10000', 'XLEN ints'].map(words),
    ...Array.from({ length: 200 }, (_, i) => ['XADD', 'mixed', `${i + 1}-0`, ...(i % 3 === 0 ? ['a', 'v', 'b', 'w'] : i % 3 === 1 ? ['a', 'longer value here'] : ['event', 'completed', 'jobId', String(i), 'returnvalue', `{"ok":${i}}`])]),
    ...['XTRIM mixed MAXLEN ~ 100', 'XLEN mixed', 'XTRIM mixed MAXLEN ~ 10', 'XLEN mixed'].map(words),
    ...Array.from({ length: 40 }, (_, i) => ['XADD', 'uni', `${i + 1}-0`, 'f', 'é'.repeat(40 + i)]),
    ...['XTRIM uni MAXLEN ~ 5', 'XLEN uni'].map(words),
  ],
  "XADD's trimming follows the same nodes": [
    ...adds('s', 1, 199, ['MAXLEN', '~', '50']),
    ['XLEN', 's'],
    ...adds('s', 200, 260, ['MAXLEN', '~', '50']),
    ['XLEN', 's'],
    ...adds('s', 261, 400, ['MINID', '~', '300', 'LIMIT', '100']),
    ['XLEN', 's'],
    ...adds('s', 401, 405, ['MAXLEN', '=', '2']),
    ['XRANGE', 's', '-', '+'],
    ...['XADD s LIMIT 0 501-0 f v', 'XADD s MAXLEN 1 MINID 1 502-0 f v', 'XADD s MINID 1 MAXLEN 1 503-0 f v', 'XADD s MAXLEN ~ 1 LIMIT 0 504-0 f v', 'XADD s LIMIT 5 505-0 f v', 'XADD s MAXLEN = 1 LIMIT 5 506-0 f v', 'XLEN s'].map(words),
  ],
  'from scripts and transactions': [
    ...adds('s', 1, 120),
    inScript(words('XTRIM s MAXLEN ~ 10')),
    inScript(words('XTRIM s MAXLEN 10')),
    inScript(words('XTRIM s MINID 200')),
    inScript(words('XTRIM s BOGUS 1')),
    inScript(words('XTRIM s')),
    inScript(words('XLEN s')),
    ['MULTI'],
    words('XTRIM s MAXLEN 1'),
    words('XTRIM s MAXLEN x'),
    words('XLEN s'),
    ['EXEC'],
    ['MULTI'],
    words('XTRIM s'),
    ['EXEC'],
  ],
};

describe('XTRIM against redis-server 7.0: hand-written sequences', () => {
  for (const [name, seq] of Object.entries(CASES)) {
    it(name, async () => {
      expect(await compareSeq(pair, seq)).toBe(seq.length);
    });
  }
});

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const key = fc.oneof({ weight: 6, arbitrary: pick('x:1') }, { weight: 1, arbitrary: pick('str', 'none') });
const threshold = fc.oneof(fc.integer({ min: 0, max: 260 }).map(String), pick('x', '-1'));
const minid = fc.oneof(fc.integer({ min: 0, max: 400 }).map((n) => `${n}-0`), fc.integer({ min: 0, max: 400 }).map(String), pick('-', 'x'));
const strategy = fc.oneof(
  fc.tuple(pick('MAXLEN', 'maxlen'), fc.subarray(['~']), threshold).map(([a, b, c]) => [a, ...b, c]),
  fc.tuple(pick('MINID'), pick([], ['~'], ['=']), minid).map(([a, b, c]) => [a, ...b, c]),
);
const limit = fc.oneof({ weight: 3, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: pick('0', '50', '100', '150', '-1').map((n) => ['LIMIT', n]) });

/** XADD's id AUTO becomes the next id of the sequence (the servers' clocks differ) */
const command: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 0, max: 4 })).map(([n, size]) => ['ADD', String(n), String(size)]) },
  fc.tuple(key, strategy, limit).map(([k, s, l]) => ['XTRIM', k, ...s, ...l]),
  fc.tuple(strategy, limit).map(([s, l]) => ['XADD', 'x:1', ...s, ...l, 'AUTO', 'f', 'v']),
  fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 4 }).map((ns) => ['XDEL', 'x:1', ...ns.map((n) => `${n}-0`)]),
  fc.constantFrom<string[]>(['XLEN', 'x:1'], ['XRANGE', 'x:1', '-', '+', 'COUNT', '2'], ['XREVRANGE', 'x:1', '+', '-', 'COUNT', '2'], ['SET', 'str', 'v'], ['XTRIM', 'str', 'MAXLEN', '~', '0'], ['XINFO', 'STREAM', 'x:1']),
);

/**
 * ADD n: n XADDs with the next ids; AUTO: the next id. Every sequence begins with `str` a string,
 * so an XTRIM of it answers WRONGTYPE whenever one is drawn (left to the draw, a SET before such an
 * XTRIM in 100 sequences was rare enough that the WRONGTYPE edge went unreached now and then).
 */
function expand(seq: string[][]): string[][] {
  let next = 0;
  const out: string[][] = [['SET', 'str', 'v']];
  for (const argv of seq) {
    if (argv[0] === 'ADD') {
      for (let i = 0; i < Number(argv[1]); i++) {
        const id = ++next;
        // sizes 0-4: small, integers, about 100 bytes, changing field names, up to 600 bytes
        const fields = [['f', 'v'], ['n', String(id * 13)], ['data', 'd'.repeat(80 + (id % 40))], id % 2 ? ['a', 'x'] : ['b', 'y', 'c', 'z'], ['blob', 'b'.repeat((id * 7919) % 600)]][Number(argv[2])];
        out.push(['XADD', 'x:1', `${id}-0`, ...fields]);
      }
    }
    else out.push(argv.map((a) => (a === 'AUTO' ? `${++next}-0` : a)));
  }
  return out;
}

describe('XTRIM against redis-server 7.0: random sequences', () => {
  randomTest(pair, 'XTRIM', command, { expand, numRuns: Math.max(1, Math.round(runs() / 3)), edges: ['ERR', 'WRONGTYPE', 'EXEC ran', 'EVAL ran'] });
});

describe('a copied stream (a restart reloading the data) keeps its nodes', () => {
  it('trims as the original does', () => {
    const s = new Stream();
    for (let i = 1; i <= 250; i++) s.append({ ms: i, seq: 0 }, ['f', 'v']);
    const copy = s.clone();
    expect(copy.trim({ maxLen: 100 }, true, 10000)).toBe(100);
    expect(copy.length).toBe(150);
    expect(s.trim({ maxLen: 100 }, true, 10000)).toBe(100);
  });
});
