// Recovery paths a run took, for coverage goals: work that had to be taken over because the
// consumer holding it died and did not come back under its own name. A system whose takeover path
// is broken passes every run in which no one ever needed it, so a scenario about takeovers is
// vacuous until some run did.

import type { History, NemesisEntry } from '../history/types.ts';
import type { FaultReach } from './faultReach.ts';
import { parseLogId, type Observations } from './observations.ts';
import { effectOf, familyOf, finalHealAt } from './effects.ts';
import { rolesOf } from './roles.ts';
import { isTerminal } from './spec.ts';

export interface RecoveryStats {
  /**
   * jobs whose worker was killed (or restarted) after an attempt of it began, and that ran again
   * under a later attempt on another worker, or on the same one come back as a new consumer
   */
  jobTakeovers: number;
  /** keepers killed while they had events in hand and healed as a new consumer: others had to take their events over */
  keeperTakeovers: number;
  /** jobs submitted (acknowledged) after the last fault step healed that reached a terminal state */
  jobsAfterHeal: number;
  /**
   * jobs whose worker reported an outcome and then died, was restarted or paused before it
   * acknowledged the delivery: the job was delivered again under a later attempt after that.
   * A figure, not a coverage goal: a system that acknowledges a redelivered finished job without
   * a new attempt (the reference system does) leaves no trace of the redelivery in the history.
   */
  outcomesBeforeAck: number;
}


const rejoinedNew = (n: NemesisEntry) => (n.detail as { rejoin?: unknown } | undefined)?.rejoin === 'new';

export function recoveryStats(history: History, obs: Observations, reach: FaultReach): RecoveryStats {
  const roles = rolesOf(history);
  // a process that died (not its executor: the worker lives on, holding its job)
  const deaths = obs.nemesis.filter((n) => n.type === 'start' && (n.outcome ?? 'ok') === 'ok' && effectOf(n) === 'ends' && familyOf(n) === 'process' && roles.hit(n).kind !== 'executor');

  const byJob = new Map<string, Observations['executions']>();
  for (const e of obs.executions) {
    const list = byJob.get(e.jobId);
    if (list) list.push(e);
    else byJob.set(e.jobId, [e]);
  }
  let jobTakeovers = 0;
  for (const runs of byJob.values()) {
    const taken = runs.some((first) => {
      const holder = roles.workerOf(first.executorId);
      if (holder === undefined) return false;
      return runs.some((later) => {
        if (later.attempt <= first.attempt || later.t < first.t) return false;
        const elsewhere = roles.workerOf(later.executorId) !== holder;
        return deaths.some((d) => d.target === holder && d.t >= first.t && d.t <= later.t && (elsewhere || rejoinedNew(d)));
      });
    });
    if (taken) jobTakeovers++;
  }

  const bit = new Set(reach.steps.filter((s) => s.bit).map((s) => s.stepId));
  const keeperTakeovers = deaths.filter((d) => rejoinedNew(d) && roles.role(d.target) === 'keeper' && bit.has(d.stepId)).length;
  const healed = finalHealAt(obs.nemesis);
  let jobsAfterHeal = 0;
  if (healed !== undefined) {
    for (const { origin, steps } of obs.jobs) {
      const ok = origin?.submit?.completion;
      if (ok && ok.t > healed && steps.some((s) => s.applied && isTerminal(s.to))) jobsAfterHeal++;
    }
  }
  return { jobTakeovers, keeperTakeovers, jobsAfterHeal, outcomesBeforeAck: outcomesBeforeAck(obs, roles) };
}


/**
 * Jobs whose outcome event (a terminal event from a worker or its executor, attempt a) was
 * produced, after which that worker was killed, restarted or paused, and which then ran again
 * under a later attempt: the delivery was still unacknowledged when the worker stopped (an
 * acknowledged one is never delivered again), so the crash fell between outcome and ack.
 */
function outcomesBeforeAck(obs: Observations, roles: ReturnType<typeof rolesOf>): number {
  // a process killed, restarted or paused (effects.ts)
  const stops = obs.nemesis.filter((n) => n.type === 'start' && (n.outcome ?? 'ok') === 'ok' && (effectOf(n) === 'ends' || effectOf(n) === 'freezes') && familyOf(n) === 'process' && roles.hit(n).kind !== 'executor');
  if (stops.length === 0) return 0;
  const laterAttempt = new Map<string, { attempt: number; t: number }[]>();
  const note = (jobId: string, attempt: number, t: number) => {
    const list = laterAttempt.get(jobId);
    if (list) list.push({ attempt, t });
    else laterAttempt.set(jobId, [{ attempt, t }]);
  };
  for (const x of obs.executions) note(x.jobId, x.attempt, x.t);
  for (const { steps } of obs.jobs) for (const s of steps) note(s.entry.jobId, s.attempt, s.t);
  let n = 0;
  for (const { steps } of obs.jobs) {
    const hit = steps.some((step) => {
      const e = step.entry;
      if ((e.source !== 'worker' && e.source !== 'executor') || !isTerminal(e.type)) return false;
      const worker = roles.workerOf(e.sourceId);
      if (worker === undefined) return false;
      // when the event was produced: its stream id, placed on the timeline through its decision
      const logMs = parseLogId(e.logId)?.[0];
      const eventMs = parseLogId(e.eventId)?.[0];
      const producedAt = logMs !== undefined && eventMs !== undefined ? e.t - (logMs - eventMs) : e.t;
      return stops.some((d) => d.target === worker && d.t >= producedAt
        && (laterAttempt.get(e.jobId) ?? []).some((l) => l.attempt > e.attempt && l.t >= d.t));
    });
    if (hit) n++;
  }
  return n;
}
