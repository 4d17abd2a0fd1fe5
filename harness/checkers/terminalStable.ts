// terminal-stable: once a job is completed, failed or cancelled, nothing changes it —
// not in the transition log, not in any client read, not in the final snapshot. In client reads
// and the snapshot that holds for its result too: a read (or the snapshot) that shows the
// terminal state an earlier read showed shows the same exit code, output, reason and duration
// (those both carry).
//
// The log is the system's own account of itself, so it is not trusted alone: every client
// read and the snapshot (read by the harness from Redis) are held against it. A read that
// began after the log's terminal decision (plus a margin for the two clocks) must show that
// decision; the snapshot must show the log's last applied state. A write the log does not
// record is caught there.
//
// A step that erased Redis (erasure.ts) may take a job submitted before it, with its state and
// its log: the final snapshot is not held to what a read or the log saw of such a job before the
// erasure healed, nor is a later read or log decision held to it once that erasure had begun.
// What was seen after, and every job submitted after, is held in full.

import type { ClientEntry, History, JobView, SnapshotEntry, TransitionEntry, Unreadable, Verdict } from '../history/types.ts';
import { Erasures } from './erasure.ts';
import { describeTransition, Findings, snapshotExcerpt } from './findings.ts';
import { observe, type JobRecord, type Observations, type ReadOp, type Step } from './observations.ts';
import { rolesOf } from './roles.ts';
import { mayHide, unread } from './unreadable.ts';
import { INITIAL_STATE, isTerminal } from './spec.ts';

const TERMINAL = ['completed', 'failed', 'cancelled'] as const;
type Terminal = (typeof TERMINAL)[number];
/** per terminal state, the read of it that returned first (a plain object: one per job) */
type EarliestReads = Partial<Record<Terminal, ReadOp>>;

// Log times come from Redis's clock (stream ids, whole ms), read times from the harness's; live
// both are this machine's clock, placed on one timeline. A read must have begun the shape entry's
// clock margin after the log's decision before it is held to it (0 in simulation: one clock).

const readEntries = (r: ReadOp): ClientEntry[] => (r.invoke ? [r.invoke, r.ok] : [r.ok]);

function describeRead(r: ReadOp): string {
  const when = r.invoke ? `t=${r.invoke.t}..${r.ok.t}ms` : `ok t=${r.ok.t}ms`;
  return `read by ${r.ok.process} (op ${r.ok.opId}, ${when})`;
}

const describeSnapshotState = (r: JobRecord): string => (r.inSnapshot ? `has ${r.inSnapshot.job.state}` : 'has no such job');

/** What one pass of the checker counts, and the findings it adds to (one list, in the order of the steps). */
interface Judgment {
  findings: Findings;
  logOverwrites: number;
  readOverwrites: number;
  /** reads that showed a job in the terminal state an earlier read showed, with another result (exit code, output, reason, duration) */
  resultOverwrites: number;
  /** jobs whose rewritten result a read already showed (the snapshot is not held to it again) */
  rewritten: Set<string>;
  readsBehindLog: number;
  snapshotDisagreements: number;
  undecided: number;
  /** disagreements of the snapshot with what was seen of a job before an erasure that may have taken it: excused */
  erased: number;
}

/**
 * The log's account of each job, by JobRecord.index: its applied terminal decisions that each
 * began an account (the first, and the first after an erasure that may have taken the earlier
 * one), and its last applied transition.
 */
interface LogAccount {
  terminals: (Step[] | undefined)[];
  lastApplied: (Step | undefined)[];
}

/** (a) transition log: after the first applied terminal transition, nothing else applies. */
function checkLog(obs: Observations, erasures: Erasures, j: Judgment): LogAccount {
  const terminals: (Step[] | undefined)[] = new Array(obs.jobs.length);
  const lastApplied: (Step | undefined)[] = new Array(obs.jobs.length);
  for (const record of obs.jobs) {
    const { jobId, index, steps } = record;
    let terminal: TransitionEntry | undefined;
    for (const step of steps) {
      if (!step.applied) continue;
      lastApplied[index] = step;
      const e = step.entry;
      if (terminal && erasures.mayEraseBetween(record, terminal.t, e.t + erasures.marginMs)) {
        // the terminal state may have been erased: what follows is a new account of the job
        j.erased++;
        terminal = isTerminal(step.to) ? e : undefined;
        if (terminal) (terminals[index] ??= []).push(step);
      } else if (terminal) {
        j.logOverwrites++;
        const before = terminal;
        j.findings.add(() => ({
          message: `job ${jobId}: applied ${describeTransition(e)} after terminal ${before.to} at t=${before.t}ms (logId ${before.logId})`,
          jobId,
          at: e.t,
          entries: [before, e],
        }));
      } else if (isTerminal(step.to)) {
        terminal = e;
        (terminals[index] ??= []).push(step);
      }
    }
  }
  return { terminals, lastApplied };
}

