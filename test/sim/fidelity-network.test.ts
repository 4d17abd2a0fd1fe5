// The simulated network held against Toxiproxy (v2.12.0) in front of redis-server: each scenario
// is one small script of Redis commands and faults, run once through a real toxiproxy-server and
// redis-server and once through SimNetwork and SimRedis on the virtual clock, and the observable
// outcome must be the same: which commands ran in Redis (and in what order beside the markers an
// unfaulted admin client writes at set times), what the faulted client saw (a reply, an error,
// a close), and, loosely, when. A kill, a timeout toxic in each direction and its removal,
// limit_data in each direction, the removal of a latency toxic in each direction, reset_peer in
// each direction (and its removal while it waits to reset).
import type { Proxy } from 'toxiproxy-node-client';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REDIS, requireBinary, TOXIPROXY } from '../../harness/env/binaries.ts';
import { ProcessRegistry } from '../../harness/env/processes.ts';
import { RedisServer } from '../../harness/env/redis.ts';
import { ToxiproxyServer } from '../../harness/env/toxiproxy.ts';
import { VirtualClock } from '../../harness/sim/clock.ts';
import { Endpoint, SimNetwork, type Toxic } from '../../harness/sim/network.ts';
import { SimRedis } from '../../harness/sim/redis/engine.ts';
import { warmUp } from '../../harness/sim/run.ts';
import { Scheduler } from '../../harness/sim/scheduler.ts';

/** One role's process: its connections die together. */
interface Proc {
  readonly link: string;
  connect(extra?: Partial<RedisOptions>): Promise<Redis>;
  kill(): void;
}

/** What a scenario does, the same way live and simulated. */
interface Rig {
  readonly name: 'live' | 'sim';
  /** an unfaulted client straight to Redis */
  admin: Redis;
  process(link: string): Proc;
  toxic(link: string, name: string, type: 'latency' | 'timeout' | 'limit_data' | 'reset_peer', stream: 'upstream' | 'downstream', attributes: Record<string, number>): Promise<void>;
  untoxic(link: string, name: string): Promise<void>;
  now(): number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** a client that does not reconnect: what it saw is the first answer or error */
const noRetry: Partial<RedisOptions> = { retryStrategy: () => null, maxRetriesPerRequest: 0 };
/** a client that reconnects and resends, as the reference system's do */
const retry: Partial<RedisOptions> = { retryStrategy: () => 50, maxRetriesPerRequest: null };

/** when each client saw its connection close (ms after t0; -1: open) */
const closes = (rig: Rig, t0: () => number, clients: Record<string, Redis>) => {
  const at: Record<string, number> = Object.fromEntries(Object.keys(clients).map((k) => [k, -1]));
  for (const [k, c] of Object.entries(clients)) c.on('close', () => (at[k]! < 0 ? (at[k] = rig.now() - t0()) : undefined));
  return at;
};

/** 'reply:<value>' or 'error' */
const outcome = (p: Promise<unknown>) => p.then((v) => `reply:${String(v)}`, () => 'error');

/** a process whose connections are ioredis clients; `at(ms)` runs `f` that long after `t0` */
const timeline = (rig: Rig, t0: number) => (ms: number, f: () => Promise<unknown> | void) =>
  (async () => {
    const wait = t0 + ms - rig.now();
    if (wait > 0) await sleep(wait);
    await f();
  })();

// ---- live: toxiproxy-server in front of redis-server ---------------------------------------------

const registry = new ProcessRegistry();
let redis: RedisServer;
let toxiproxy: ToxiproxyServer;
const proxies: Proxy[] = [];
let runs = 0;

beforeAll(async () => {
  await warmUp();
  redis = await RedisServer.start({ bin: requireBinary(REDIS), registry, aof: false });
  toxiproxy = await ToxiproxyServer.start(requireBinary(TOXIPROXY), registry);
});

afterAll(async () => {
  await toxiproxy?.stop();
  await redis?.stop();
  await registry.stopAll(1000);
});

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.remove().catch(() => undefined);
});

