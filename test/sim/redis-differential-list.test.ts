// SimRedis's list commands are held to the real redis-server 7.0: the same command sequences go
// to both and every reply must be identical, byte for byte.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimRedis } from '../../harness/sim/redis/engine.ts';
import { showReply } from '../../harness/sim/redis/reply.ts';
import { type Act, runClients } from './redis-diff-common.ts';
import { RawClient, newSim, realRedis } from './redis-pair.ts';

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
  'LINDEX, LSET, LINSERT, LPUSHX, RPUSHX': [
    'RPUSH l a b c d',
    'LINDEX l 0',
    'LINDEX l -1',
    'LINDEX l 4',
    'LINDEX l -5',
    'LINDEX l x',
    'LINDEX none x',
    'LSET l 1 B',
    'LSET l -1 D',
    'LSET l 4 x',
    'LSET l x y',
    'LSET none 0 x',
    'LSET none x y',
    'LINSERT l BEFORE B b0',
    'LINSERT l after D e',
    'LINSERT l AFTER nosuch x',
    'LINSERT l MIDDLE B x',
    'LINSERT none BEFORE a x',
    'LINSERT none MIDDLE a x',
    'LRANGE l 0 -1',
    'LPUSHX l z',
    'RPUSHX l y1 y2',
    'LPUSHX none a',
    'RPUSHX none a',
    'EXISTS none',
    'SET s v',
    'LINDEX s 0',
    'LINDEX s x',
    'LSET s 0 x',
    'LSET s x y',
    'LINSERT s BEFORE a b',
    'LPUSHX s a',
    'RPUSHX s a',
    'LRANGE l 0 -1',
  ],
  'LTRIM and LREM': [
    'RPUSH l a b a c a d a',
    'LREM l 2 a',
    'LRANGE l 0 -1',
    'LREM l -1 a',
    'LRANGE l 0 -1',
    'LREM l 0 a',
    'LREM l 0 nosuch',
    'LREM l x a',
    'LREM none 1 a',
    'LRANGE l 0 -1',
    'RPUSH t 1 2 3 4 5 6',
    'LTRIM t 1 -2',
    'LRANGE t 0 -1',
    'LTRIM t -100 100',
    'LTRIM t x 1',
    'LTRIM t 0 x',
    'LTRIM none 0 1',
    'LTRIM none x 1',
    'LTRIM t 3 1',
    'EXISTS t',
    'RPUSH u a',
    'LREM u 1 a',
    'EXISTS u',
    'SET s v',
    'LTRIM s 0 1',
    'LTRIM s x 1',
    'LREM s 1 a',
    'LREM s x a',
  ],
  'LPOS with RANK, COUNT and MAXLEN': [
    'RPUSH l a b c 1 2 3 c c',
    'LPOS l c',
    'LPOS l c RANK 2',
    'LPOS l c RANK -1',
    'LPOS l c RANK -2',
    'LPOS l c RANK 9',
    'LPOS l c COUNT 2',
    'LPOS l c COUNT 0',
    'LPOS l c COUNT 0 RANK -1',
    'LPOS l c COUNT 0 RANK 2 MAXLEN 7',
    'LPOS l c MAXLEN 1',
    'LPOS l c MAXLEN 3 COUNT 0',
    'LPOS l nosuch',
    'LPOS l nosuch COUNT 1',
    'LPOS l c RANK 0',
    'LPOS l c RANK x',
    'LPOS l c COUNT -1',
    'LPOS l c COUNT x',
    'LPOS l c MAXLEN -1',
    'LPOS l c MAXLEN x',
    'LPOS l c RANK',
    'LPOS l c BOGUS 1',
    'LPOS none c',
    'LPOS none c COUNT 1',
    'LPOS none c RANK 0',
    'SET s v',
    'LPOS s c',
    'LPOS s c RANK 0',
  ],
  'RPOPLPUSH, LMOVE and their blocking forms when data is there': [
    'RPUSH a 1 2 3',
    'RPOPLPUSH a b',
    'LMOVE a b LEFT RIGHT',
    'LMOVE a b left left',
    'LMOVE a b UP LEFT',
    'LMOVE a b LEFT DOWN',
    'EXISTS a',
    'LRANGE b 0 -1',
    'RPOPLPUSH a b',
    'LMOVE none b LEFT LEFT',
    'RPOPLPUSH b b',
    'LMOVE b b LEFT RIGHT',
    'LRANGE b 0 -1',
    'SET s v',
    'RPOPLPUSH b s',
    'RPOPLPUSH s b',
    'RPOPLPUSH none s',
    'LMOVE b s LEFT LEFT',
    'BRPOPLPUSH b c 0',
    'BLMOVE b c RIGHT LEFT 0',
    'BLMOVE b c RIGHT MIDDLE 0',
    'BLMOVE b c RIGHT LEFT x',
    'BLMOVE b c RIGHT LEFT -1',
    'BRPOPLPUSH b c x',
    'BRPOPLPUSH s c 0',
    'BRPOPLPUSH b s 0',
    'LRANGE c 0 -1',
    'MULTI',
    'BRPOPLPUSH none c 0',
    'BLMOVE none c LEFT LEFT 0',
    'EXEC',
    'EVAL return~redis.call("BRPOPLPUSH",KEYS[1],KEYS[2],"0") 2 none c',
    'EVAL return~redis.call("LMOVE",KEYS[1],KEYS[2],"LEFT","RIGHT") 2 c d',
    'LRANGE d 0 -1',
    'LPOS',
    'LMOVE a b',
  ],
  'the older list commands: counts, bad counts, blocking pops inside a script': [
    'RPUSH l a b c d e',
    'LPOP l 2',
    'RPOP l 0',
    'RPOP l x',
    'LPOP l -1',
    'LPOP l 1 2',
    'LPOP none 2',
    'LPOP none',
    'BLPOP l x',
    'BLPOP l -1',
    'BRPOP none l 0',
    'EVAL return~redis.call("BLPOP",KEYS[1],"0") 1 l',
    'EVAL return~redis.call("BRPOP",KEYS[1],"0") 1 none',
    'EVAL return~redis.pcall("BLPOP",KEYS[1],"0") 1 none',
    'LRANGE l 0 -1',
  ],
};

