// Planted bug `idempotency-check-then-insert`: the orchestrator looks the Idempotency-Key up in
// one round trip and writes the task in the next, the way an idempotency layer in front of an
// existing "create" call is usually written. Two requests with the same key that arrive together
// (a client's retry while its first attempt is still being served, the same request from two
// places) both find no key, and each creates its own task: one key, two tasks, every job done
// twice.

import type { Redis } from 'ioredis';
import { keys, type Script } from '../common.ts';

/** Wraps the submit script: the key checked first, then the task written without the script's own check, then the key set. */
export function idempotencyCheckThenInsert(script: Script, redis: Redis): Script {
  return async (scriptKeys, args) => {
    const idem = String(args[3]);
    if (idem === '') return script(scriptKeys, args);
    const existing = await redis.get(keys.idem(idem));
    if (existing) return [0, existing, (await redis.hget(keys.task(existing), 'jobIds')) ?? '[]'];
    // the script checks and sets the key it is given: give it one no other request uses, so
    // only this round trip's GET above stands between two requests with the same key
    const taskId = String(args[0]);
    const unchecked = `${keys.idem(idem)}:unchecked:${taskId}`;
    const reply = await script([...scriptKeys.slice(0, -1), unchecked], args);
    await redis.multi().set(keys.idem(idem), taskId).del(unchecked).exec();
    return reply;
  };
}
