// Recovery paths a run took, for coverage goals: work that had to be taken over because the
// consumer holding it died and did not come back under its own name. A system whose takeover path
// is broken passes every run in which no one ever needed it, so a scenario about takeovers is
// vacuous until some run did.

import type { History, NemesisEntry } from '../history/types.ts';
import type { FaultReach } from './faultReach.ts';
import type { Observations } from './observations.ts';
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
}

const ENDS_HOLD = new Set(['kill', 'restart']);

const rejoinedNew = (n: NemesisEntry) => (n.detail as { rejoin?: unknown } | undefined)?.rejoin === 'new';

export function recoveryStats(history: History, obs: Observations, reach: FaultReach): RecoveryStats {
  const roles = rolesOf(history);
  const deaths = obs.nemesis.filter((n) => n.type === 'start' && (n.outcome ?? 'ok') === 'ok' && ENDS_HOLD.has(n.fault));

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
  const keeperTakeovers = deaths.filter((d) => d.fault === 'kill' && rejoinedNew(d) && roles.role(d.target) === 'keeper' && bit.has(d.stepId)).length;
  const healed = Math.max(-Infinity, ...obs.nemesis.filter((n) => n.type === 'end').map((n) => n.t));
  let jobsAfterHeal = 0;
  if (healed > -Infinity) {
    for (const { origin, steps } of obs.jobs) {
      const ok = origin?.submit?.completion;
      if (ok && ok.t > healed && steps.some((s) => s.applied && isTerminal(s.to))) jobsAfterHeal++;
    }
  }
  return { jobTakeovers, keeperTakeovers, jobsAfterHeal };
}