/** Per job (by JobRecord.index), the earliest-returning read of each terminal state; `any`: whether there is one at all. */
function earliestTerminalReads(obs: Observations): { terminalReads: (EarliestReads | undefined)[]; any: boolean } {
  const terminalReads: (EarliestReads | undefined)[] = new Array(obs.jobs.length);
  let any = false;
  for (const read of obs.reads) {
    const jobs = read.task.jobs;
    for (let i = 0; i < jobs.length; i++) {
      const state = jobs[i].state;
      if (!isTerminal(state)) continue;
      const index = read.records[i].index;
      const byState = (terminalReads[index] ??= {});
      const seen = byState[state as Terminal];
      if (!seen || read.okT < seen.okT) byState[state as Terminal] = read;
      any = true;
    }
  }
  return { terminalReads, any };
}

/**
 * What a finished job's result is made of besides its state: each compared between two reads
 * only when both carry it (a system's API may not show some; the reference system shows all four).
 */
const RESULT = ['exitCode', 'output', 'reason', 'durationMs'] as const;

/** The first result field that differs between two views of one job in one terminal state, described; undefined when none does. */
export function resultChange(before: JobView, after: JobView): string | undefined {
  for (const f of RESULT) {
    const a = before[f];
    const b = after[f];
    if (a === undefined || b === undefined || a === b) continue;
    return `its ${f} from ${JSON.stringify(a)} to ${JSON.stringify(b)}`;
  }
  return undefined;
}

/**
 * One read of one job against the earliest terminal reads of it: the first terminal state it fails
 * to show is reported; a read that shows the same terminal state must show the same result (a late
 * outcome that rewrites a finished job's output, exit code, reason or duration overwrote it too).
 */
function checkRead(read: ReadOp, record: JobRecord, job: JobView, byState: EarliestReads, erasures: Erasures, j: Judgment): void {
  for (const state of TERMINAL) {
    const before = byState[state];
    if (!before || !(before.okT < read.invokeT)) continue;
    const seen = state === job.state ? before.task.jobs.find((x) => x.jobId === job.jobId) : undefined;
    const change = seen ? resultChange(seen, job) : undefined;
    if (state === job.state && !change) continue;
    // seen before an erasure that may have taken the job, which had begun by this read's answer
    if (erasures.mayEraseBetween(record, before.invokeT, read.okT)) {
      j.erased++;
      continue;
    }
    if (change) {
      j.resultOverwrites++;
      j.rewritten.add(job.jobId);
      j.findings.add(() => ({
        message: `job ${job.jobId} (task ${read.task.taskId}): ${describeRead(read)} showed ${state} with ${change}, after ${describeRead(before)} showed it ${state}: a finished job's result was rewritten`,
        jobId: job.jobId,
        taskId: read.task.taskId,
        at: read.okT,
        entries: [...readEntries(before), ...readEntries(read)],
      }));
      return;
    }
    j.readOverwrites++;
    j.findings.add(() => ({
      message: `job ${job.jobId} (task ${read.task.taskId}): ${describeRead(read)} showed ${job.state} after ${describeRead(before)} showed terminal ${state}`,
      jobId: job.jobId,
      taskId: read.task.taskId,
      at: read.okT,
      entries: [...readEntries(before), ...readEntries(read)],
    }));
    return;
  }
}

/**
 * (b) client reads: once a read returned terminal S, every read invoked after that return
 * must show S. Only the earliest-returning read of each terminal state matters, so one
 * pass finds those (earliestTerminalReads) and a second pass checks every read against them.
 */
function checkReadsAgainstReads(obs: Observations, terminalReads: (EarliestReads | undefined)[], erasures: Erasures, j: Judgment): void {
  for (const read of obs.reads) {
    const jobs = read.task.jobs;
    for (let i = 0; i < jobs.length; i++) {
      const byState = terminalReads[read.records[i].index];
      if (byState) checkRead(read, read.records[i], jobs[i], byState, erasures, j);
    }
  }
}

/** The log's terminal decision a read must show, if it disagrees with one: the latest begun before it (and the clock margin). */
function terminalBehind(steps: readonly Step[] | undefined, state: string, invokeT: number, clockMarginMs: number): Step | undefined {
  let decided: Step | undefined;
  for (const step of steps ?? []) if (invokeT > step.t + clockMarginMs) decided = step;
  return decided && decided.to !== state ? decided : undefined;
}

