// Planted bug `write-behind-submit`: the orchestrator answers a submission at once and writes it
// "in the background", batching the writes of the last 250 ms into one round trip to save Redis
// calls. The answer (201 with the task id and job ids) is made up from the request; the task is
// written only when the batch is flushed. An orchestrator that dies in between has acknowledged
// a task that never reaches Redis; a retry with the same Idempotency-Key before the flush gets a
// second task id for the same key.

import type { Lifecycle, Logger, Script } from '../common.ts';

const FLUSH_EVERY_MS = 250;

/**
 * Wraps the submit script: same arguments, an immediate made-up reply, the real write later.
 * Its flush timer ends with the orchestrator (what is still batched then is lost, as in a crash).
 */
export function writeBehindSubmit(script: Script, log: Logger, lifecycle: Pick<Lifecycle, 'onStop' | 'onCrash'>): Script {
  let batch: [string[], (string | number)[]][] = [];
  const timer = setInterval(() => {
    const pending = batch;
    batch = [];
    for (const [keys, args] of pending) {
      script(keys, args).catch((err: unknown) => log(`write-behind submit of task ${String(args[0])}: ${String(err)}`));
    }
  }, FLUSH_EVERY_MS);
  timer.unref();
  lifecycle.onStop(() => clearInterval(timer));
  lifecycle.onCrash(() => clearInterval(timer));
  return async (keys, args) => {
    batch.push([keys, args]);
    // the submit script's reply: [created, taskId, jobIds as JSON] (args: taskId, description, priority, key, jobIds, ...)
    return [1, String(args[0]), String(args[4])];
  };
}