describe('lists against redis-server 7.0: hand-written sequences', () => {
  for (const [name, lines] of Object.entries(CASES)) {
    it(name, async () => {
      const seq = lines.map((l) => (l.startsWith('EVAL ') ? evalLine(l) : w(l)));
      expect(await compare(seq)).toBe(seq.length);
    });
  }
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

const lkey = fc.oneof({ weight: 6, arbitrary: pick('l:1', 'l:2') }, { weight: 1, arbitrary: pick('str:1', 'none') });
const elem = pick('a', 'b', 'c', '1', '');
const elems = fc.array(elem, { minLength: 1, maxLength: 4 });
const index = pick('0', '1', '2', '-1', '-2', '5', '-10', 'x');
const cnt = pick('0', '1', '2', '-1', '-2', 'x');
const side = fc.oneof({ weight: 8, arbitrary: pick('LEFT', 'RIGHT', 'left') }, { weight: 1, arbitrary: pick('UP') });

const lcommand: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 4, arbitrary: cat(simple(pick('LPUSH', 'RPUSH'), lkey), elems) },
  cat(simple(pick('LPUSHX', 'RPUSHX'), lkey), elems),
  cat(simple(pick('LPOP', 'RPOP'), lkey), opt(pick('1', '2', '0'))),
  simple('LLEN', lkey),
  simple('LRANGE', lkey, index, index),
  simple('LINDEX', lkey, index),
  simple('LSET', lkey, index, elem),
  simple('LTRIM', lkey, index, index),
  simple('LREM', lkey, cnt, elem),
  simple('LINSERT', lkey, pick('BEFORE', 'AFTER', 'after', 'NEAR'), elem, elem),
  cat(simple('LPOS', lkey, elem), opt('RANK', pick('1', '2', '-1', '-2', '0')), opt('COUNT', pick('0', '1', '2', '-1')), opt('MAXLEN', pick('0', '1', '3'))),
  simple('RPOPLPUSH', lkey, lkey),
  simple('LMOVE', lkey, lkey, side, side),
  simple('BRPOPLPUSH', lkey, lkey, pick('0', 'x')),
  simple('BLMOVE', lkey, lkey, side, side, pick('0', '-1')),
  simple('SET', 'str:1', 'v'),
  simple('DEL', lkey),
  simple(pick('LINDEX', 'LPOS', 'LMOVE'), lkey),
);