/** (b') client reads against the log: a read that began after the log's terminal decision (and the clock margin) shows that state. */
function checkReadsAgainstLog(obs: Observations, log: LogAccount, clockMarginMs: number, erasures: Erasures, j: Judgment): void {
  for (const read of obs.reads) {
    const jobs = read.task.jobs;
    for (let i = 0; i < jobs.length; i++) {
      const step = terminalBehind(log.terminals[read.records[i].index], jobs[i].state, read.invokeT, clockMarginMs);
      if (!step) continue;
      // decided before an erasure that may have taken the job, which had begun by this read's answer
      if (erasures.mayEraseBetween(read.records[i], step.t, read.okT)) {
        j.erased++;
        continue;
      }
      j.readsBehindLog++;
      const job = jobs[i];
      const terminal = step.entry;
      j.findings.add(() => ({
        message: `job ${job.jobId} (task ${read.task.taskId}): ${describeRead(read)} showed ${job.state}, begun after the log applied terminal ${describeTransition(terminal)}`,
        jobId: job.jobId,
        taskId: read.task.taskId,
        at: read.okT,
        entries: [terminal, ...readEntries(read)],
      }));
    }
  }
}

/**
 * (c) the snapshot agrees with every terminal state ever read of one job, and where it shows that
 * state, with the result the first read of it showed (a result rewritten after the client's
 * last read is seen here; one a read already showed rewritten is reported once, there).
 */
function checkSnapshotAgainstReads(record: JobRecord, byState: EarliestReads, snapshot: SnapshotEntry, unreadable: readonly Unreadable[], erasures: Erasures, j: Judgment): void {
  const { jobId, inSnapshot } = record;
  for (const state of TERMINAL) {
    const r = byState[state];
    if (!r) continue;
    const seen = inSnapshot?.job.state === state ? r.task.jobs.find((x) => x.jobId === jobId) : undefined;
    const change = seen && !j.rewritten.has(jobId) ? resultChange(seen, inSnapshot!.job) : undefined;
    if (inSnapshot?.job.state === state && !change) continue;
    // read before an erasure that may have taken the job had healed
    if (erasures.mayEraseJobAfter(record, r.invokeT)) {
      j.erased++;
      continue;
    }
    if (!inSnapshot && unreadable.length > 0) {
      j.undecided++; // absent, but maybe only unread
      continue;
    }
    if (change) {
      j.resultOverwrites++;
      j.findings.add(() => ({
        message: `job ${jobId} (task ${r.task.taskId}): snapshot at t=${snapshot.t}ms shows ${state} with ${change}, after ${describeRead(r)} showed it ${state}: a finished job's result was rewritten`,
        jobId,
        taskId: r.task.taskId,
        at: snapshot.t,
        entries: [...readEntries(r), snapshotExcerpt(snapshot, inSnapshot?.task, jobId)],
      }));
      continue;
    }
    j.snapshotDisagreements++;
    j.findings.add(() => ({
      message: `job ${jobId} (task ${r.task.taskId}): snapshot at t=${snapshot.t}ms ${describeSnapshotState(record)} but ${describeRead(r)} showed terminal ${state}`,
      jobId,
      taskId: r.task.taskId,
      at: snapshot.t,
      entries: [...readEntries(r), snapshotExcerpt(snapshot, inSnapshot?.task, jobId)],
    }));
  }
}

/** The state the log says a job's snapshot must show, when the snapshot shows another. */
interface LogExpectation {
  state: string;
  step: Step | undefined;
  what: string;
  terminal: boolean;
}

/** The log's terminal decision (the latest account's), then its last applied state: each reported once. */
function logExpectation(record: JobRecord, log: LogAccount): LogExpectation | undefined {
  const { index, inSnapshot } = record;
  const first = log.terminals[index]?.at(-1);
  const last = log.lastApplied[index];
  const logState = last ? last.to : INITIAL_STATE;
  if (first && inSnapshot?.job.state !== first.to) return { state: first.to, step: first, what: 'the log applied terminal', terminal: true };
  if (inSnapshot && inSnapshot.job.state !== logState) return { state: logState, step: last, what: "the log's last applied state is", terminal: false };
  return undefined;
}

/**
 * Whether a disagreement of the snapshot with the log may be no violation: the job absent while
 * a key that could hold it was unread, or a snapshot ahead of a log that was unread or not
 * heard throughout.
 */
