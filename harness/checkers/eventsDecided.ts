// events-decided: no job event is lost between the queue and the keepers. The events queue is
// at-least-once (DESIGN.md): an event stays pending in the keepers' group until a keeper has
// applied or ignored it, and every decision is appended to the transition log. So an event the
// group has let go of (delivered, and no longer pending) must have a decision in the log. One
// that has none was acknowledged, or dropped from the group (XGROUP DELCONSUMER, a group made
// again), without any keeper deciding it: its job never saw it, which the job's own states hide
// whenever another event carried the same news. Total-queue accounting for the events queue, as
// totalQueue is for the jobs.
//
// The queue and the log are read in one cut (the snapshot's MULTI), so an event decided and
// acknowledged in one script is never seen half done.
//
// An event still pending is undecided so far, unless it is stuck: a system that promises to take
// over and decide a pending event within some time once healed (ShapeEntry.eventsDecidedWithinMs,
// the reference system's reclaim idle time, reclaim period and reconnect path) is held to it. An
// event pending that long since its last delivery, in a final snapshot taken that long after the
// final heal, was left by every keeper (a takeover path that skips it, a reclaim that never runs).
// A run whose final snapshot came sooner after the heal (live, mostly) is not judged on it.

import type { History, Verdict } from '../history/types.ts';
import { finalHealAt } from './effects.ts';
import { Findings } from './findings.ts';
import { compareLogIds, observe, type Observations } from './observations.ts';

export function eventsDecided(history: History, obs: Observations = observe(history)): Verdict {
  const snapshot = obs.snapshot;
  if (!snapshot) return { checker: 'eventsDecided', valid: 'unknown', evidence: [{ message: 'no snapshot entry: the run never settled' }] };
  const queue = snapshot.eventQueue;
  if (!queue) {
    const gap = snapshot.unreadable?.find((u) => u.key === 'sut:events' || u.key === '*');
    if (gap) return { checker: 'eventsDecided', valid: 'unknown', evidence: [{ message: `could not read ${gap.key}: ${gap.error}` }], stats: { violations: 0 } };
    return new Findings().verdict('eventsDecided', { events: 0, letGo: 0, pending: 0, undelivered: 0, stuck: 0 });
  }
  const decided = new Set<string>();
  for (const e of history) if (e.kind === 'transition') decided.add(e.eventId);
  const pending = new Set(queue.pending.map((p) => p.id));
  const findings = new Findings();
  let letGo = 0;
  let undelivered = 0;
  for (const ev of queue.entries) {
    if (compareLogIds(ev.id, queue.lastDeliveredId) > 0) {
      undelivered++;
      continue;
    }
    if (pending.has(ev.id)) continue;
    letGo++;
    if (decided.has(ev.id)) continue;
    findings.add(() => ({
      message: `event ${ev.id} (${ev.type} from ${ev.source} ${ev.sourceId}) for job ${ev.jobId} was delivered to the keepers and is no longer pending, yet no keeper decided it: the transition log has no entry for it (snapshot t=${snapshot.t}ms)`,
      jobId: ev.jobId,
      at: snapshot.t,
    }));
  }
  // stuck: pending past the system's promise, that long after the final heal
  const promise = obs.shape?.eventsDecidedWithinMs;
  const healedAt = Math.max(0, finalHealAt(obs.nemesis) ?? 0);
  let stuck = 0;
  if (promise !== undefined && snapshot.t - healedAt >= promise) {
    const byId = new Map(queue.entries.map((e) => [e.id, e]));
    for (const p of queue.pending) {
      if (p.idleMs < promise) continue;
      stuck++;
      const ev = byId.get(p.id);
      findings.add(() => ({
        message: `event ${p.id}${ev ? ` (${ev.type} from ${ev.source} ${ev.sourceId}) for job ${ev.jobId}` : ''} is still pending on ${p.consumer} (delivered ${p.deliveries}×, idle ${p.idleMs} ms) at snapshot t=${snapshot.t}ms, ${Math.round(snapshot.t - healedAt)} ms after the final heal: the system promises to take over and decide a pending event within ${promise} ms`,
        ...(ev ? { jobId: ev.jobId } : {}),
        at: snapshot.t,
      }));
    }
  }
  return findings.verdict('eventsDecided', { events: queue.entries.length, letGo, pending: pending.size, undelivered, stuck });
}
