import type { CoverageGoal } from '../harness/runner/scenario.ts';

// Goals shared by several scenarios. Each reads the run statistics the checkers compute.
/** An effective fault whose own target had work in hand (harness/checkers/faultReach.ts). */
export const faultWhileInFlight: CoverageGoal = {
  name: 'a fault hit a part while it had work in hand',
  met: (s) => s.faultsWhileInFlight > 0,
};

export const staleEventRejected: CoverageGoal = {
  name: 'a stale event was rejected',
  met: (s) => s.staleIgnored > 0,
};

export const jobReclaimed: CoverageGoal = {
  name: 'a job was delivered again after a crash (attempt > 1)',
  met: (s) => s.reclaimedJobs > 0,
};

export const duplicateExecution: CoverageGoal = {
  name: 'a job was executed twice and still ended in one terminal state',
  met: (s) => s.duplicateExecutions > 0,
};

export const jobsCompleted: CoverageGoal = {
  name: 'jobs completed',
  met: (s) => s.jobsCompleted > 0,
};

/** payloadOutcome had a failure to judge: a job whose payload exits non-zero or runs past its timeout ended (payloadOutcome.ts). */
export const failureJudged: CoverageGoal = {
  name: "a failing or timed-out payload's outcome was judged",
  met: (s) => s.failuresJudged > 0,
};

/** payloadOutcome had a timeout to judge: a payload that runs past its timeout ended (payloadOutcome.ts) */
export const timeoutJudged: CoverageGoal = {
  name: 'a payload run past its timeout was judged',
  met: (s) => s.timeoutsJudged > 0,
};

/** A job was taken over from a worker that died holding it and did not come back under its name (recovery.ts). */
export const jobTakenOver: CoverageGoal = {
  name: 'a job held by a dead worker was taken over by another consumer',
  met: (s) => s.jobTakeovers > 0,
};

/** A keeper died with events in hand and came back as a new consumer: its events had to be taken over (recovery.ts). */
export const keeperEventsTakenOver: CoverageGoal = {
  name: "a dead keeper's events were left to another consumer",
  met: (s) => s.keeperTakeovers > 0,
};

/** Jobs submitted after the last fault healed reached a terminal state (recovery.ts). */
export const jobsAfterHeal: CoverageGoal = {
  name: 'a job submitted after the heal finished',
  met: (s) => s.jobsAfterHeal > 0,
};
