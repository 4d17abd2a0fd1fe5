// reexecution: at-least-once allows a job to run again after a crash, a pause or a cut or slowed
// link — not while everything that ran it was healthy. Every start of a payload beyond a job's
// first (keyed by job, attempt AND executor: two executors starting the same attempt are two
// starts) must be explained by an effective fault, in place from two leases before the earlier of
// the two starts (a lapse, then a reclaim round) up to the later one, that can make a lease lapse
// on what ran them:
// - a kill, pause or restart of the worker that ran the first of the two, or a kill of its
//   executor; on the worker that runs the second only when it began before the first start. A
//   fault on an executor alone (a system with separate executors: its worker holds the job and its
//   lease while the executor runs the payload) explains it only when it could strike the first of
//   the two: a kill at or after that start, a pause still in place when it began. An executor
//   killed before that start ended nothing of it, and its worker kept the lease meanwhile (a
//   worker that stops renewing the lease when its executor dies, runs the job again and is taken
//   over, is not excused by the kill before its retry);
// - likewise a cut of a link that carries the worker or its executor (down, timeout, reset_peer,
//   limit_data: a command in flight fails, the worker leaves the job to the lease);
// - a slowed link that carries them, only when the delay is comparable to the lease: latency +
//   jitter (of every toxic nested on the link at one moment, added up) at least a quarter of it. Two slowed round trips stack before a worker's first renewal
//   (the delivery and its read of the job), and it renews every lease/3, so a lapse needs 2 ×
//   delay > 2/3 lease; the quarter leaves room for jitter elsewhere (found by the simulated soak:
//   a 998 ms downstream latency let a 2 s lease lapse). A narrow bandwidth can hold commands
//   without bound;
// - a Redis restart.
// Found by the simulation, each with a test: a worker cut off while the job was delivered to it
// holds it unstarted, another worker reclaims and runs it, and the first runs it when its link is
// back; a paused worker starts its delivery on waking, after another worker's later attempt.
// Faults on keepers and the front door cannot make a job run again.
//
// Starts are the harness's own record where it has one (PayloadStartEntry: the simulation's
// payload edge, live a wrapper around the payload process), not only the system's log: an
// executor that logs only some of its starts cannot hide a rerun. The system's log is a second
// witness: a start the harness saw that the log lacks is a violation (the reference executor
// logs before it spawns), unless a Redis restart may have lost the write.
//
// A system that gives every start an attempt of its own (ShapeEntry.attemptPerStart; the
// reference system, PROTOCOL.md) is also held to that: two starts the harness saw under one
// (job, attempt) are a violation, fault or not (a second start its log cannot tell from a
// repeated entry of the first), unless Redis was restarted or wiped between them (the counter may
// be lost).

import type { ExecutionEntry, History, NemesisEntry, PayloadStartEntry, Verdict } from '../history/types.ts';
import { effectOf, familyOf, stackedDelayOf, stepEnds } from './effects.ts';
import { Findings } from './findings.ts';
import { observe, type Observations } from './observations.ts';
import { hitsWorkers, rolesOf, type Roles } from './roles.ts';

type Start = ExecutionEntry | PayloadStartEntry;

export interface ReexecutionJudgment {
  /** starts under a later attempt than the job's first */
  reexecutions: number;
  /** of those, explained by a fault */
  explained: number;
  unexplained: { previous: Start; again: Start; workers: string[] }[];
  /** which witness the starts came from: the harness's own record, or the system's log alone */
  witness: 'harness' | 'system';
  /** starts the harness saw that the system's log does not have */
  unlogged: PayloadStartEntry[];
  /** two starts the harness saw under one (job, attempt), for a system that numbers every start (ShapeEntry.attemptPerStart) */
  sharedAttempts: { first: PayloadStartEntry; again: PayloadStartEntry }[];
}

/**
 * The executions log's times are its stream ids' milliseconds, floored: a start logged at ms M
 * happened somewhere in [M, M + 1). A fault that began before M + 1 may have come first.
 */
const LOG_RESOLUTION_MS = 1;

