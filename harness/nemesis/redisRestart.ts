import type { Fault, FaultModule } from './types.ts';

/** SIGKILL redis-server, then start it again on the same port and data dir (AOF keeps acknowledged writes). */
export const redisRestart: FaultModule<Extract<Fault, { kind: 'redis-restart' }>> = {
  async inject(env) {
    if (!env.redisControl.alive()) return { empty: 'redis-server is not running' };
    await env.redisControl.kill();
  },
  async heal(env) {
    if (!env.redisControl.alive()) await env.redisControl.restart();
  },
};