function disagreementUndecided(record: JobRecord, expected: LogExpectation, snapshot: SnapshotEntry, unreadable: readonly Unreadable[], logUnread: boolean): boolean {
  // absent, but maybe only unread
  if (!record.inSnapshot && mayHide(unreadable, record.jobId, record.origin?.submit.taskId)) return true;
  // the log itself could not be read: a snapshot ahead of it is no evidence of an unlogged write
  if (!expected.terminal && logUnread) return true;
  // a log heard while the system published it (logGaps): a snapshot ahead of it may only be
  // a change published while the harness was not listening, no write the log failed to record
  if (!expected.terminal && snapshot.logGaps?.length) return true;
  return false;
}

/** (c) the snapshot agrees with the log's last applied state of one job (the snapshot and the log are one cut: they must describe the same state). */
function checkSnapshotAgainstLog(record: JobRecord, log: LogAccount, snapshot: SnapshotEntry, unreadable: readonly Unreadable[], logUnread: boolean, erasures: Erasures, j: Judgment): void {
  const expected = logExpectation(record, log);
  if (!expected) return;
  // the log decided before an erasure that may have taken the job had healed (the log read back after one holds only what followed it)
  if (erasures.mayEraseJobAfter(record, expected.step ? expected.step.t : -Infinity)) {
    j.erased++;
    return;
  }
  if (disagreementUndecided(record, expected, snapshot, unreadable, logUnread)) {
    j.undecided++;
    return;
  }
  const { jobId, inSnapshot } = record;
  const first = log.terminals[record.index]?.at(-1);
  const { step, what } = expected;
  j.snapshotDisagreements++;
  j.findings.add(() => ({
    message: `job ${jobId}: snapshot at t=${snapshot.t}ms ${describeSnapshotState(record)} but ${what} ${
      step ? describeTransition(step.entry) : `${INITIAL_STATE} (nothing applied)`
    }${inSnapshot && step !== first ? ': a write the log does not record' : ''}`,
    jobId,
    taskId: inSnapshot?.task.taskId,
    at: snapshot.t,
    entries: [...(step ? [step.entry] : []), snapshotExcerpt(snapshot, inSnapshot?.task, jobId)],
  }));
}

/** Nothing found, but part of the final state could not be read (the log, or jobs it finished), or the log was not heard throughout. */
function undecidedVerdict(snapshot: SnapshotEntry | undefined, unreadable: readonly Unreadable[], j: Judgment): Verdict {
  const { logOverwrites, readOverwrites, readsBehindLog, snapshotDisagreements, undecided } = j;
  const gaps = (snapshot?.logGaps ?? []).map((g) => ({ message: `the harness was not listening to the system's events from t=${Math.round(g.from)} to ${Math.round(g.to)}ms: a change published then is not in the log` }));
  return {
    checker: 'terminalStable',
    valid: 'unknown',
    evidence: [...unreadable.map((u) => ({ message: `could not read ${u.key}: ${u.error}`, jobId: u.jobId, taskId: u.taskId })), ...gaps],
    stats: { violations: 0, logOverwrites, readOverwrites, readsBehindLog, snapshotDisagreements, undecided },
  };
}

export function terminalStable(history: History, obs: Observations = observe(history)): Verdict {
  const j: Judgment = { findings: new Findings(), logOverwrites: 0, readOverwrites: 0, resultOverwrites: 0, rewritten: new Set(), readsBehindLog: 0, snapshotDisagreements: 0, undecided: 0, erased: 0 };
  const erasures = new Erasures(obs);
  const unreadable = obs.snapshot?.unreadable ?? [];
  const roles = rolesOf(obs);
  const logUnread = unread(unreadable, roles.evidence.transitionLog);

  const log = checkLog(obs, erasures, j);
  const { terminalReads, any: anyTerminalRead } = earliestTerminalReads(obs);
  if (anyTerminalRead) checkReadsAgainstReads(obs, terminalReads, erasures, j);
  checkReadsAgainstLog(obs, log, roles.clockMarginMs, erasures, j);
  const snapshot = obs.snapshot;
  if (snapshot) {
    for (const record of obs.jobs) {
      const byState = terminalReads[record.index];
      if (byState) checkSnapshotAgainstReads(record, byState, snapshot, unreadable, erasures, j);
      checkSnapshotAgainstLog(record, log, snapshot, unreadable, logUnread, erasures, j);
    }
  }

  if (j.findings.count === 0 && (j.undecided > 0 || logUnread)) return undecidedVerdict(snapshot, unreadable, j);
  const { logOverwrites, readOverwrites, resultOverwrites, readsBehindLog, snapshotDisagreements, undecided } = j;
  return j.findings.verdict('terminalStable', { logOverwrites, readOverwrites, resultOverwrites, readsBehindLog, snapshotDisagreements, undecided, ...(erasures.any ? { erasedExcused: j.erased } : {}) });
}