async function live<T>(scenario: (rig: Rig) => Promise<T>): Promise<T> {
  const run = ++runs;
  const links = new Map<string, { proxy: Proxy; port: number }>();
  const clients: Redis[] = [];
  const linkOf = async (name: string) => {
    let l = links.get(name);
    if (!l) {
      l = await toxiproxy.createProxy(`fidelity-${run}-${name}`, redis.port);
      proxies.push(l.proxy);
      links.set(name, l);
    }
    return l;
  };
  const admin = redis.client();
  await admin.flushall();
  const rig: Rig = {
    name: 'live',
    admin,
    process: (link) => {
      const mine: Redis[] = [];
      return {
        link,
        connect: async (extra = noRetry) => {
          const { port } = await linkOf(link);
          const r = new Redis({ host: '127.0.0.1', port, password: redis.password, lazyConnect: true, ...extra });
          r.on('error', () => undefined);
          clients.push(r);
          mine.push(r);
          await r.connect();
          return r;
        },
        // SIGKILL: the kernel closes the process's sockets; what it wrote is already on its way
        kill: () => {
          for (const r of mine) {
            r.options.retryStrategy = () => null;
            (r as unknown as { stream: { destroy(): void } }).stream.destroy();
          }
        },
      };
    },
    toxic: async (link, name, type, stream, attributes) => {
      await (await linkOf(link)).proxy.addToxic({ name, type, stream, toxicity: 1, attributes: attributes as never });
    },
    untoxic: async (link, name) => {
      await (await (await linkOf(link)).proxy.getToxic(name)).remove();
    },
    now: () => performance.now(),
  };
  try {
    return await scenario(rig);
  } finally {
    for (const c of clients) c.disconnect();
    admin.disconnect();
  }
}

// ---- simulated: SimNetwork in front of SimRedis, on the virtual clock ------------------------------

function simToxicOf(type: string, stream: 'upstream' | 'downstream', a: Record<string, number>): Toxic {
  if (type === 'latency') return { type, stream, latencyMs: a.latency ?? 0, jitterMs: a.jitter ?? 0 };
  if (type === 'timeout') return { type, stream, timeoutMs: a.timeout ?? 0 };
  if (type === 'limit_data') return { type, stream, bytes: a.bytes ?? 0 };
  if (type === 'reset_peer') return { type, stream, timeoutMs: a.timeout ?? 0 };
  throw new Error(`no simulated ${type}`);
}

async function sim<T>(scenario: (rig: Rig) => Promise<T>, seed = 1): Promise<T> {
  const clock = new VirtualClock(1_000_000);
  const clients: Redis[] = [];
  try {
    let x = seed;
    const random = () => ((x = (x * 16807) % 2147483647) / 2147483647);
    const engine = new SimRedis({ now: () => clock.now() });
    const network = new SimNetwork(engine, () => clock.now(), random);
    const scheduler = new Scheduler(clock, network, engine);
    const admin = new Redis({ ...network.redisOptions(new Endpoint('admin', 'admin')), ...retry });
    clients.push(admin);
    const rig: Rig = {
      name: 'sim',
      admin,
      process: (link) => {
        const endpoint = new Endpoint(link, link);
        return {
          link,
          connect: async (extra = noRetry) => {
            const r = new Redis({ ...network.redisOptions(endpoint), lazyConnect: true, ...extra });
            r.on('error', () => undefined);
            clients.push(r);
            await r.connect();
            return r;
          },
          kill: () => network.kill(endpoint),
        };
      },
      toxic: async (link, name, type, stream, attributes) => network.addToxic(link, name, simToxicOf(type, stream, attributes)),
      untoxic: (link, name) => network.removeToxic(link, name),
      now: () => clock.now(),
    };
    let done = false;
    let value: T | undefined;
    let error: unknown;
    scenario(rig).then((v) => (value = v), (e: unknown) => (error = e)).finally(() => (done = true));
    await scheduler.runUntil(clock.now() + 60_000, () => done);
    if (!done) throw new Error('the simulated scenario did not end');
    if (error) throw error;
    for (const c of clients) c.disconnect();
    await scheduler.runUntil(clock.now() + 100, () => false);
    return value as T;
  } finally {
    clock.uninstall();
  }
}