/** Whether an effective fault step can make a job that `workers` ran or run be delivered or run again (see the header). */
function canRerun(n: NemesisEntry, workers: readonly string[], roles: Roles, stacked: (n: NemesisEntry) => number): boolean {
  const hit = roles.hit(n);
  if (hit.kind === 'redis') return true;
  if (!hitsWorkers(hit, workers, roles)) return false;
  // a link cut (a command in flight resent) or slowed without bound; a delay only past a share of the lease (effects.ts)
  const effect = effectOf(n);
  if (hit.kind !== 'link' || effect === 'cuts' || effect === 'stalls') return true;
  if (effect !== 'delays') return false;
  // a history without a lease (written before it was recorded) cannot scale the delay
  if (roles.leaseMs === undefined) return true;
  // toxics nested on the link add up (effects.ts)
  return stacked(n) >= roles.leaseMs / 4;
}

const keyOf = (e: Start): string => `${e.jobId}\u0000${e.attempt}\u0000${e.executorId}`;

export function judgeReexecutions(obs: Observations): ReexecutionJudgment {
  const roles = rolesOf(obs);
  const witness = obs.payloadStarts.length > 0 ? 'harness' : 'system';
  const out: ReexecutionJudgment = { reexecutions: 0, explained: 0, unexplained: [], witness, unlogged: [], sharedAttempts: [] };
  const ends = stepEnds(obs.nemesis);
  const faults = obs.nemesis.filter((n) => n.type === 'start' && (n.outcome ?? 'ok') === 'ok');
  const lease = roles.leaseMs ?? 0;
  const stacked = (n: NemesisEntry) => stackedDelayOf(n, faults, ends);

  // the second witness: every start the harness saw is in the system's log (unless a restart of Redis may have lost it)
  if (witness === 'harness' && roles.evidence.executionsLog !== undefined) {
    const logged = new Set(obs.executions.map(keyOf));
    for (const p of obs.payloadStarts) {
      if (logged.has(keyOf(p))) continue;
      if (faults.some((n) => familyOf(n) === 'redis' && n.t >= p.t - lease)) continue;
      out.unlogged.push(p);
    }
  }

  // every start its own attempt: the harness's starts of one (job, attempt), unless Redis was restarted or wiped between them
  if (obs.shape?.attemptPerStart) {
    const firstOf = new Map<string, PayloadStartEntry>();
    for (const p of [...obs.payloadStarts].sort((a, b) => a.t - b.t)) {
      const key = `${p.jobId}\u0000${p.attempt}`;
      const first = firstOf.get(key);
      if (!first) firstOf.set(key, p);
      else if (!faults.some((n) => familyOf(n) === 'redis' && n.t <= p.t + LOG_RESOLUTION_MS && (ends.get(n.stepId) ?? Infinity) >= first.t)) out.sharedAttempts.push({ first, again: p });
    }
  }

  // each job's distinct starts by (attempt, executor), the first of each, in attempt order
  const byJob = new Map<string, Map<string, Start>>();
  for (const e of witness === 'harness' ? obs.payloadStarts : obs.executions) {
    let starts = byJob.get(e.jobId);
    if (!starts) byJob.set(e.jobId, (starts = new Map()));
    const key = keyOf(e);
    const seen = starts.get(key);
    if (!seen || e.t < seen.t) starts.set(key, e);
  }
  for (const [jobId, starts] of byJob) {
    const ordered = [...starts.values()].sort((a, b) => a.attempt - b.attempt || a.t - b.t);
    const life = jobLifeStart(obs, jobId, ordered[0]!.t);
    for (let i = 1; i < ordered.length; i++) {
      const previous = ordered[i - 1]!;
      const again = ordered[i]!;
      out.reexecutions++;
      // attempts can start out of order (a paused worker starts its delivery on waking)
      const later = Math.max(previous.t, again.t);
      // a lapse that let the first of the two be taken over began at most a lease (and a reclaim round) before it
      const from = roles.leaseMs === undefined ? life : Math.max(life, Math.min(previous.t, again.t) - 2 * lease);
      const [lost, taker] = [previous.executorId, again.executorId].map((id) => roles.workerOf(id) ?? id) as [string, string];
      const workers = [...new Set([lost, taker])];
      // a fault on what ran the first start lets its lease lapse; a fault on what runs the second
      // explains it only if it began before the first start (it held the job, undelivered or
      // paused, before the other took it), never a crash of a taker that took over a healthy job
      // an executor's own fault counts against the first start only if it could strike it: a kill
      // at or after that start, another fault still in place then (a kill's step lasts until its
      // heal, but it strikes once, when it begins)
      const struckFirst = (n: NemesisEntry) => roles.hit(n).kind !== 'executor'
        || (effectOf(n) === 'ends' ? n.t : (ends.get(n.stepId) ?? Infinity)) >= previous.t - LOG_RESOLUTION_MS;
      const explains = faults.some((n) => n.t < later + LOG_RESOLUTION_MS && (ends.get(n.stepId) ?? Infinity) >= from
        && ((canRerun(n, [lost], roles, stacked) && struckFirst(n)) || (canRerun(n, [taker], roles, stacked) && n.t < previous.t + LOG_RESOLUTION_MS)));
      if (explains) out.explained++;
      else out.unexplained.push({ previous, again, workers });
    }
  }
  return out;
}

