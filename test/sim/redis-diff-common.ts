// What the differential tests share: the normalisation of replies whose order or timing is the
// server's own, the full iteration of the SCAN family, a runner of one sequence on both servers,
// the hand-written and random test blocks built on it, and a runner of several clients (blocking).
// The servers themselves come from redis-pair.ts.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { bulk, showReply, type Reply } from '../../harness/sim/redis/reply.ts';
import { RawClient, newSim, type realRedis } from './redis-pair.ts';

type Pair = ReturnType<typeof realRedis>;
export type Side = { send(argv: string[]): Promise<Reply> | Reply | undefined };

const byText = (a: Reply, b: Reply): number => (showReply(a) < showReply(b) ? -1 : showReply(a) > showReply(b) ? 1 : 0);
const sorted = (r: Reply): Reply => (r.t === 'array' && r.v ? { t: 'array', v: [...r.v].sort(byText) } : r);

/** set replies come in hash order on redis-server (a set of strings is a hash table in 7.0); SPOP,
 * SRANDMEMBER and HRANDFIELD are compared where their picks are determined (the whole collection) */
const UNORDERED = new Set(['smembers', 'sinter', 'sunion', 'sdiff', 'keys', 'spop', 'srandmember', 'hrandfield']);
const SCANS: Record<string, number> = { scan: 1, hscan: 2, sscan: 1, zscan: 2 };

/**
 * What may differ and why: set members come in hash order (compared sorted); a positive TTL or
 * PTTL depends on each server's clock (becomes 1); a scan is compared as the sorted elements of a
 * full iteration (see scanAll). Everything else, errors included, must match byte for byte.
 */
export function normalise(argv: string[], r: Reply): Reply {
  const cmd = argv[0].toLowerCase();
  if (r.t === 'error' || r.t === 'status') return r;
  if (UNORDERED.has(cmd)) return sorted(r);
  if ((cmd === 'pttl' || cmd === 'ttl') && r.t === 'int' && r.v > 0) return { t: 'int', v: 1 };
  if (cmd === 'eval' && argv[1] === EVAL_ANY) return normalise(argv.slice(3), r);
  return r;
}

/** a script that runs its arguments as one command: `EVAL <EVAL_ANY> 0 CMD args...` */
export const EVAL_ANY = 'return redis.call(unpack(ARGV))';
export const inScript = (argv: string[]): string[] => ['EVAL', EVAL_ANY, '0', ...argv];

/** whether a scan's cursor argument reads as 0 (strtoul): the start of a full iteration */
const startsAtZero = (s: string): boolean => s === '' || /^[+-]?0+$/.test(s);

/**
 * A SCAN/HSCAN/SSCAN/ZSCAN from cursor 0, iterated to cursor 0 on one side: its elements (grouped
 * by field and value, or member and score) sorted, and whether one came twice. A first reply that
 * is an error is returned as it is.
 */
async function scanAll(side: Side, argv: string[]): Promise<Reply> {
  const cmd = argv[0].toLowerCase();
  const group = SCANS[cmd];
  const at = cmd === 'scan' ? 1 : 2;
  let cursor = argv[at];
  const found: Reply[] = [];
  const seen = new Set<string>();
  let twice = false;
  for (let i = 0; i < 1000; i++) {
    const call = [...argv];
    call[at] = cursor;
    const r = await side.send(call);
    if (!r || r.t !== 'array' || !r.v) return r ?? bulk('no reply');
    const [c, items] = r.v;
    const xs = items.t === 'array' && items.v ? items.v : [];
    for (let j = 0; j < xs.length; j += group) {
      const el: Reply = { t: 'array', v: xs.slice(j, j + group) };
      const key = showReply(el);
      if (seen.has(key)) twice = true;
      seen.add(key);
      found.push(el);
    }
    cursor = String(c.v);
    if (cursor === '0') break;
  }
  return { t: 'array', v: [bulk(twice ? 'some element came twice' : 'each once'), { t: 'array', v: found.sort(byText) }] };
}

/** one command on one side, as the tests compare it */
export async function sendCompared(side: Side, argv: string[]): Promise<Reply | undefined> {
  const cmd = argv[0].toLowerCase();
  const at = cmd === 'scan' ? 1 : 2;
  if (cmd in SCANS && argv.length > at && startsAtZero(argv[at])) return scanAll(side, argv);
  const r = await side.send(argv);
  return r && normalise(argv, r);
}

/** a scan command whose full iteration is compared (not one reply) */
export const isFullScan = (argv: string[]): boolean => {
  const cmd = argv[0].toLowerCase();
  const at = cmd === 'scan' ? 1 : 2;
  return cmd in SCANS && argv.length > at && startsAtZero(argv[at]);
};

/**
 * Runs one sequence on both from an empty keyspace (the simulation's clock is the wall clock, so
 * that EXPIREAT in the past or far future means the same on both); the first reply that differs
 * throws. Inside MULTI a scan is one reply, compared as it comes.
 */
