import fc from 'fast-check';
import { faultArb, schedulePer, stepArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';

/**
 * The front door: the orchestrator is killed, paused or restarted, or its links (the client's
 * HTTP link to it, its own link to Redis) are cut or slowed, while submissions and cancels are
 * in flight. Whatever happens a millisecond after a 2xx, the task it acknowledged must be
 * carried out in full (totalQueue); an indeterminate one may or may not exist, but if it does
 * it must finish too. Its clients retry, hedge and send one key from two places at once, so one
 * key must still make one task (totalQueue's duplicated). A third of them send no key at all:
 * then only the system's own care keeps a write whose reply was lost on the front door's Redis
 * link (a timeout or reset_peer toxic, or the link down) from being written twice when the
 * Redis client resends it after its reconnect.
 */
export const frontDoor: Scenario = {
  name: 'front-door',
  summary: 'the front door (orchestrator, producer) killed, paused, restarted or cut off while submissions are in flight',
  env: {},
  runs: 4,
  // many short submissions spread over the fault window, some cancelled: a fault almost always
  // meets a request in flight (the goal counts only faults on the front door that did)
  workload: () => workloadArb({ minTasks: 8, maxTasks: 14, maxDurationMs: 300, fromMs: 0, windowMs: 1500 }),
  // two slots, each nearly always filled: any fault on the front door, and a cut of its own
  // Redis link (down, or a timeout or reset_peer toxic: downstream, a reply lost after its
  // command ran, which the Redis client resends on its reconnect)
  schedule: ({ targets, frontDoor }) => {
    const steps = { fromMs: 100, windowMs: 1300, minDurationMs: 100, maxDurationMs: 1200 };
    const anyFault = (['kill', 'pause', 'restart', 'down', 'latency', 'timeout', 'reset_peer'] as const).map((k) => faultArb(k, { ...targets, processes: [frontDoor], links: ['client', frontDoor] }));
    const redisLinkCut = (['down', 'timeout', 'reset_peer'] as const).map((k) => faultArb(k, { ...targets, processes: [], links: [frontDoor] }));
    // the cut lasts 300 ms or more: a few keyless submits arrive while it is in place (at 100 ms, most live runs saw none)
    return schedulePer(['any fault', 'a cut of its Redis link'], (slot) =>
      slot === 'any fault' ? stepArb(fc.oneof(...anyFault), steps) : stepArb(fc.oneof(...redisLinkCut), { ...steps, minDurationMs: 300 }));
  },
  // every target here is the front door, so a fault that bit (faultReach.ts) met a submit or
  // cancel in flight: no anchor job is needed, the requests are the work in hand
  goals: [
    { name: 'a fault hit the front door while a submit or cancel was in flight', met: (s) => s.faultsWhileInFlight > 0 },
    // the workload's clients retry, hedge and send one key from two places (SubmitStyle)
    { name: 'one Idempotency-Key was in flight in two submits at once', met: (s) => s.sameKeyOverlaps > 0 },
    // a keyless submit left to the Redis client's resend (coverage.ts keylessSubmitsCut)
    { name: "a keyless submit was in flight while the front door's Redis link was cut", met: (s) => s.keylessSubmitsCut > 0 },
  ],
};
