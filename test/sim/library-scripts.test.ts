// BullMQ's and Bull's own Lua scripts (the text their packages ship, includes expanded) run on
// SimRedis and on redis-server 7.0 from the same plausible queue state, with ASCII arguments
// (scripts whose arguments are msgpack are left out: binary arguments are another matter). Each
// script's reply and the whole keyspace afterwards must be the same on both.
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { showReply, type Reply } from '../../harness/sim/redis/reply.ts';
import { keyspaceDump, type Side } from './redis-diff-common.ts';
import { newSim, realRedis } from './redis-pair.ts';

const pair = realRedis();
const require = createRequire(import.meta.url);

/** BullMQ's expanded scripts: dist/esm/scripts/<name>-<keys>.js exports { content, keys } */
async function bullmqScript(name: string): Promise<string> {
  const dir = join(dirname(require.resolve('bullmq/package.json')), 'dist', 'esm', 'scripts');
  const file = readdirSync(dir).find((f) => f.startsWith(`${name}-`) && f.endsWith('.js'));
  if (!file) throw new Error(`no bullmq script ${name}`);
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, { content: string }>;
  return Object.values(mod)[0].content;
}

/** Bull's expanded scripts: lib/scripts/<name>-<keys>.js (CommonJS) exports { content, keys } */
function bullScript(name: string): string {
  const dir = join(dirname(require.resolve('bull/package.json')), 'lib', 'scripts');
  const file = readdirSync(dir).find((f) => f.startsWith(`${name}-`) && f.endsWith('.js'));
  if (!file) throw new Error(`no bull script ${name}`);
  return (require(join(dir, file)) as { content: string }).content;
}

const T = 1_800_000_000_000; // the scripts' timestamp argument, the same on both
const P = 'bull:q:';
const k = (s: string) => P + s;

/** a queue in every state: waiting 1 2 3, active 4 (locked, stalled), delayed 5, completed 6, failed 7, prioritized 8 */
const QUEUE_STATE: string[][] = [
  ['HSET', k('meta'), 'opts.maxLenEvents', '100', 'version', 'bullmq:5.0.0'],
  ...['1', '2', '3', '4', '5', '6', '7', '8'].map((id) => ['HSET', k(id), 'name', 'job', 'data', `{"n":${id}}`, 'opts', '{}', 'timestamp', String(T - 1000), 'delay', '0', 'priority', id === '8' ? '5' : '0', 'atm', '0', 'ats', '0']),
  ['LPUSH', k('wait'), '1', '2', '3'],
  ['LPUSH', k('active'), '4'],
  ['SET', k('4:lock'), 'token-4', 'PX', '30000'],
  ['SADD', k('stalled'), '4'],
  ['ZADD', k('delayed'), String((T + 5000) * 0x1000), '5'],
  ['ZADD', k('completed'), String(T - 500), '6'],
  ['ZADD', k('failed'), String(T - 400), '7'],
  ['ZADD', k('prioritized'), String(5 * 0x100000000), '8'],
  ['SET', k('pc'), '1'],
  ['SET', k('id'), '8'],
  ['XADD', k('events'), '1-0', 'event', 'added', 'jobId', '1'],
  ['HSET', k('hashpage'), ...Array.from({ length: 12 }, (_, i) => [`f${i}`, `v${i}`]).flat()],
  ['SADD', k('setpage'), ...Array.from({ length: 12 }, (_, i) => `m${i}`)],
];

const Q = (names: string[]) => names.map(k);

/** a long events stream of entries shaped as BullMQ writes them (sizes vary, so nodes close by bytes and by count) */
const EVENTS: string[][] = Array.from({ length: 260 }, (_, i) =>
  i % 3 === 0
    ? ['XADD', k('events'), `${i + 2}-0`, 'event', 'completed', 'jobId', String(i), 'returnvalue', JSON.stringify({ ok: true, n: i, pad: 'x'.repeat(i % 50) }), 'prev', 'active']
    : ['XADD', k('events'), `${i + 2}-0`, 'event', i % 3 === 1 ? 'active' : 'waiting', 'jobId', String(i), 'prev', 'waiting'],
);

interface Case {
  lib: 'bullmq' | 'bull';
  script: string;
  keys: string[];
  args: string[];
  /** commands run on both before the script (after the common queue state) */
  pre?: string[][];
  /** a reply whose order is the server's own (a page of a set): compared after this */
  normalise?: (r: Reply) => Reply;
}