export async function compareSeq(pair: Pair, seq: string[][], seen?: Set<string>): Promise<number> {
  await pair.real.send(['FLUSHALL']);
  const { client } = newSim(() => Date.now());
  const sim = client();
  let inMulti = false;
  const queued: string[][] = [];
  let n = 0;
  for (const argv of seq) {
    const name = argv[0].toUpperCase();
    let want: Reply | undefined;
    let got: Reply | undefined;
    if (inMulti && name !== 'EXEC' && name !== 'DISCARD' && name !== 'MULTI') {
      want = await pair.real.send(argv);
      got = sim.send(argv);
      if (want.t === 'status' && want.v === 'QUEUED') queued.push(argv);
    } else if (name === 'EXEC' && inMulti) {
      want = await pair.real.send(argv);
      got = sim.send(argv);
      const inner = (r: Reply | undefined): Reply | undefined =>
        r && r.t === 'array' && r.v && r.v.length === queued.length ? { t: 'array', v: r.v.map((x, i) => (isFullScan(queued[i]) ? sorted(x) : normalise(queued[i], x))) } : r;
      want = inner(want);
      got = inner(got);
    } else {
      want = await sendCompared(pair.real, argv);
      got = await sendCompared(sim, argv);
    }
    if (name === 'MULTI') inMulti = want?.t === 'status';
    if (name === 'EXEC' || name === 'DISCARD') {
      inMulti = false;
      queued.length = 0;
    }
    if (seen && want) {
      if (want.t === 'error') seen.add(want.v.split(' ')[0]);
      if (name === 'EXEC' && want.t === 'array') seen.add(want.v === null ? 'EXEC aborted by WATCH' : 'EXEC ran');
      if (name === 'EVAL') seen.add(want.t === 'error' ? 'EVAL error' : 'EVAL ran');
    }
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      throw new Error(`${argv.map((a) => JSON.stringify(a)).join(' ')}\n  redis-server: ${want ? showReply(want) : 'no reply'}\n  SimRedis:     ${got ? showReply(got) : 'no reply'}`);
    }
    n++;
  }
  return n;
}

/** "A B C": words; '' stands for the empty string */
export const words = (line: string): string[] => line.split(' ').map((s) => (s === "''" ? '' : s));

export const runs = (): number => Number(process.env.SIM_DIFF_RUNS) || 300;

/**
 * Random sequences over `command`: single commands, short transactions, WATCH steps, and commands
 * run from a script; `alone` (scans) only as single commands, where their full iteration is compared.
 */
export function steps(command: fc.Arbitrary<string[]>, alone?: fc.Arbitrary<string[]>): fc.Arbitrary<string[][]> {
  const step: fc.Arbitrary<string[][]> = fc.oneof(
    { weight: 8, arbitrary: command.map((c) => [c]) },
    { weight: alone ? 2 : 0, arbitrary: (alone ?? command).map((c) => [c]) },
    { weight: 2, arbitrary: command.map((c) => [inScript(c)]) },
    { weight: 1, arbitrary: fc.array(command, { minLength: 1, maxLength: 3 }).map((cs) => [['MULTI'], ...cs, ['EXEC']]) },
    { weight: 1, arbitrary: fc.tuple(command, command).map(([touch, inner]) => [['WATCH', touch[1] ?? 'none'], touch, ['MULTI'], inner, ['EXEC']]) },
  );
  return fc.array(step, { minLength: 1, maxLength: 25 }).map((s) => s.flat());
}

/**
 * Each hand-written case as a test: its lines (read by `read`, `words` by default) as one
 * sequence, then, unless `fromScript` says no for that case, the same lines each run from a script.
 */
export function caseTests(
  pair: Pair,
  cases: Record<string, string[]>,
  opts: { read?: (line: string) => string[]; fromScript?: (name: string) => boolean } = {},
): void {
  const read = opts.read ?? words;
  for (const [name, lines] of Object.entries(cases)) {
    it(name, async () => {
      const seq = lines.map(read);
      expect(await compareSeq(pair, seq)).toBe(seq.length);
    });
    if (opts.fromScript && !opts.fromScript(name)) continue;
    it(`${name}, each from a script`, async () => {
      const seq = lines.map((l) => inScript(read(l)));
      expect(await compareSeq(pair, seq)).toBe(seq.length);
    });
  }
}

/**
 * The random test: `numRuns` (SIM_DIFF_RUNS by default) sequences of `steps(command, scan)`, each
 * turned into commands by `expand` and compared; what they reached is logged, and each of `edges`
 * must have been reached.
 */
