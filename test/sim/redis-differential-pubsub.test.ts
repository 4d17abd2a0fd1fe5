// SimRedis's PSUBSCRIBE / PUNSUBSCRIBE and CLIENT INFO / CLIENT LIST held to redis-server 7.0:
// three clients on each server, everything each receives compared; CLIENT's errors compared
// exactly, its lines field by field where they describe the connection (addresses, fds and
// memory are each server's own).
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../harness/sim/redis/reply.ts';
import { compareSeq, inScript, runClients, words } from './redis-diff-common.ts';
import { newSim, RawClient, realRedis } from './redis-pair.ts';

const pair = realRedis();

describe('PSUBSCRIBE and PUNSUBSCRIBE as on redis-server 7.0', () => {
  it('pattern and channel subscribers get their pushes; counts cover both kinds; subscribed mode', async () => {
    const log = await runClients(pair, [
      { c: 'A', send: ['PSUBSCRIBE', 'news.*'] },
      { c: 'B', send: ['PSUBSCRIBE', 'n?ws.[ab]', 'other'] },
      { c: 'B', send: ['SUBSCRIBE', 'news.a'] },
      { c: 'B', send: ['PSUBSCRIBE', 'other'] },
      { expectIdle: ['C'] },
      { c: 'C', send: ['PUBLISH', 'news.a', 'hi'] },
      { c: 'C', send: ['PUBLISH', 'news.c', 'only A'] },
      { c: 'C', send: ['PUBLISH', 'none', 'nobody'] },
      { expectIdle: [] },
      { c: 'A', send: ['PING'] },
      { c: 'A', send: ['GET', 'x'] },
      { c: 'A', send: ['PSUBSCRIBE'] },
      { c: 'A', send: ['UNSUBSCRIBE'] },
      { c: 'A', send: ['UNSUBSCRIBE', 'never'] },
      { c: 'A', send: ['PUNSUBSCRIBE', 'news.*', 'never'] },
      { c: 'A', send: ['PUNSUBSCRIBE'] },
      { c: 'A', send: ['GET', 'x'] },
      { c: 'B', send: ['PUNSUBSCRIBE'] },
      { c: 'B', send: ['PING', 'still'] },
      { c: 'B', send: ['UNSUBSCRIBE'] },
      { c: 'B', send: ['PUNSUBSCRIBE'] },
      { c: 'C', send: ['PUBLISH', 'news.a', 'nobody now'] },
      { expectIdle: [] },
      { c: 'C', send: ['EVAL', 'return redis.call("PSUBSCRIBE", "x")', '0'] },
      { c: 'C', send: ['EVAL', 'return redis.call("PUBLISH", "x", "y")', '0'] },
      { c: 'C', send: ['PUNSUBSCRIBE', 'x'] },
      { c: 'C', send: ['GET', 'x'] },
      { expectIdle: ['A', 'B'] },
    ]);
    expect(log).toContain('A ["pmessage", "news.*", "news.c", "only A"]');
    expect(log).toContain('B ["pmessage", "n?ws.[ab]", "news.a", "hi"]');
  });
});

/** "k=v k=v ...\n" lines as field lists */
const parseLines = (r: Reply | undefined): Array<Array<[string, string]>> => {
  if (!r || r.t !== 'bulk' || r.v === null) throw new Error(`not a bulk: ${JSON.stringify(r)}`);
  return r.v
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]));
};
/** the fields that describe the connection rather than its socket or memory */
const COMPARED = ['name', 'flags', 'db', 'sub', 'psub', 'ssub', 'multi', 'cmd', 'user', 'redir', 'resp'];
const described = (fields: Array<[string, string]>) => ({ names: fields.map(([k]) => k), values: fields.filter(([k]) => COMPARED.includes(k)) });

describe('CLIENT INFO and CLIENT LIST as on redis-server 7.0', () => {
  it('errors, exactly', async () => {
    const lines = ['CLIENT LIST TYPE x', 'CLIENT LIST ID 1 x', 'CLIENT LIST ID', 'CLIENT LIST BOGUS', 'CLIENT LIST TYPE', 'CLIENT LIST TYPE normal ID 1', 'CLIENT INFO x', 'CLIENT LIST TYPE master', 'CLIENT LIST ID 999999', 'CLIENT LIST TYPE replica'];
    const seq = [...lines.map(words), ...lines.slice(0, 2).map((l) => inScript(words(l)))];
    expect(await compareSeq(pair, seq)).toBe(seq.length);
  });

  it('the fields and, where they describe the connection, their values', async () => {
    await pair.real.send(['FLUSHALL']);
    const real = await RawClient.connect(pair.server.port, pair.server.password);
    const realSub = await RawClient.connect(pair.server.port, pair.server.password);
    const { client } = newSim(() => Date.now());
    const sim = client();
    const simSub = client();
    try {
      for (const argv of [['CLIENT', 'SETNAME', 'worker-1'], ['PSUBSCRIBE', 'p*'], ['SUBSCRIBE', 'a', 'b']]) {
        if (argv[0] === 'CLIENT') {
          expect(sim.send(argv)).toEqual(await real.send(argv));
        } else {
          realSub.write(argv);
          simSub.write(argv);
        }
      }
      // the subscriber's confirmations: three pushes each
      for (let i = 0; i < 3; i++) expect(simSub.next()).toEqual(await realSub.next());
      const info = [await real.send(['CLIENT', 'INFO']), sim.send(['CLIENT', 'INFO'])].map((r) => parseLines(r).map(described));
      expect(info[1]).toEqual(info[0]);
      expect(info[0][0].values).toContainEqual(['name', 'worker-1']);
      for (const args of [['TYPE', 'pubsub'], ['TYPE', 'normal'], []]) {
        const argv = ['CLIENT', 'LIST', ...args];
        const [r, s] = [parseLines(await real.send(argv)), parseLines(sim.send(argv))];
        // the sim holds only these two connections; the real server also the test file's own
        const realMine = r.filter((f) => f.some(([k, v]) => (k === 'name' && v === 'worker-1') || (k === 'sub' && v === '2')));
        expect(s.map(described), args.join(' ')).toEqual(realMine.map(described));
      }
    } finally {
      real.close();
      realSub.close();
    }
  });
});
