// Keyspace commands beyond commands.ts's: RENAME, RENAMENX, EXPIREAT, PEXPIREAT, EXPIRETIME,
// PEXPIRETIME, with redis-server 7.0's replies and keyspace effects.

import { expireGeneric } from './commands.ts';
import type { CommandSpec, Ctx } from './context.ts';
import { error, int, OK, ONE, ZERO, type Reply } from './reply.ts';

/**
 * renameGenericCommand: the source's value and TTL move to the new name; whatever the new name
 * held is deleted first (of any type). A missing source is an error even for RENAMENX; a key
 * renamed onto itself is OK (RENAME) or 0 (RENAMENX). Clients blocked on the new name may be
 * served (dbAdd signals a list, sorted set or stream as ready).
 */
function renameGeneric(ctx: Ctx, argv: string[], nx: boolean): Reply {
  const src = argv[1];
  const dst = argv[2];
  const v = ctx.db.get(src);
  if (v === undefined) return error('ERR no such key');
  if (src === dst) return nx ? ZERO : OK;
  const when = ctx.db.getExpire(src);
  if (ctx.db.has(dst)) {
    if (nx) return ZERO;
    ctx.db.delete(dst);
  }
  ctx.db.delete(src);
  ctx.db.set(dst, v);
  if (when !== undefined) ctx.db.setExpire(dst, when);
  ctx.server.signalReady(dst);
  return nx ? ONE : OK;
}

/** EXPIRETIME / PEXPIRETIME: the absolute expiry (seconds rounded as TTL rounds), -1 without one, -2 without the key */
function expiretime(ctx: Ctx, argv: string[], ms: boolean): Reply {
  if (!ctx.db.has(argv[1])) return int(-2);
  const when = ctx.db.getExpire(argv[1]);
  if (when === undefined) return int(-1);
  const t = Math.max(0, when);
  return int(ms ? t : Math.floor((t + 500) / 1000));
}

export const KEYSPACE_COMMANDS: Record<string, CommandSpec> = {
  rename: { arity: 3, handler: (c, a) => renameGeneric(c, a, false) },
  renamenx: { arity: 3, handler: (c, a) => renameGeneric(c, a, true) },
  expireat: { arity: -3, handler: (c, a) => expireGeneric(c, a, 1000, 'expireat', 0) },
  pexpireat: { arity: -3, handler: (c, a) => expireGeneric(c, a, 1, 'pexpireat', 0) },
  expiretime: { arity: 2, handler: (c, a) => expiretime(c, a, false) },
  pexpiretime: { arity: 2, handler: (c, a) => expiretime(c, a, true) },
};