const step: fc.Arbitrary<string[][]> = fc.oneof(
  { weight: 8, arbitrary: lcommand.map((c) => [c]) },
  { weight: 1, arbitrary: fc.array(lcommand, { minLength: 1, maxLength: 3 }).map((cs) => [['MULTI'], ...cs, ['EXEC']]) },
  // WATCH, then a command that may or may not change the key: EXEC runs only if it did not
  { weight: 1, arbitrary: fc.tuple(lcommand, lcommand).map(([touch, inner]) => [['WATCH', touch[1] ?? 'none'], touch, ['MULTI'], inner, ['EXEC']]) },
);

describe('lists against redis-server 7.0: random sequences', () => {
  it('answers random sequences of list commands exactly as the real server does', async () => {
    const runs = Number(process.env.SIM_DIFF_RUNS) || 3000;
    let commands = 0;
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        await pair.real.send(['FLUSHALL']);
        const { client } = newSim(() => 1_800_000_000_000);
        const sim = client();
        let inMulti = false;
        for (const argv of steps.flat()) {
          let cmd = argv;
          const name = argv[0].toUpperCase();
          // outside MULTI a blocking move from an absent source would block the real client:
          // it is sent as its non-blocking form then
          if ((name === 'BRPOPLPUSH' || name === 'BLMOVE') && !inMulti && argv.length >= 4) {
            const t = await pair.real.send(['TYPE', argv[1]]);
            if (t.t === 'status' && t.v === 'none') cmd = name === 'BRPOPLPUSH' ? ['RPOPLPUSH', argv[1], argv[2]] : ['LMOVE', ...argv.slice(1, 5)];
          }
          if (name === 'MULTI') inMulti = true;
          if (name === 'EXEC') inMulti = false;
          const want = await pair.real.send(cmd);
          const got = sim.send(cmd);
          commands++;
          if (want.t === 'error') seen.add(want.v.split(' ')[0]);
          if (want.t === 'bulk' && want.v !== null && /MOVE|POPLPUSH/.test(name)) seen.add('moved');
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
    console.log(`differential (lists): ${runs} sequences, ${commands} commands; reached: ${[...seen].sort().join(', ')}`);
    for (const edge of ['WRONGTYPE', 'ERR', 'EXECABORT', 'long array', 'moved', 'EXEC aborted by WATCH', 'EXEC ran']) expect(seen, edge).toContain(edge);
  });
});

// ---- blocking ---------------------------------------------------------------------------------

/** the blocking scripts below run with the simulation's clock from a fixed start (see runClients) */
const runBoth = (acts: Act[]) => runClients(pair, acts, 1_900_000_000_000);

describe('BRPOPLPUSH / BLMOVE block and wake as on redis-server', () => {
  it('first blocked is first served; the moved element can wake a waiter on the destination', async () => {
    const log = await runBoth([
      { c: 'A', send: ['BRPOPLPUSH', 'src', 'dst', '0'] },
      { c: 'B', send: ['BLPOP', 'dst', '0'] },
      { expectIdle: ['A', 'B', 'C'] },
      { c: 'C', send: ['RPUSH', 'src', 'x', 'y'] },
      { expectIdle: [] },
      { c: 'C', send: ['LRANGE', 'src', '0', '-1'] },
      { c: 'C', send: ['EXISTS', 'dst'] },
      { expectIdle: ['A', 'B'] },
    ]);
    expect(log).toContain('A "y"');
  });

  it('BLMOVE into a key of another type answers WRONGTYPE and leaves the element; a timeout answers nil', async () => {
    await runBoth([
      { c: 'C', send: ['SET', 'dst', 'v'] },
      { c: 'A', send: ['BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '0'] },
      { c: 'B', send: ['BLMOVE', 'src', 'other', 'LEFT', 'LEFT', '0'] },
      { expectIdle: ['A', 'B'] },
      { c: 'C', send: ['LPUSH', 'src', 'e'] },
      { expectIdle: [] },
      { c: 'C', send: ['LRANGE', 'other', '0', '-1'] },
      { c: 'A', send: ['BRPOPLPUSH', 'empty', 'dst2', '0.2'] },
      { expectIdle: ['A', 'B'] },
      { wait: 400 },
      { expectIdle: ['B', 'C'] },
    ]);
  });

  it('a source list moved into itself: BLMOVE on one key, woken by a push in MULTI', async () => {
    await runBoth([
      { c: 'A', send: ['BLMOVE', 'q', 'q', 'RIGHT', 'LEFT', '0'] },
      { c: 'C', send: ['MULTI'] },
      { c: 'C', send: ['RPUSH', 'q', '1', '2', '3'] },
      { c: 'C', send: ['EXEC'] },
      { expectIdle: ['B'] },
      { c: 'C', send: ['LRANGE', 'q', '0', '-1'] },
      { expectIdle: ['A', 'B'] },
    ]);
  });
});

// ---- random interleavings of blocked clients ------------------------------------------------------

const bkey = pick('l:1', 'l:2', 'z:1');
const blocker: fc.Arbitrary<string[]> = fc.oneof(
  simple(pick('BLPOP', 'BRPOP'), bkey, bkey, '0'),
  simple('BRPOPLPUSH', bkey, bkey, '0'),
  simple('BLMOVE', bkey, bkey, pick('LEFT', 'RIGHT'), pick('LEFT', 'RIGHT'), '0'),
  simple(pick('BZPOPMIN', 'BZPOPMAX'), bkey, bkey, '0'),
);
const writer: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 3, arbitrary: cat(simple(pick('LPUSH', 'RPUSH'), bkey), elems) },
  { weight: 2, arbitrary: simple('ZADD', bkey, pick('1', '2'), elem, pick('3', '1'), elem) },
  simple('LMOVE', bkey, bkey, pick('LEFT', 'RIGHT'), pick('LEFT', 'RIGHT')),
  simple('DEL', bkey),
  simple('SET', bkey, 'v'),
  fc.tuple(cat(simple('RPUSH', bkey), elems), simple('ZADD', bkey, '1', elem)).map(([a, b]) => ['EVAL', `redis.call("${a[0]}", "${a[1]}", ${a.slice(2).map((x) => JSON.stringify(x)).join(', ')}); return redis.pcall("${b[0]}", "${b[1]}", "${b[2]}", "${b[3]}")`, '0']),
);

/** the clients of an earlier run are gone (a blocked one left behind would take elements) */
async function noBlockedClients(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const info = await pair.real.send(['INFO', 'clients']);
    if (info.t === 'bulk' && /blocked_clients:0\r?\n/.test(info.v ?? '')) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('clients of an earlier run are still blocked on redis-server');
}

describe('random interleavings: two blocked clients, a third writes', () => {
  it('each client receives what it receives from redis-server, in the same order', async () => {
    const runs = Number(process.env.SIM_BLOCK_RUNS) || 40;
    let served = 0;
    await fc.assert(
      fc.asyncProperty(blocker, blocker, fc.array(writer, { minLength: 1, maxLength: 5 }), async (a, b, writes) => {
        await noBlockedClients();
        await pair.real.send(['FLUSHALL']);
        const connect = () => RawClient.connect(pair.server.port, pair.server.password);
        const reals = { A: await connect(), B: await connect(), C: await connect() };
        const { client } = newSim(() => 1_900_000_000_000);
        const sims = { A: client(), B: client(), C: client() };
        const acts: Array<['A' | 'B' | 'C', string[]]> = [['A', a], ['B', b], ...writes.map((w): ['C', string[]] => ['C', w])];
        try {
          for (const [c, argv] of acts) {
            reals[c].write(argv);
            sims[c].write(argv);
            await new Promise((r) => setTimeout(r, 15)); // the real server acts before the next client speaks
          }
          for (const c of ['A', 'B', 'C'] as const) {
            const realLog: string[] = [];
            const simLog: string[] = [];
            while (!(await reals[c].idle())) realLog.push(showReply(await reals[c].next()));
            for (let r = sims[c].next(); r; r = sims[c].next()) simLog.push(showReply(r));
            if (c !== 'C') served += realLog.length;
            expect(simLog, `${c} after ${acts.map(([x, argv]) => `${x}: ${argv.join(' ')}`).join(' | ')}`).toEqual(realLog);
          }
        } finally {
          reals.A.close();
          reals.B.close();
          reals.C.close();
        }
      }),
      { numRuns: runs, endOnFailure: false },
    );
    console.log(`blocked interleavings: ${runs} runs, ${served} wake-ups or immediate answers to blocked commands`);
    expect(served).toBeGreaterThan(runs / 4);
  }, 60_000 + (Number(process.env.SIM_BLOCK_RUNS) || 40) * 1000);
});
