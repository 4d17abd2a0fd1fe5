import fc from 'fast-check';
import { COLOURS, type BuiltinKindModule } from './shared.ts';

export type RedisRestartFault = { kind: 'redis-restart' };

/** SIGKILL redis-server, then start it again on the same port and data dir (AOF keeps acknowledged writes). */
export const redisRestart: BuiltinKindModule<RedisRestartFault> = {
  kind: 'redis-restart',
  summary: 'redis-server killed (SIGKILL), started again at the heal on its append-only file',
  family: 'redis',
  effect: 'ends',
  colour: COLOURS.redis,
  target: () => 'redis',
  resource: () => 'redis',
  arbitrary: () => fc.constant({ kind: 'redis-restart' as const }),
  async inject(env) {
    if (!env.redisControl.alive()) return { empty: 'redis-server is not running' };
    await env.redisControl.kill();
  },
  async heal(env) {
    if (!env.redisControl.alive()) await env.redisControl.restart();
  },
};
