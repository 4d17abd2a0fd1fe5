import { scheduleArb } from '../harness/nemesis/index.ts';
import type { Scenario } from '../harness/runner/scenario.ts';
import { jobsAfterHeal } from './common.ts';
import { idleThenSteady } from './long-outage.ts';

/**
 * A crash window held open past a client's own timers: a lost reply (the link of a role or an
 * executor goes down the moment Redis has run its n-th command, any or a named step) whose link
 * stays down for 5–15 s, where `lost-reply` keeps it down for at most 2.5 s and `long-outage`
 * starts its outages at a moment on the clock, whatever a role is doing. So the outage begins
 * between two commands of one piece of work (a job handed over and not yet started, an outcome
 * told and not yet published, a batch read and not yet applied) and outlasts the timers around
 * it: blocking timeouts, watchdogs, leases, a job's own timeout (a quarter of the jobs have one
 * of 2–8 s). Half the time the process is stopped too at one of its next commands while its link
 * is down. The workload is long-outage's: a few jobs first, then submissions before, during and
 * after the outage. Every job submitted after the heal must still run.
 */
export const longLostReply: Scenario = {
  name: 'long-lost-reply',
  summary: "a role's (or executor's) link cut right after Redis ran its n-th command, and down for 5–15 s (simulation only)",
  simOnly: 'Toxiproxy does not see commands, the simulation does',
  env: { aof: true },
  runs: 1,
  workload: idleThenSteady,
  schedule: ({ targets }) => scheduleArb(['lost-reply'], targets, { fromMs: 1_000, windowMs: 2_500, minDurationMs: 5_000, maxDurationMs: 15_000, maxSteps: 2 }),
  goals: [jobsAfterHeal],
};
