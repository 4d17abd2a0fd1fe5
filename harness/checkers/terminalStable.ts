// terminal-stable: once a job is completed, failed or cancelled, nothing changes it —
// not in the transition log, not in any client read, not in the final snapshot.

import type { ClientEntry, History, TransitionEntry, Verdict } from '../history/types.ts';
import { describeTransition, Findings, snapshotExcerpt } from './findings.ts';
import { observe, type Observations, type ReadOp } from './observations.ts';
import { isTerminal } from './spec.ts';

interface ReadOfJob {
  state: string;
  /** invoke time; -Infinity when the invoke is missing (it could have been any time) */
  invokeT: number;
  okT: number;
  read: ReadOp;
}

const readEntries = (r: ReadOp): ClientEntry[] => (r.invoke ? [r.invoke, r.ok] : [r.ok]);

function describeRead(r: ReadOfJob): string {
  const from = Number.isFinite(r.invokeT) ? `t=${r.invokeT}..${r.okT}ms` : `ok t=${r.okT}ms`;
  return `read by ${r.read.ok.process} (op ${r.read.ok.opId}, ${from})`;
}

export function terminalStable(history: History, obs: Observations = observe(history)): Verdict {
  const findings = new Findings();
  let logOverwrites = 0;
  let readOverwrites = 0;
  let snapshotDisagreements = 0;

  // (a) transition log: after the first applied terminal transition, nothing else applies.
  const firstTerminal = new Map<string, TransitionEntry>();
  for (const [jobId, applied] of obs.appliedByJob) {
    let terminal: TransitionEntry | undefined;
    for (const e of applied) {
      if (terminal) {
        logOverwrites++;
        findings.add({
          message: `job ${jobId}: applied ${describeTransition(e)} after terminal ${terminal.to} at t=${terminal.t}ms (logId ${terminal.logId})`,
          jobId,
          at: e.t,
          entries: [terminal, e],
        });
      } else if (isTerminal(e.to)) {
        terminal = e;
        firstTerminal.set(jobId, e);
      }
    }
  }

  // (b) client reads: a read invoked after another read returned terminal S must show S.
  const readsByJob = new Map<string, ReadOfJob[]>();
  for (const read of obs.reads) {
    for (const job of read.task.jobs) {
      let list = readsByJob.get(job.jobId);
      if (!list) readsByJob.set(job.jobId, (list = []));
      list.push({ state: job.state, invokeT: read.invoke?.t ?? -Infinity, okT: read.ok.t, read });
    }
  }
  const firstTerminalRead = new Map<string, Map<string, ReadOfJob>>();
  for (const [jobId, list] of readsByJob) {
    const terminalReads = list.filter((r) => isTerminal(r.state)).sort((a, b) => a.okT - b.okT);
    if (terminalReads.length === 0) continue;
    const byInvoke = [...list].sort((a, b) => a.invokeT - b.invokeT);
    // earliest completed read of each terminal state seen so far (at most three)
    const earliest = new Map<string, ReadOfJob>();
    let next = 0;
    for (const r of byInvoke) {
      while (next < terminalReads.length && terminalReads[next].okT < r.invokeT) {
        const seen = terminalReads[next++];
        if (!earliest.has(seen.state)) earliest.set(seen.state, seen);
      }
      for (const [state, before] of earliest) {
        if (state === r.state) continue;
        readOverwrites++;
        findings.add({
          message: `job ${jobId} (task ${r.read.task.taskId}): ${describeRead(r)} showed ${r.state} after ${describeRead(before)} showed terminal ${state}`,
          jobId,
          taskId: r.read.task.taskId,
          at: r.okT,
          entries: [...readEntries(before.read), ...readEntries(r.read)],
        });
        break;
      }
    }
    const states = new Map<string, ReadOfJob>();
    for (const r of terminalReads) if (!states.has(r.state)) states.set(r.state, r);
    firstTerminalRead.set(jobId, states);
  }

  // (c) the snapshot agrees with every terminal state ever read or applied.
  const snapshot = obs.snapshot;
  if (snapshot) {
    for (const [jobId, states] of firstTerminalRead) {
      const inSnapshot = obs.snapshotJobs.get(jobId);
      for (const [state, r] of states) {
        if (inSnapshot?.job.state === state) continue;
        snapshotDisagreements++;
        const now = inSnapshot ? `has ${inSnapshot.job.state}` : 'has no such job';
        findings.add(() => ({
          message: `job ${jobId} (task ${r.read.task.taskId}): snapshot at t=${snapshot.t}ms ${now} but ${describeRead(r)} showed terminal ${state}`,
          jobId,
          taskId: r.read.task.taskId,
          at: snapshot.t,
          entries: [...readEntries(r.read), snapshotExcerpt(snapshot, inSnapshot?.task, jobId)],
        }));
      }
    }
    for (const [jobId, terminal] of firstTerminal) {
      const inSnapshot = obs.snapshotJobs.get(jobId);
      if (inSnapshot?.job.state === terminal.to) continue;
      snapshotDisagreements++;
      const now = inSnapshot ? `has ${inSnapshot.job.state}` : 'has no such job';
      findings.add(() => ({
        message: `job ${jobId}: snapshot at t=${snapshot.t}ms ${now} but the log applied terminal ${describeTransition(terminal)}`,
        jobId,
        taskId: inSnapshot?.task.taskId,
        at: snapshot.t,
        entries: [terminal, snapshotExcerpt(snapshot, inSnapshot?.task, jobId)],
      }));
    }
  }

  return findings.verdict('terminalStable', {
    jobsInLog: obs.appliedByJob.size,
    jobsRead: readsByJob.size,
    logOverwrites,
    readOverwrites,
    snapshotDisagreements,
  });
}