/**
 * The earliest moment the job may have existed: its submit's invoke, its first decision, or its
 * first start. A job no answered submit lists (its task came from a submit whose answer was lost)
 * may have been written by any unanswered submit before it was first seen: its life begins at the
 * earliest of those (found by the simulated soak: such a job, enqueued before a 12 s Redis restart
 * and first seen after it, was run again by a worker that reclaimed it at once; its life had been
 * taken to begin at its first start, after the restart).
 */
function jobLifeStart(obs: Observations, jobId: string, firstStart: number): number {
  const record = obs.jobsById.get(jobId);
  const times = [firstStart, record?.origin?.submit.invoke.t, record?.steps[0]?.t].filter((t): t is number => t !== undefined);
  const seen = Math.min(...times);
  if (record?.origin) return seen;
  const unanswered = obs.submits.filter((s) => (s.outcome === 'info' || s.outcome === 'pending') && s.invoke.t <= seen).map((s) => s.invoke.t);
  return Math.min(seen, ...unanswered);
}

export function reexecution(_history: History, obs: Observations = observe(_history)): Verdict {
  const findings = new Findings();
  const j = judgeReexecutions(obs);
  for (const { previous, again, workers } of j.unexplained) {
    findings.add(() => ({
      message: `job ${again.jobId}: run again as attempt ${again.attempt} by ${again.executorId} at t=${again.t}ms after attempt ${previous.attempt} by ${previous.executorId} began at t=${previous.t}ms, with no fault on ${workers.join(' or ')} (process, executor, a link that carries them: cut, or slowed comparably to the lease) or Redis in between`,
      jobId: again.jobId,
      at: again.t,
      entries: [previous, again],
    }));
  }
  for (const p of j.unlogged) {
    findings.add(() => ({
      message: `job ${p.jobId}: the harness saw ${p.executorId} start attempt ${p.attempt} at t=${p.t}ms, but the system's executions log has no such start (no Redis restart could have lost it)`,
      jobId: p.jobId,
      at: p.t,
      entries: [p],
    }));
  }
  for (const { first, again } of j.sharedAttempts) {
    findings.add(() => ({
      message: `job ${again.jobId}: attempt ${again.attempt} started twice, by ${first.executorId} at t=${first.t}ms and by ${again.executorId} at t=${again.t}ms (the harness saw both payloads start), with no Redis restart or wipe between: the system promises every start an attempt of its own`,
      jobId: again.jobId,
      at: again.t,
      entries: [first, again],
    }));
  }
  return findings.verdict('reexecution', { reexecutions: j.reexecutions, explained: j.explained, unlogged: j.unlogged.length, sharedAttempts: j.sharedAttempts.length, harnessWitness: j.witness === 'harness' ? 1 : 0 });
}
