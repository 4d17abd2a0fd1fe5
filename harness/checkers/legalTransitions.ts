// legal-transitions: every applied transition is an edge of the state machine, and per job
// the applied transitions form one chain starting at `queued` (each `from` is the previous
// `to`), so a keeper that decided on a stale read of the state is caught too.

import type { History, Verdict } from '../history/types.ts';
import { describeTransition, Findings } from './findings.ts';
import { observe, type Observations, type Step } from './observations.ts';
import { INITIAL_STATE, isLegalEdge } from './spec.ts';

export function legalTransitions(history: History, obs: Observations = observe(history)): Verdict {
  const findings = new Findings();
  let applied = 0;
  let illegalEdges = 0;
  let brokenChains = 0;

  for (const { jobId, steps } of obs.jobs) {
    let previous: Step | undefined;
    for (const step of steps) {
      if (!step.applied) continue;
      applied++;
      const e = step.entry;
      if (!isLegalEdge(step.from, step.to)) {
        illegalEdges++;
        findings.add(() => ({
          message: `job ${jobId}: applied illegal transition ${describeTransition(e)}`,
          jobId,
          at: e.t,
          entries: [e],
        }));
      }
      const before = previous?.entry;
      if (step.from !== (previous ? previous.to : INITIAL_STATE)) {
        brokenChains++;
        findings.add(() => ({
          message: before
            ? `job ${jobId}: applied ${describeTransition(e)} from ${e.from} but the previous applied transition left it ${before.to} at t=${before.t}ms (logId ${before.logId})`
            : `job ${jobId}: applied ${describeTransition(e)} from ${e.from} but it is the job's first applied transition (jobs start ${INITIAL_STATE})`,
          jobId,
          at: e.t,
          entries: before ? [before, e] : [e],
        }));
      }
      previous = step;
    }
  }

  return findings.verdict('legalTransitions', { applied, illegalEdges, brokenChains });
}
