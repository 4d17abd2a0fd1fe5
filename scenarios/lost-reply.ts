import { scheduleArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { workloadArb } from '../harness/workload/workload.ts';
import { faultWhileInFlight } from './common.ts';

/**
 * Replies lost on purpose: the moment Redis has run a role's (or an executor's) n-th command, any
 * or a named step (a script, a read of new work, an acknowledgement), its link goes down before
 * the reply gets back, for up to 2.5 s. The command ran; its sender does not know. A client that
 * resends what went unanswered runs it a second time; a blocking read's entries are delivered in
 * Redis and never reach their reader. Half the time the process is stopped too at one of its next
 * commands while the link is down. One keeper (the default), so no other keeper covers for the one cut off.
 * Every command boundary of every role is a candidate; the seed picks one.
 */
export const lostReply: Scenario = {
  name: 'lost-reply',
  summary: "a role's (or executor's) link cut right after Redis ran its n-th command: the reply is lost, the command may be resent (simulation only)",
  simOnly: 'Toxiproxy does not see commands, the simulation does',
  env: {},
  runs: 6,
  workload: () => workloadArb({ minTasks: 3, maxTasks: 8, minDurationMs: 50, maxDurationMs: 900, windowMs: 1200 }),
  schedule: ({ targets }) => scheduleArb(['lost-reply'], targets, { fromMs: 0, windowMs: 1500, minDurationMs: 50, maxDurationMs: 2500, maxSteps: 3 }),
  goals: [faultWhileInFlight],
};