/** paginate's reply [cursor, offset, items, count, jobs] with its items sorted (a set's page of the whole set) */
const sortedItems = (r: Reply): Reply =>
  r.t === 'array' && r.v && r.v[2].t === 'array' && r.v[2].v ? { t: 'array', v: r.v.map((x, i) => (i === 2 && x.t === 'array' && x.v ? { t: 'array', v: [...x.v].sort((a, b) => byText(showReply(a), showReply(b))) } : x)) } : r;

const CASES: Record<string, Case> = {
  'bullmq pause (RENAME of wait to paused)': { lib: 'bullmq', script: 'pause', keys: Q(['wait', 'paused', 'meta', 'prioritized', 'events', 'delayed', 'marker']), args: ['paused', '1'] },
  'bullmq extendLock': { lib: 'bullmq', script: 'extendLock', keys: Q(['4:lock', 'stalled']), args: ['token-4', '30000', '4'] },
  'bullmq extendLock, wrong token': { lib: 'bullmq', script: 'extendLock', keys: Q(['4:lock', 'stalled']), args: ['other', '30000', '4'] },
  'bullmq getCounts': { lib: 'bullmq', script: 'getCounts', keys: [P], args: ['wait', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'paused'] },
  'bullmq getRanges': { lib: 'bullmq', script: 'getRanges', keys: [P], args: ['0', '-1', '1', 'wait', 'active', 'completed', 'failed', 'delayed'] },
  'bullmq getState': { lib: 'bullmq', script: 'getState', keys: Q(['completed', 'failed', 'delayed', 'active', 'wait', 'paused', 'waiting-children', 'prioritized']), args: ['5'] },
  'bullmq promote': { lib: 'bullmq', script: 'promote', keys: Q(['delayed', 'wait', 'paused', 'meta', 'prioritized', 'active', 'pc', 'events', 'marker']), args: [P, '5'] },
  'bullmq drain': { lib: 'bullmq', script: 'drain', keys: Q(['wait', 'paused', 'delayed', 'prioritized', 'repeat']), args: [P, '1'] },
  'bullmq changePriority': { lib: 'bullmq', script: 'changePriority', keys: Q(['wait', 'paused', 'meta', 'prioritized', 'active', 'pc', 'marker']), args: ['7', P, '2', '1'] },
  'bullmq pause, resumed': {
    lib: 'bullmq',
    script: 'pause',
    keys: Q(['paused', 'wait', 'meta', 'prioritized', 'events', 'delayed', 'marker']),
    args: ['resumed', '1'],
    pre: [['HSET', k('meta'), 'paused', '1'], ['RENAME', k('wait'), k('paused')]],
  },
  'bullmq addLog': { lib: 'bullmq', script: 'addLog', keys: Q(['1', '1:logs']), args: ['1', 'a log line', '2'] },
  'bullmq updateProgress': { lib: 'bullmq', script: 'updateProgress', keys: Q(['1', 'events', 'meta']), args: ['1', '42'] },
  'bullmq moveStalledJobsToWait': { lib: 'bullmq', script: 'moveStalledJobsToWait', keys: Q(['stalled', 'wait', 'active', 'stalled-check', 'meta', 'paused', 'marker', 'events', 'repeat']), args: ['1', P, String(T), '30000'] },
  'bullmq updateProgress, XADD MAXLEN ~ on a long events stream': {
    lib: 'bullmq',
    script: 'updateProgress',
    keys: Q(['1', 'events', 'meta']),
    args: ['1', '{"pct":50}'],
    pre: [['HSET', k('meta'), 'opts.maxLenEvents', '60'], ...EVENTS],
  },
  'bullmq moveStalledJobsToWait, XTRIM ~ of a long events stream': {
    lib: 'bullmq',
    script: 'moveStalledJobsToWait',
    keys: Q(['stalled', 'wait', 'active', 'stalled-check', 'meta', 'paused', 'marker', 'events', 'repeat']),
    args: ['1', P, String(T), '30000'],
    pre: [['DEL', k('4:lock')], ...EVENTS],
  },
  'bullmq moveStalledJobsToWait, lock gone': {
    lib: 'bullmq',
    script: 'moveStalledJobsToWait',
    keys: Q(['stalled', 'wait', 'active', 'stalled-check', 'meta', 'paused', 'marker', 'events', 'repeat']),
    args: ['1', P, String(T), '30000'],
    pre: [['DEL', k('4:lock')]],
  },
  'bullmq cleanJobsInSet (completed)': { lib: 'bullmq', script: 'cleanJobsInSet', keys: Q(['completed', 'events', 'repeat']), args: [P, String(T), '0', 'completed'] },
  'bullmq cleanJobsInSet (wait)': { lib: 'bullmq', script: 'cleanJobsInSet', keys: Q(['wait', 'events', 'repeat']), args: [P, String(T), '2', 'wait'] },
  'bullmq moveJobsToWait (failed)': { lib: 'bullmq', script: 'moveJobsToWait', keys: [P, ...Q(['events', 'failed', 'wait', 'paused', 'meta', 'active', 'marker'])], args: ['100', String(T), 'failed'] },
  'bullmq removeJob': { lib: 'bullmq', script: 'removeJob', keys: Q(['2', 'repeat']), args: ['2', '1', P] },
  'bullmq obliterate (force)': { lib: 'bullmq', script: 'obliterate', keys: [k('meta'), P], args: ['1000', '1'] },
  'bullmq obliterate, paused (force)': { lib: 'bullmq', script: 'obliterate', keys: [k('meta'), P], args: ['1000', '1'], pre: [['HSET', k('meta'), 'paused', '1']] },
  'bullmq paginate (HSCAN)': { lib: 'bullmq', script: 'paginate', keys: Q(['hashpage']), args: ['0', '-1', '0', '0', '5'] },
  // the whole set: a page of part of it holds whichever members come first in the server's own order
  'bullmq paginate (SSCAN)': { lib: 'bullmq', script: 'paginate', keys: Q(['setpage']), args: ['0', '-1', '0', '0', '5'], normalise: sortedItems },
  'bullmq changeDelay': { lib: 'bullmq', script: 'changeDelay', keys: Q(['delayed', 'meta', 'marker', 'events']), args: ['1000', String(T), '5', k('5')] },
  'bullmq releaseLock': { lib: 'bullmq', script: 'releaseLock', keys: Q(['4:lock']), args: ['token-4', '0'] },
  'bull pause (RENAME)': { lib: 'bull', script: 'pause', keys: Q(['wait', 'paused', 'meta-paused', 'paused', 'meta']), args: ['paused'] },
  'bull moveToActive (rate limited: PSETEX)': { lib: 'bull', script: 'moveToActive', keys: Q(['wait', 'active', 'priority', 'active@', 'stalled', 'limiter', 'delayed', 'drained']), args: [P, 'tok', '30000', String(T), '', '10', '1000', '', ''] },
  'bull moveToActive, over the rate limit (delayed)': {
    lib: 'bull',
    script: 'moveToActive',
    keys: Q(['wait', 'active', 'priority', 'active@', 'stalled', 'limiter', 'delayed', 'drained']),
    args: [P, 'tok', '30000', String(T), '', '10', '1000', 'false', ''],
    pre: [['PSETEX', k('limiter'), '60000', '10']],
  },
  'bull takeLock': { lib: 'bull', script: 'takeLock', keys: Q(['9:lock']), args: ['tok', '30000'] },
  'bull extendLock': { lib: 'bull', script: 'extendLock', keys: Q(['4:lock', 'stalled']), args: ['token-4', '30000', '4'] },
  'bull promote': { lib: 'bull', script: 'promote', keys: Q(['delayed', 'wait', 'paused', 'meta-paused', 'priority']), args: [P, '5', 'tok'] },
  'bull retryJob (RPUSH from ARGV)': { lib: 'bull', script: 'retryJob', keys: Q(['active', 'wait', '4', 'meta-paused', 'paused', 'stalled', 'priority']), args: ['RPUSH', '4', 'token-4'] },
  'bull moveStalledJobsToWait': { lib: 'bull', script: 'moveStalledJobsToWait', keys: Q(['stalled', 'wait', 'active', 'failed', 'stalled-check', 'meta-paused', 'paused']), args: ['1', P, String(T), '30000'] },
};


