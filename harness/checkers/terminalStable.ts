// terminal-stable: once a job is completed, failed or cancelled, nothing changes it —
// not in the transition log, not in any client read, not in the final snapshot.

import type { ClientEntry, History, JobView, TransitionEntry, Verdict } from '../history/types.ts';
import { describeTransition, Findings, snapshotExcerpt } from './findings.ts';
import { observe, type JobRecord, type Observations, type ReadOp, type Step } from './observations.ts';
import { isTerminal } from './spec.ts';

const TERMINAL = ['completed', 'failed', 'cancelled'] as const;
type Terminal = (typeof TERMINAL)[number];
/** per terminal state, the read of it that returned first (a plain object: one per job) */
type EarliestReads = Partial<Record<Terminal, ReadOp>>;

const readEntries = (r: ReadOp): ClientEntry[] => (r.invoke ? [r.invoke, r.ok] : [r.ok]);

function describeRead(r: ReadOp): string {
  const when = r.invoke ? `t=${r.invoke.t}..${r.ok.t}ms` : `ok t=${r.ok.t}ms`;
  return `read by ${r.ok.process} (op ${r.ok.opId}, ${when})`;
}

const describeSnapshotState = (r: JobRecord): string => (r.inSnapshot ? `has ${r.inSnapshot.job.state}` : 'has no such job');

export function terminalStable(history: History, obs: Observations = observe(history)): Verdict {
  const findings = new Findings();
  let logOverwrites = 0;
  let readOverwrites = 0;
  let snapshotDisagreements = 0;

  // (a) transition log: after the first applied terminal transition, nothing else applies.
  const firstTerminal: (Step | undefined)[] = new Array(obs.jobs.length);
  for (const { jobId, index, steps } of obs.jobs) {
    let terminal: TransitionEntry | undefined;
    for (const step of steps) {
      if (!step.applied) continue;
      const e = step.entry;
      if (terminal) {
        logOverwrites++;
        const before = terminal;
        findings.add(() => ({
          message: `job ${jobId}: applied ${describeTransition(e)} after terminal ${before.to} at t=${before.t}ms (logId ${before.logId})`,
          jobId,
          at: e.t,
          entries: [before, e],
        }));
      } else if (isTerminal(step.to)) {
        terminal = e;
        firstTerminal[index] = step;
      }
    }
  }

  // (b) client reads: once a read returned terminal S, every read invoked after that return
  // must show S. Only the earliest-returning read of each terminal state matters, so one
  // pass finds those and a second pass checks every read against them.
  const terminalReads: (EarliestReads | undefined)[] = new Array(obs.jobs.length);
  let anyTerminalRead = false;
  for (const read of obs.reads) {
    const jobs = read.task.jobs;
    for (let i = 0; i < jobs.length; i++) {
      const state = jobs[i].state;
      if (!isTerminal(state)) continue;
      const index = read.records[i].index;
      const byState = (terminalReads[index] ??= {});
      const seen = byState[state as Terminal];
      if (!seen || read.okT < seen.okT) byState[state as Terminal] = read;
      anyTerminalRead = true;
    }
  }
  const checkRead = (read: ReadOp, job: JobView, byState: EarliestReads): void => {
    for (const state of TERMINAL) {
      const before = byState[state];
      if (!before || state === job.state || !(before.okT < read.invokeT)) continue;
      readOverwrites++;
      findings.add(() => ({
        message: `job ${job.jobId} (task ${read.task.taskId}): ${describeRead(read)} showed ${job.state} after ${describeRead(before)} showed terminal ${state}`,
        jobId: job.jobId,
        taskId: read.task.taskId,
        at: read.okT,
        entries: [...readEntries(before), ...readEntries(read)],
      }));
      return;
    }
  };
  if (anyTerminalRead) {
    for (const read of obs.reads) {
      const jobs = read.task.jobs;
      for (let i = 0; i < jobs.length; i++) {
        const byState = terminalReads[read.records[i].index];
        if (byState) checkRead(read, jobs[i], byState);
      }
    }
  }

  // (c) the snapshot agrees with every terminal state ever read or applied.
  const snapshot = obs.snapshot;
  if (snapshot) {
    for (const record of obs.jobs) {
      const { jobId, index, inSnapshot } = record;
      const byState = terminalReads[index];
      if (byState) {
        for (const state of TERMINAL) {
          const r = byState[state];
          if (!r || inSnapshot?.job.state === state) continue;
          snapshotDisagreements++;
          findings.add(() => ({
            message: `job ${jobId} (task ${r.task.taskId}): snapshot at t=${snapshot.t}ms ${describeSnapshotState(record)} but ${describeRead(r)} showed terminal ${state}`,
            jobId,
            taskId: r.task.taskId,
            at: snapshot.t,
            entries: [...readEntries(r), snapshotExcerpt(snapshot, inSnapshot?.task, jobId)],
          }));
        }
      }
      const step = firstTerminal[index];
      if (!step || inSnapshot?.job.state === step.to) continue;
      const terminal = step.entry;
      snapshotDisagreements++;
      findings.add(() => ({
        message: `job ${jobId}: snapshot at t=${snapshot.t}ms ${describeSnapshotState(record)} but the log applied terminal ${describeTransition(terminal)}`,
        jobId,
        taskId: inSnapshot?.task.taskId,
        at: snapshot.t,
        entries: [terminal, snapshotExcerpt(snapshot, inSnapshot?.task, jobId)],
      }));
    }
  }

  return findings.verdict('terminalStable', { logOverwrites, readOverwrites, snapshotDisagreements });
}
