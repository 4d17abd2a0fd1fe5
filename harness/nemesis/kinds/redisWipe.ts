import fc from 'fast-check';
import { COLOURS, type BuiltinKindModule } from './shared.ts';

export type RedisWipeFault = { kind: 'redis-wipe' };

/**
 * SIGKILL redis-server, remove its data files (append-only and RDB), start it again empty at the
 * heal: Redis with no persistence, a failover to an empty replica, an operator's FLUSHALL. What
 * was in Redis before may be gone; what is submitted after the heal must be carried out in full.
 */
export const redisWipe: BuiltinKindModule<RedisWipeFault> = {
  kind: 'redis-wipe',
  summary: 'redis-server killed (SIGKILL), its data files removed, started again empty at the heal',
  family: 'redis',
  effect: 'erases',
  colour: COLOURS.redis,
  target: () => 'redis',
  resource: () => 'redis',
  arbitrary: () => fc.constant({ kind: 'redis-wipe' as const }),
  async inject(env) {
    const erase = env.redisControl.erase;
    if (!erase) return { empty: 'this environment cannot remove Redis\'s data' };
    if (!env.redisControl.alive()) return { empty: 'redis-server is not running' };
    await env.redisControl.kill();
    // down from here on: whatever restarts it (this heal, or the run's final heal) starts it empty
    await erase.call(env.redisControl);
  },
  async heal(env) {
    if (!env.redisControl.alive()) await env.redisControl.restart();
  },
};