const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const dump = (side: Side): Promise<string[]> => keyspaceDump(side);

const replies: string[] = [];

describe("BullMQ's and Bull's scripts: the same reply and keyspace on SimRedis and redis-server 7.0", () => {
  afterAll(() => console.log(`library scripts, redis-server's replies:\n${replies.join('\n')}`));
  for (const [name, c] of Object.entries(CASES)) {
    it(name, async () => {
      const body = c.lib === 'bullmq' ? await bullmqScript(c.script) : bullScript(c.script);
      await pair.real.send(['FLUSHALL']);
      const { client } = newSim(() => Date.now());
      const sim = client();
      for (const argv of [...QUEUE_STATE, ...(c.pre ?? [])]) expect(showReply(sim.send(argv)!), argv.join(' ')).toBe(showReply(await pair.real.send(argv)));
      const argv = ['EVAL', body, String(c.keys.length), ...c.keys, ...c.args];
      const norm = c.normalise ?? ((r: Reply) => r);
      const want = norm(await pair.real.send(argv));
      const got = norm(sim.send(argv)!);
      expect(showReply(got)).toBe(showReply(want));
      replies.push(`${name}: ${showReply(want).slice(0, 100)}`);
      expect(await dump(sim)).toEqual(await dump(pair.real));
    });
  }
});

