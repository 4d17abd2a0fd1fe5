// Evidence collection shared by the checkers: one readable line per violation, capped so
// that a systematic bug over a million-entry history still yields a readable verdict.

import type { Evidence, SnapshotEntry, TaskView, TransitionEntry, Verdict } from '../history/types.ts';

export const EVIDENCE_LIMIT = 100;

export class Findings {
  private readonly kept: Evidence[] = [];
  /** every violation found, including those past the evidence limit */
  count = 0;

  /** Records one violation; pass a function when building its evidence costs something. */
  add(evidence: Evidence | (() => Evidence)): void {
    this.count++;
    if (this.kept.length < EVIDENCE_LIMIT) this.kept.push(typeof evidence === 'function' ? evidence() : evidence);
  }

  evidence(): Evidence[] {
    const omitted = this.count - this.kept.length;
    if (omitted <= 0) return [...this.kept];
    return [...this.kept, { message: `… and ${omitted} more violations (evidence capped at ${EVIDENCE_LIMIT})` }];
  }

  verdict(checker: string, stats: Record<string, number> = {}, valid?: boolean | 'unknown'): Verdict {
    return {
      checker,
      valid: valid ?? this.count === 0,
      evidence: this.evidence(),
      stats: { violations: this.count, ...stats },
    };
  }
}

/** "running→completed at t=1200ms (logId 1700-0, event from executor worker-1 attempt 2)" */
export function describeTransition(e: TransitionEntry): string {
  return `${e.from}→${e.to} at t=${e.t}ms (logId ${e.logId}, ${e.type} event from ${e.source} ${e.sourceId} attempt ${e.attempt})`;
}

/**
 * The part of a snapshot a finding is about: only the named task, and the running set and
 * info filtered to the named job. A full snapshot repeated in every piece of evidence
 * would make a report of a large run unreadable.
 */
export function snapshotExcerpt(snapshot: SnapshotEntry, task?: TaskView, jobId?: string): SnapshotEntry {
  return {
    kind: 'snapshot',
    t: snapshot.t,
    tasks: task ? [task] : [],
    runningSet: snapshot.runningSet.filter((id) => id === jobId),
    runningInfo: snapshot.runningInfo.filter((id) => id === jobId),
  };
}
