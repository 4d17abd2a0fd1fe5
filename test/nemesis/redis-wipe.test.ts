// The redis-wipe fault: redis-server SIGKILLed, its data files removed, started again empty at the
// heal. Live on a real redis-server (its append-only files really removed), and in the simulated
// Redis; redis-restart beside it keeps what was written.
import { readdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REDIS, requireBinary } from '../../harness/env/binaries.ts';
import { ProcessRegistry } from '../../harness/env/processes.ts';
import { redisControlOf, RedisServer } from '../../harness/env/redis.ts';
import type { RedisControl, RunEnvironment } from '../../harness/env/surface.ts';
import { redisRestart, redisWipe } from '../../harness/nemesis/kinds/index.ts';
import { VirtualClock } from '../../harness/sim/clock.ts';
import { Endpoint, SimNetwork } from '../../harness/sim/network.ts';
import { SimRedis } from '../../harness/sim/redis/engine.ts';
import { warmUp } from '../../harness/sim/run.ts';
import { Scheduler } from '../../harness/sim/scheduler.ts';

const envWith = (redisControl: RedisControl) => ({ redisControl }) as unknown as RunEnvironment;
const step = { healAt: Promise.resolve() };

describe('redis-wipe, live', () => {
  const registry = new ProcessRegistry();
  let redis: RedisServer | undefined;
  let admin: Redis | undefined;
  beforeAll(async () => {
    redis = await RedisServer.start({ bin: requireBinary(REDIS), registry, aof: true });
    admin = redis.client({ maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
    await registry.stopAll(1000);
  });

  it('a restart keeps what was written; a wipe kills redis-server, removes its files, and it comes back empty on the same port', async () => {
    const env = envWith(redisControlOf(redis!));
    const port = redis!.port;
    await admin!.set('before', 'yes');
    await admin!.xadd('s', '*', 'f', 'v');

    await redisRestart.inject(env, { kind: 'redis-restart' }, 0, step);
    await redisRestart.heal(env, { kind: 'redis-restart' }, 0);
    expect(await admin!.get('before')).toBe('yes');

    expect(readdirSync(redis!.dir).length).toBeGreaterThan(0); // its append-only files
    expect(await redisWipe.inject(env, { kind: 'redis-wipe' }, 1, step)).toBeUndefined();
    expect(redis!.process.alive()).toBe(false);
    expect(readdirSync(redis!.dir)).toEqual([]);
    await redisWipe.heal(env, { kind: 'redis-wipe' }, 1);
    expect(redis!.process.alive()).toBe(true);
    expect(redis!.port).toBe(port);
    expect(await admin!.get('before')).toBeNull();
    expect(await admin!.exists('s')).toBe(0);
    expect(await admin!.dbsize()).toBe(0);
    // and it works: what is written after the heal stays, through a plain restart too
    await admin!.set('after', 'yes');
    await redisRestart.inject(env, { kind: 'redis-restart' }, 2, step);
    await redisRestart.heal(env, { kind: 'redis-restart' }, 2);
    expect(await admin!.get('after')).toBe('yes');
  });

  it('removes nothing from a running redis-server, and is empty (not a fault) where Redis is down or its data cannot be removed', async () => {
    expect(() => redis!.eraseData()).toThrow(/running/);
    expect(await admin!.get('after')).toBe('yes');
    const control = redisControlOf(redis!);
    // an environment without erase (the docker one): nothing is killed
    const { erase: _, ...noErase } = control;
    expect(await redisWipe.inject(envWith(noErase), { kind: 'redis-wipe' }, 3, step)).toEqual({ empty: expect.stringMatching(/cannot remove/) });
    expect(redis!.process.alive()).toBe(true);
    await control.kill();
    expect(await redisWipe.inject(envWith(control), { kind: 'redis-wipe' }, 4, step)).toEqual({ empty: 'redis-server is not running' });
    await redisWipe.heal(envWith(control), { kind: 'redis-wipe' }, 4);
    expect(redis!.process.alive()).toBe(true);
    // the kill above was no wipe: the data is still there
    expect(await admin!.get('after')).toBe('yes');
  });
});

describe('redis-wipe, simulated', () => {
  let clock: VirtualClock | undefined;
  beforeAll(() => warmUp());
  afterEach(() => {
    clock?.uninstall();
    clock = undefined;
  });

  it('the simulated Redis drops every connection and comes back empty; a restart without it keeps the data', async () => {
    clock = new VirtualClock(1_000_000);
    const c = clock;
    const engine = new SimRedis({ now: () => c.now() });
    const network = new SimNetwork(engine, () => c.now(), () => 0.5);
    const scheduler = new Scheduler(c, network, engine);
    const r = new Redis({ ...network.redisOptions(new Endpoint('worker-1', 'worker-1')), maxRetriesPerRequest: null, retryStrategy: () => 50 });
    r.on('error', () => undefined);
    const run = async <T>(p: Promise<T>): Promise<T> => {
      let done = false;
      let value: T | undefined;
      void p.then((v) => (value = v)).finally(() => (done = true));
      await scheduler.runUntil(c.now() + 60_000, () => done);
      expect(done).toBe(true);
      return value as T;
    };
    const control: RedisControl = {
      alive: () => network.redisIsUp,
      kill: async () => network.redisDown(),
      restart: async () => network.redisBack(),
      erase: async () => network.redisErase(),
    };
    const env = envWith(control);
    await run(r.set('before', 'yes'));
    await run(r.xadd('s', '*', 'f', 'v'));
    await redisRestart.inject(env, { kind: 'redis-restart' }, 0, step);
    await redisRestart.heal(env, { kind: 'redis-restart' }, 0);
    expect(await run(r.get('before'))).toBe('yes');

    expect(() => network.redisErase()).toThrow(/up/);
    await redisWipe.inject(env, { kind: 'redis-wipe' }, 1, step);
    expect(network.redisIsUp).toBe(false);
    // a command sent while it is down waits for it, and finds it empty
    const during = r.get('before');
    await redisWipe.heal(env, { kind: 'redis-wipe' }, 1);
    expect(await run(during)).toBeNull();
    expect(await run(r.exists('s'))).toBe(0);
    expect(await run(r.dbsize())).toBe(0);
    r.disconnect();
  });
});