/** scripts one after another on the same queue, each reply compared, then the keyspace */
const FLOWS: Record<string, string[]> = {
  'bullmq: pause, counts, resume, promote, reprioritise, a stalled job back, clean, remove, obliterate': [
    'bullmq pause (RENAME of wait to paused)',
    'bullmq getCounts',
    'bullmq pause, resumed',
    'bullmq promote',
    'bullmq changePriority',
    'bullmq moveStalledJobsToWait, lock gone',
    'bullmq getRanges',
    'bullmq cleanJobsInSet (completed)',
    'bullmq removeJob',
    'bullmq obliterate, paused (force)',
  ],
  'bull: pause, retry, take an active job under the rate limit, locks, promote, stalled check': [
    'bull pause (RENAME)',
    'bull retryJob (RPUSH from ARGV)',
    'bull moveToActive (rate limited: PSETEX)',
    'bull moveToActive, over the rate limit (delayed)',
    'bull takeLock',
    'bull extendLock',
    'bull promote',
    'bull moveStalledJobsToWait',
  ],
};

describe('BullMQ and Bull script flows: the same replies and keyspace on SimRedis and redis-server 7.0', () => {
  for (const [name, steps] of Object.entries(FLOWS)) {
    it(name, async () => {
      await pair.real.send(['FLUSHALL']);
      const { client } = newSim(() => Date.now());
      const sim = client();
      for (const argv of QUEUE_STATE) expect(showReply(sim.send(argv)!)).toBe(showReply(await pair.real.send(argv)));
      for (const step of steps) {
        const c = CASES[step];
        const body = c.lib === 'bullmq' ? await bullmqScript(c.script) : bullScript(c.script);
        for (const argv of c.pre ?? []) expect(showReply(sim.send(argv)!), `${step}: ${argv.join(' ')}`).toBe(showReply(await pair.real.send(argv)));
        const argv = ['EVAL', body, String(c.keys.length), ...c.keys, ...c.args];
        const norm = c.normalise ?? ((r: Reply) => r);
        expect(showReply(norm(sim.send(argv)!)), step).toBe(showReply(norm(await pair.real.send(argv))));
      }
      expect(await dump(sim)).toEqual(await dump(pair.real));
    });
  }
});

describe("Bull's removeJobs (SCAN inside a script): looped to cursor 0, the same jobs gone on both", () => {
  it('every job whose id matches is removed, the locked one kept; the keyspace after the loop is the same', async () => {
    await pair.real.send(['FLUSHALL']);
    const { client } = newSim(() => Date.now());
    const sim = client();
    for (const argv of QUEUE_STATE) expect(showReply(sim.send(argv)!)).toBe(showReply(await pair.real.send(argv)));
    const body = bullScript('removeJobs');
    const keys = Q(['active', 'wait', 'delayed', 'paused', 'completed', 'failed', 'priority', 'limiter']);
    // redis-server's SCAN pages (COUNT 10 over a hash table); the simulation's SCAN answers in one page
    const loop = async (send: (argv: string[]) => Promise<Reply>): Promise<string[]> => {
      const removed: string[] = [];
      let cursor = '0';
      for (let i = 0; i < 100; i++) {
        const r = await send(['EVAL', body, String(keys.length), ...keys, P, '[1-5]', cursor]);
        if (r.t !== 'array' || !r.v) throw new Error(showReply(r));
        const [c, ids] = r.v;
        if (ids.t === 'array' && ids.v) removed.push(...ids.v.map((x) => String(x.v)));
        cursor = String(c.v);
        if (cursor === '0') break;
      }
      return removed.sort();
    };
    const realRemoved = await loop((argv) => pair.real.send(argv));
    const simRemoved = await loop(async (argv) => sim.send(argv)!);
    expect(simRemoved).toEqual(realRemoved);
    expect(realRemoved).toEqual(['1', '2', '3', '5']);
    expect(await dump(sim)).toEqual(await dump(pair.real));
  });
});