export function randomTest(
  pair: Pair,
  label: string,
  command: fc.Arbitrary<string[]>,
  opts: { scan?: fc.Arbitrary<string[]>; expand?: (seq: string[][]) => string[][]; numRuns?: number; edges?: string[] } = {},
): void {
  const { scan, expand = (seq) => seq, numRuns = runs(), edges = ['ERR', 'WRONGTYPE', 'EXEC ran', 'EVAL ran', 'EVAL error'] } = opts;
  it('answers random sequences exactly as the real server does', async () => {
    const seen = new Set<string>();
    let commands = 0;
    await fc.assert(
      fc.asyncProperty(steps(command, scan), async (seq) => {
        commands += await compareSeq(pair, expand(seq), seen);
      }),
      { numRuns, endOnFailure: false },
    );
    console.log(`differential (${label}): ${numRuns} sequences, ${commands} commands; reached: ${[...seen].sort().join(', ')}`);
    for (const edge of edges) expect(seen, edge).toContain(edge);
  });
}

// ---- several clients ----------------------------------------------------------------------

export type Act = { c: 'A' | 'B' | 'C'; send: string[] } | { expectIdle: Array<'A' | 'B' | 'C'> } | { wait: number };

/**
 * Three clients on each server; what each receives must be the same, and idle at the same points.
 * The simulation's clock is the wall clock, or, given `start`, a clock of its own from there that
 * a `wait` step moves on (the real server's moves on by the wait itself).
 */
export async function runClients(pair: Pair, acts: Act[], start?: number): Promise<string[]> {
  await pair.real.send(['FLUSHALL']);
  const connect = () => RawClient.connect(pair.server.port, pair.server.password);
  const reals = { A: await connect(), B: await connect(), C: await connect() };
  let clock = start ?? 0;
  const { sim, client } = newSim(start === undefined ? () => Date.now() : () => clock);
  const sims = { A: client(), B: client(), C: client() };
  try {
    const log: { real: string[]; sim: string[] } = { real: [], sim: [] };
    for (const act of acts) {
      if ('send' in act) {
        reals[act.c].write(act.send);
        sims[act.c].write(act.send);
        await new Promise((r) => setTimeout(r, 15)); // let the real server act before the next client speaks
      } else if ('wait' in act) {
        await new Promise((r) => setTimeout(r, act.wait));
        clock += act.wait;
        sim.tick();
      } else {
        for (const c of ['A', 'B', 'C'] as const) {
          const idle = act.expectIdle.includes(c);
          expect(await reals[c].idle(), `real ${c} idle`).toBe(idle);
          expect(sims[c].idle(), `sim ${c} idle`).toBe(idle);
          // drain what arrived, in order, on both
          while (!(await reals[c].idle(0))) log.real.push(`${c} ${showReply(await reals[c].next())}`);
          for (let r = sims[c].next(); r; r = sims[c].next()) log.sim.push(`${c} ${showReply(r)}`);
        }
      }
    }
    expect(log.sim).toEqual(log.real);
    return log.real;
  } finally {
    reals.A.close();
    reals.B.close();
    reals.C.close();
  }
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The whole keyspace as lines to compare: every key with its type, its value (sets and hashes
 * sorted: their order is the server's hash order) and whether it has a TTL; a stream's entries by
 * position (their ids are the server's clock), with its XLEN when `streamLength`.
 */
export async function keyspaceDump(side: Side, o: { streamLength?: boolean } = {}): Promise<string[]> {
  const send = async (argv: string[]) => (await side.send(argv)) as Reply;
  const keys = await send(['KEYS', '*']);
  const names = (keys.t === 'array' && keys.v ? keys.v.map((x) => String(x.v)) : []).sort(byName);
  const list = (r: Reply) => (r.t === 'array' && r.v ? r.v.map((x) => showReply(x)) : [showReply(r)]);
  const out: string[] = [];
  for (const key of names) {
    const type = await send(['TYPE', key]);
    const t = type.t === 'status' ? type.v : '?';
    let value: string;
    if (t === 'string') value = showReply(await send(['GET', key]));
    else if (t === 'list') value = list(await send(['LRANGE', key, '0', '-1'])).join(' ');
    else if (t === 'set') value = list(await send(['SMEMBERS', key])).sort(byName).join(' ');
    else if (t === 'zset') value = list(await send(['ZRANGE', key, '0', '-1', 'WITHSCORES'])).join(' ');
    else if (t === 'hash') {
      const flat = list(await send(['HGETALL', key]));
      const pairs: string[] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]}=${flat[i + 1]}`);
      value = pairs.sort(byName).join(' ');
    } else if (t === 'stream') {
      const r = await send(['XRANGE', key, '-', '+']);
      value = (r.t === 'array' && r.v ? r.v : []).map((e, i) => (e.t === 'array' && e.v ? `#${i} ${showReply(e.v[1])}` : '?')).join(' ');
      if (o.streamLength) value += ` (XLEN ${showReply(await send(['XLEN', key]))})`;
    } else value = '?';
    const pttl = await send(['PTTL', key]);
    out.push(`${key} ${t}${pttl.t === 'int' && pttl.v > 0 ? ' (ttl)' : ''}: ${value}`);
  }
  return out;
}
