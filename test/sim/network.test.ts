// The simulation's network on its own: real ioredis clients through SimNetwork to a SimRedis,
// driven by the scheduler on a virtual clock. Latency delays, order per connection, a link
// down, a killed endpoint and a Redis restart behave as the live faults do.
import { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../harness/sim/clock.ts';
import { Endpoint, SimNetwork } from '../../harness/sim/network.ts';
import { SimRedis } from '../../harness/sim/redis/engine.ts';
import { warmUp } from '../../harness/sim/run.ts';
import { Scheduler } from '../../harness/sim/scheduler.ts';

let clock: VirtualClock | undefined;
// ioredis's first connection in a process reads its package.json with real I/O: not on the virtual clock
beforeAll(() => warmUp());
afterEach(() => {
  clock?.uninstall();
  clock = undefined;
});

function world(seed = 1) {
  clock = new VirtualClock(1_000_000);
  const c = clock;
  let x = seed;
  const random = () => ((x = (x * 16807) % 2147483647) / 2147483647);
  const engine = new SimRedis({ now: () => c.now() });
  const network = new SimNetwork(engine, () => c.now(), random);
  const scheduler = new Scheduler(c, network, engine);
  const client = (link: string, endpoint = new Endpoint(link, link)) => {
    const r = new Redis({ ...network.redisOptions(endpoint), maxRetriesPerRequest: null, retryStrategy: () => 50 });
    r.on('error', () => undefined);
    return { r, endpoint };
  };
  /** drives the world until `p` settles (virtual time), returns its value and when it settled */
  const run = async <T>(p: Promise<T>, untilMs = 60_000): Promise<{ value: T; at: number }> => {
    let done = false;
    let value: T | undefined;
    let error: unknown;
    let at = 0;
    p.then((v) => (value = v), (e: unknown) => (error = e)).finally(() => {
      done = true;
      at = c.now();
    });
    await scheduler.runUntil(c.now() + untilMs, () => done);
    if (!done) throw new Error('did not settle');
    if (error) throw error;
    return { value: value as T, at };
  };
  return { clock: c, engine, network, scheduler, client, run };
}

describe('SimNetwork', () => {
  it('delays a command by the link latency each way, and leaves other links alone', async () => {
    const w = world();
    const a = w.client('worker-1');
    const b = w.client('keeper-1');
    await w.run(Promise.all([a.r.ping(), b.r.ping()]));
    w.network.addToxic('worker-1', 't', { type: 'latency', stream: 'upstream', latencyMs: 300, jitterMs: 0 });
    w.network.addToxic('worker-1', 'u', { type: 'latency', stream: 'downstream', latencyMs: 200, jitterMs: 0 });
    const t0 = w.clock.now();
    expect((await w.run(b.r.set('k', 'b'))).at - t0).toBeLessThan(5);
    const slow = await w.run(a.r.set('k', 'a'));
    expect(slow.at - t0).toBeGreaterThanOrEqual(500);
    expect((await w.run(b.r.get('k'))).value).toBe('a');
    a.r.disconnect();
    b.r.disconnect();
  });

  it("removing a latency toxic lets what it held go on at once, on a Redis link and on the client's link, the link's other toxics still counting", async () => {
    const w = world();
    const a = w.client('worker-1');
    await w.run(a.r.ping());
    w.network.addToxic('worker-1', 'slow', { type: 'latency', stream: 'upstream', latencyMs: 1000, jitterMs: 0 });
    w.network.addToxic('worker-1', 'also', { type: 'latency', stream: 'upstream', latencyMs: 300, jitterMs: 0 });
    w.network.addToxic('client', 'slow', { type: 'latency', stream: 'upstream', latencyMs: 1000, jitterMs: 0 });
    const t0 = w.clock.now();
    const held = a.r.set('k', 'a');
    const request = w.network.transit('client', 'upstream', 200);
    const untouched = w.network.transit('client', 'downstream', 200);
    setTimeout(() => {
      w.network.removeToxic('worker-1', 'slow');
      w.network.removeToxic('client', 'slow');
    }, 100);
    const when = (p: Promise<unknown>) => p.then(() => w.clock.now() - t0);
    // the command: the 300 ms toxic left, counted from when it was sent; the request: at the removal
    const { value: [command, crossed, other] } = await w.run(Promise.all([when(held), when(request), when(untouched)]));
    expect(command).toBeGreaterThanOrEqual(300);
    expect(command).toBeLessThan(310);
    expect(crossed).toBeGreaterThanOrEqual(100);
    expect(crossed).toBeLessThan(105);
    expect(other).toBeLessThan(5);
    a.r.disconnect();
  });

  it("hands a frozen client the reply it holds before the server's close, in a step of its own: ioredis closed during its ready check reconnects", async () => {
    const w = world();
    const e = new Endpoint('worker-1', 'worker-1');
    // frozen the moment Redis has run its ready check (INFO), before the reply gets back
    const frozen = new Promise<void>((r) => w.network.watch('worker-1', 'INFO', 1, () => {
      w.network.setPaused(e, true);
      r();
    }));
    const a = w.client('worker-1', e);
    const seen: string[] = [];
    a.r.on('ready', () => seen.push('ready'));
    a.r.on('close', () => seen.push('close'));
    await w.run(frozen);
    // a timeout toxic closes the connection while its client is frozen (Toxiproxy closes both sides)
    w.network.addToxic('worker-1', 't', { type: 'timeout', stream: 'upstream', timeoutMs: 100 });
    await w.run(new Promise((r) => setTimeout(r, 500)));
    w.network.removeToxic('worker-1', 't');
    w.network.setPaused(e, false);
    // the held reply first (the client is ready for a moment), then the end, then a reconnect that works
    expect((await w.run(a.r.set('k', 'v'))).value).toBe('OK');
    expect(seen.slice(0, 3)).toEqual(['ready', 'close', 'ready']);
  });

  it("hands QUIT's reply to the caller before the connection's close and end (as redis-server's socket, test/sim/redis-differential.test.ts)", async () => {
    const w = world();
    const a = w.client('worker-1');
    await w.run(a.r.ping());
    const seen: string[] = [];
    a.r.on('close', () => seen.push('close'));
    a.r.on('end', () => seen.push('end'));
    await w.run(a.r.quit().then((v) => seen.push(`quit ${v}`)));
    await w.run(new Promise((r) => setTimeout(r, 10)));
    expect(seen).toEqual(['quit OK', 'close', 'end']);
  });

  it('keeps one connection in order under jitter', async () => {
    const w = world(7);
    const a = w.client('worker-1');
    await w.run(a.r.ping());
    w.network.addToxic('worker-1', 'j', { type: 'latency', stream: 'upstream', latencyMs: 50, jitterMs: 50 });
    const { value } = await w.run(Promise.all(Array.from({ length: 30 }, () => a.r.incr('n'))));
    expect(value).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    a.r.disconnect();
  });

  it('a link down resets its connections and refuses new ones; commands go through once it is up (ioredis resends)', async () => {
    const w = world();
    const a = w.client('worker-1');
    await w.run(a.r.ping());
    w.network.setEnabled('worker-1', false);
    const pending = a.r.set('x', '1');
    let settled = false;
    void pending.finally(() => (settled = true));
    await w.scheduler.runUntil(w.clock.now() + 2000, () => settled);
    expect(settled).toBe(false);
    expect(w.engine.exec(w.engine.connect(), ['GET', 'x'])).toEqual({ t: 'bulk', v: null });
    w.network.setEnabled('worker-1', true);
    expect((await w.run(pending)).value).toBe('OK');
    a.r.disconnect();
  });

  it('a killed endpoint never connects again; a new incarnation on the same link does', async () => {
    const w = world();
    const old = w.client('worker-1');
    await w.run(old.r.ping());
    w.network.kill(old.endpoint);
    let settled = false;
    void old.r.set('y', 'old').finally(() => (settled = true));
    await w.scheduler.runUntil(w.clock.now() + 5000, () => settled);
    expect(settled).toBe(false);
    const fresh = w.client('worker-1');
    await w.run(fresh.r.set('y', 'new'));
    expect((await w.run(fresh.r.get('y'))).value).toBe('new');
    old.r.disconnect();
    fresh.r.disconnect();
  });

  it('a Redis restart drops every connection and keeps the data; clients reconnect when it is back', async () => {
    const w = world();
    const a = w.client('worker-1');
    await w.run(a.r.xadd('s', '1-1', 'f', 'v'));
    w.network.redisDown();
    let settled = false;
    const read = a.r.xlen('s');
    void read.finally(() => (settled = true));
    await w.scheduler.runUntil(w.clock.now() + 1000, () => settled);
    expect(settled).toBe(false);
    w.network.redisBack();
    expect((await w.run(read)).value).toBe(1);
    a.r.disconnect();
  });

  it("reset_peer resets a connection its timeout after the first message its way (dropped), and never one with nothing going its way, on a Redis link and on the client's link", async () => {
    const w = world();
    const idle = w.client('worker-1');
    const busy = w.client('worker-1', idle.endpoint);
    await w.run(Promise.all([idle.r.ping(), busy.r.ping()]));
    const closedAt = { idle: -1, busy: -1, quiet: -1, talking: -1 };
    idle.r.on('close', () => closedAt.idle < 0 && (closedAt.idle = w.clock.now()));
    busy.r.on('close', () => closedAt.busy < 0 && (closedAt.busy = w.clock.now()));
    // a blocked read: its command went up before the toxic; nothing comes down while L is empty
    const popped = idle.r.blpop('L', 0);
    await w.run(new Promise((r) => setTimeout(r, 10)));
    w.network.addToxic('worker-1', 'rst', { type: 'reset_peer', stream: 'downstream', timeoutMs: 200 });
    w.network.addToxic('client', 'rst', { type: 'reset_peer', stream: 'upstream', timeoutMs: 200 });
    const t0 = w.clock.now();
    const quiet = w.network.openVirtual('client')!;
    const talking = w.network.openVirtual('client')!;
    quiet.closed.catch(() => (closedAt.quiet = w.clock.now()));
    talking.closed.catch(() => (closedAt.talking = w.clock.now()));
    // the request is the first message upstream: dropped
    expect(talking.pass('upstream', 100)).toBe(false);
    // INCR goes up and runs; its reply, the first message down, is dropped
    void busy.r.incr('n').catch(() => undefined);
    await w.run(new Promise((r) => setTimeout(r, 1000)));
    expect(closedAt.talking - t0).toBe(200);
    expect(closedAt.busy - t0).toBeGreaterThanOrEqual(200);
    expect(closedAt.busy - t0).toBeLessThan(210);
    expect(w.engine.exec(w.engine.connect(), ['GET', 'n'])).toMatchObject({ t: 'bulk' });
    // the blocked read and the client connection that sent nothing are still open
    expect([closedAt.idle, closedAt.quiet]).toEqual([-1, -1]);
    w.network.removeToxic('worker-1', 'rst');
    w.engine.exec(w.engine.connect(), ['RPUSH', 'L', 'x']);
    expect((await w.run(popped)).value).toEqual(['L', 'x']);
    expect(closedAt.idle).toBe(-1);
    quiet.end();
    idle.r.disconnect();
    busy.r.disconnect();
  });
});
