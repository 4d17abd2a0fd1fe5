// legal-transitions: every applied transition is an edge of the state machine, and per job
// the applied transitions form one chain starting at `queued` (each `from` is the previous
// `to`), so a keeper that decided on a stale read of the state is caught too.

import type { History, TransitionEntry, Verdict } from '../history/types.ts';
import { describeTransition, Findings } from './findings.ts';
import { observe, type Observations } from './observations.ts';
import { INITIAL_STATE, isLegalEdge } from './spec.ts';

export function legalTransitions(history: History, obs: Observations = observe(history)): Verdict {
  const findings = new Findings();
  let applied = 0;
  let illegalEdges = 0;
  let brokenChains = 0;

  for (const [jobId, list] of obs.appliedByJob) {
    let previous: TransitionEntry | undefined;
    for (const e of list) {
      applied++;
      if (!isLegalEdge(e.from, e.to)) {
        illegalEdges++;
        findings.add({
          message: `job ${jobId}: applied illegal transition ${describeTransition(e)}`,
          jobId,
          at: e.t,
          entries: [e],
        });
      }
      const expectedFrom = previous ? previous.to : INITIAL_STATE;
      if (e.from !== expectedFrom) {
        brokenChains++;
        const after = previous ? `the previous applied transition left it ${previous.to} at t=${previous.t}ms (logId ${previous.logId})` : `it is the job's first applied transition (jobs start ${INITIAL_STATE})`;
        findings.add({
          message: `job ${jobId}: applied ${describeTransition(e)} from ${e.from} but ${after}`,
          jobId,
          at: e.t,
          entries: previous ? [previous, e] : [e],
        });
      }
      previous = e;
    }
  }

  return findings.verdict('legalTransitions', { applied, illegalEdges, brokenChains });
}