/** runs the scenario both ways; the outcomes must be equal, but for their `when` (times, judged by each test) */
async function both<T extends object>(scenario: (rig: Rig) => Promise<T>): Promise<{ live: T; sim: T }> {
  const l = await live(scenario);
  const s = await sim(scenario);
  expect({ ...s, when: undefined }).toEqual({ ...l, when: undefined });
  return { live: l, sim: s };
}

describe('SimNetwork against Toxiproxy and redis-server', () => {
  it('a killed process: what it had sent still runs in Redis at its time, its blocked read is released, its client sees the close', async () => {
    await both(async (rig) => {
      const proc = rig.process('worker');
      const blocked = await proc.connect();
      const writer = await proc.connect();
      const pop = outcome(blocked.blpop('L', 0));
      await sleep(50);
      await rig.toxic('worker', 'slow', 'latency', 'upstream', { latency: 400, jitter: 0 });
      const t0 = rig.now();
      const at = timeline(rig, t0);
      // sent, then the process dies at once: both commands are in the proxy's latency
      const wrote = outcome(writer.rpush('order', 'dead'));
      const late = outcome(writer.blpop('L2', 0));
      proc.kill();
      const steps = [
        // its blocked read (nothing of that connection in transit) is gone: this element stays
        at(100, () => rig.admin.rpush('L', 'x')),
        at(200, () => rig.admin.rpush('order', 'm200')),
        // the BLPOP it sent lands at ~400 ms and its connection closes right after: this element stays too
        at(900, () => rig.admin.rpush('L2', 'y')),
        at(1000, () => rig.admin.rpush('order', 'm1000')),
      ];
      await Promise.all(steps);
      return {
        client: [await pop, await wrote, await late],
        order: await rig.admin.lrange('order', 0, -1),
        L: await rig.admin.llen('L'),
        L2: await rig.admin.llen('L2'),
      };
    }).then(({ sim }) => {
      expect(sim.order).toEqual(['m200', 'dead', 'm1000']);
      expect(sim.client).toEqual(['error', 'error', 'error']);
      expect([sim.L, sim.L2]).toEqual([1, 1]);
    });
  });

  it('timeout downstream: the command runs, its reply is dropped; removing the toxic closes the connection and the client resends', async () => {
    await both(async (rig) => {
      const c = await rig.process('worker').connect(retry);
      await rig.toxic('worker', 'stall', 'timeout', 'downstream', { timeout: 0 });
      const t0 = rig.now();
      const at = timeline(rig, t0);
      let answeredBy300 = false;
      const reply = c.incr('n').then((v) => {
        answeredBy300 = rig.now() - t0 < 300;
        return `reply:${v}`;
      }, () => 'error');
      let before = '';
      await at(300, async () => {
        before = String(await rig.admin.get('n'));
      });
      await at(400, () => rig.untoxic('worker', 'stall'));
      return { ranBeforeRemoval: before, answeredBy300, client: await reply, n: await rig.admin.get('n') };
    }).then(({ sim }) => expect(sim).toEqual({ ranBeforeRemoval: '1', answeredBy300: false, client: 'reply:2', n: '2' }));
  });

  it('timeout upstream: commands are dropped, and the connection closes once nothing reached the toxic for its timeout', async () => {
    const { live: l, sim: s } = await both(async (rig) => {
      const c = await rig.process('worker').connect();
      let closedAt = -1;
      const t0 = rig.now();
      c.on('close', () => (closedAt < 0 ? (closedAt = rig.now() - t0) : undefined));
      await rig.toxic('worker', 'stall', 'timeout', 'upstream', { timeout: 500 });
      const at = timeline(rig, t0);
      // one command every 200 ms for 600 ms: each resets the toxic's clock
      const sent = [0, 200, 400, 600].map(async (ms, i) => {
        await at(ms, () => undefined);
        return outcome(c.set(`k${i}`, 'v'));
      });
      const client = await Promise.all(sent);
      await at(1600, () => undefined);
      return { executed: await rig.admin.exists('k0', 'k1', 'k2', 'k3'), client, closed: closedAt >= 0, when: closedAt };
    });
    expect(s).toMatchObject({ executed: 0, client: ['error', 'error', 'error', 'error'], closed: true });
    // not 500 ms after the toxic came (as a fixed timer would), but 500 ms after the last dropped command
    for (const o of [l, s]) expect(o.when).toBeGreaterThanOrEqual(1050);
    expect(s.when).toBeLessThan(1200);
  });

  it('limit_data counts the bytes of its own direction: downstream, the reply that uses them up arrives and then the connection closes', async () => {
    await both(async (rig) => {
      const exact = await rig.process('worker').connect();
      const short = await rig.process('keeper').connect();
      // '+OK\r\n' is 5 bytes
      await rig.toxic('worker', 'cap', 'limit_data', 'downstream', { bytes: 5 });
      await rig.toxic('keeper', 'cap', 'limit_data', 'downstream', { bytes: 3 });
      const first = await outcome(exact.set('a', '1'));
      const cut = await outcome(short.set('b', '1'));
      await sleep(100);
      const second = await outcome(exact.set('c', '1'));
      return { client: [first, cut, second], executed: [await rig.admin.get('a'), await rig.admin.get('b'), await rig.admin.get('c')] };
    }).then(({ sim }) => expect(sim).toEqual({ client: ['reply:OK', 'error', 'error'], executed: ['1', '1', null] }));
  });

  it('limit_data upstream: the command that no longer fits never runs, the ones before it do', async () => {
    await both(async (rig) => {
      const c = await rig.process('worker').connect();
      // SET k1 v is 29 bytes on the wire: the second SET is cut short (sent after the first's
      // reply: live, a reply Redis writes as the proxy closes its side is lost or not by a race)
      await rig.toxic('worker', 'cap', 'limit_data', 'upstream', { bytes: 29 + 10 });
      const replies = [await outcome(c.set('k1', 'v')), await outcome(c.set('k2', 'v'))];
      return { client: replies, executed: [await rig.admin.get('k1'), await rig.admin.get('k2')] };
    }).then(({ sim }) => expect(sim).toEqual({ client: ['reply:OK', 'error'], executed: ['v', null] }));
  });

  it('reset_peer: the first message its way is dropped, with what follows it, and the connection reset its timeout later; a connection with nothing going its way is left alone', async () => {
    const { live: l, sim: s } = await both(async (rig) => {
      // downstream on the worker's link: a blocked read (nothing comes back while L is empty) and a busy connection
      const worker = rig.process('worker');
      const idle = await worker.connect();
      const busy = await worker.connect();
      // upstream on the keeper's link
      const keeper = await rig.process('keeper').connect();
      let t0 = rig.now();
      const closedAt = closes(rig, () => t0, { idle, busy, keeper });
      await rig.toxic('worker', 'rst', 'reset_peer', 'downstream', { timeout: 300 });
      await rig.toxic('keeper', 'rst', 'reset_peer', 'upstream', { timeout: 300 });
      t0 = rig.now();
      const at = timeline(rig, t0);
      // its command goes up untouched; nothing comes down while L is empty
      const pop = outcome(idle.blpop('L', 0));
      // runs; its reply is the first message downstream: dropped
      const first = outcome(busy.incr('n'));
      // upstream: the first command is dropped; neither it nor the ones behind it run
      const upFirst = outcome(keeper.incr('m'));
      let second: Promise<string> | undefined;
      let upSecond: Promise<string> | undefined;
      await at(100, () => {
        // the toxic reads nothing more downstream, but upstream still flows: runs, its reply is lost
        second = outcome(busy.incr('n'));
        upSecond = outcome(keeper.incr('m'));
      });
      let by700: Record<string, unknown> = {};
      await at(700, async () => {
        by700 = { n: await rig.admin.get('n'), m: await rig.admin.get('m'), idleOpen: closedAt.idle! < 0 };
        // the blocked read is served now: its reply, the first message downstream on that connection, is dropped
        await rig.admin.rpush('L', 'x');
      });
      await at(1300, () => undefined);
      return { client: [await first, await second, await pop, await upFirst, await upSecond], by700, L: await rig.admin.llen('L'), when: { ...closedAt } };
    });
    expect(s).toMatchObject({ client: ['error', 'error', 'error', 'error', 'error'], by700: { n: '2', m: null, idleOpen: true }, L: 0 });
    // the busy connections its timeout after their first message; the idle one its timeout after its reply
    for (const o of [l, s]) {
      expect(o.when.busy).toBeGreaterThanOrEqual(300);
      expect(o.when.keeper).toBeGreaterThanOrEqual(300);
      expect(o.when.idle).toBeGreaterThanOrEqual(1000);
    }
    expect(s.when.busy).toBeLessThan(400);
    expect(s.when.keeper).toBeLessThan(400);
    expect(s.when.idle).toBeLessThan(1100);
  });

  it('removing reset_peer does not stop a reset it has armed (the removal returns once it happened); a connection it had not met goes on', async () => {
    const { live: l, sim: s } = await both(async (rig) => {
      const worker = rig.process('worker');
      const idle = await worker.connect();
      const busy = await worker.connect();
      let t0 = rig.now();
      const closedAt = closes(rig, () => t0, { idle, busy });
      await rig.toxic('worker', 'rst', 'reset_peer', 'downstream', { timeout: 300 });
      t0 = rig.now();
      const at = timeline(rig, t0);
      const pop = outcome(idle.blpop('L', 0));
      const reply = outcome(busy.incr('n'));
      let removedAt = -1;
      await at(100, async () => {
        await rig.untoxic('worker', 'rst');
        removedAt = rig.now() - t0;
      });
      // after the removal: the blocked read's reply comes down freely
      await at(500, () => rig.admin.rpush('L', 'x'));
      await at(800, () => undefined);
      return { client: [await reply, await pop], n: await rig.admin.get('n'), idleOpen: closedAt.idle! < 0, busyClosed: closedAt.busy! >= 0, when: removedAt };
    });
    expect(s).toMatchObject({ client: ['error', 'reply:L,x'], n: '1', idleOpen: true, busyClosed: true });
    for (const o of [l, s]) expect(o.when).toBeGreaterThanOrEqual(300);
  });

  it('removing a latency toxic upstream lets the commands it held reach Redis at once, in their order', async () => {
    const { live: l, sim: s } = await both(async (rig) => {
      const c = await rig.process('worker').connect();
      await rig.toxic('worker', 'slow', 'latency', 'upstream', { latency: 1500, jitter: 0 });
      const t0 = rig.now();
      const at = timeline(rig, t0);
      let answered = -1;
      // both held by the toxic (the second sent 100 ms after the first)
      const first = outcome(c.rpush('order', 'held-1')).then((r) => ((answered = rig.now() - t0), r));
      let second: Promise<string> | undefined;
      const sent = at(100, () => {
        second = outcome(c.rpush('order', 'held-2'));
      });
      const steps = [
        at(200, () => rig.admin.rpush('order', 'm200')),
        at(400, () => rig.untoxic('worker', 'slow')),
        at(600, () => rig.admin.rpush('order', 'm600')),
      ];
      await Promise.all([sent, ...steps]);
      const client = [await first, await second];
      return { client, order: await rig.admin.lrange('order', 0, -1), when: answered };
    });
    expect(s).toMatchObject({ client: ['reply:2', 'reply:3'], order: ['m200', 'held-1', 'held-2', 'm600'] });
    // at the removal (400 ms), not when the latency would have let it go (1500 ms)
    for (const o of [l, s]) {
      expect(o.when).toBeGreaterThanOrEqual(400);
      expect(o.when).toBeLessThan(600);
    }
  });

  it('removing a latency toxic downstream lets the reply it held reach the client at once', async () => {
    const { live: l, sim: s } = await both(async (rig) => {
      const c = await rig.process('worker').connect();
      await rig.toxic('worker', 'slow', 'latency', 'downstream', { latency: 1500, jitter: 0 });
      const t0 = rig.now();
      const at = timeline(rig, t0);
      let answered = -1;
      const reply = outcome(c.incr('n')).then((r) => ((answered = rig.now() - t0), r));
      let ranBy200 = '';
      await at(200, async () => {
        ranBy200 = String(await rig.admin.get('n'));
      });
      await at(400, () => rig.untoxic('worker', 'slow'));
      return { ranBy200, client: await reply, when: answered };
    });
    expect(s).toMatchObject({ ranBy200: '1', client: 'reply:1' });
    for (const o of [l, s]) {
      expect(o.when).toBeGreaterThanOrEqual(400);
      expect(o.when).toBeLessThan(600);
    }
  });
});
