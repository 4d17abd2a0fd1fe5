import type { Fault, FaultModule } from './types.ts';

/** SIGKILL redis-server, then start it again on the same port and data dir (AOF keeps acknowledged writes). */
export const redisRestart: FaultModule<Extract<Fault, { kind: 'redis-restart' }>> = {
  async inject(env) {
    if (!env.redis.process.alive()) return { empty: 'redis-server is not running' };
    env.redis.process.signal('SIGKILL');
    await env.redis.process.exited;
  },
  async heal(env) {
    if (!env.redis.process.alive()) await env.redis.restart();
  },
};
