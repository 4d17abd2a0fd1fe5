// Per-job timelines for the report's failure sections: every event of one job in the
// failing run's history (client ops, keeper decisions, executions, overlapping faults),
// so a reader can follow how a terminal state was overwritten or a job was lost.

import type { History, HistoryEntry, Verdict } from '../history/types.ts';

export interface TimelineRow {
  t: number;
  kind: 'client' | 'transition' | 'execution' | 'nemesis' | 'snapshot';
  /** who: client process, source/sourceId, executor id, nemesis */
  source: string;
  /** what happened, e.g. "completed: running → completed" */
  event: string;
  attempt: number | null;
  /** applied / ignored (reason) for keeper decisions, outcome for client ops */
  outcome: string;
  ignored: boolean;
}

export interface JobTimeline {
  jobId: string;
  taskId?: string;
  taskDescription?: string;
  jobDescription?: string;
  rows: TimelineRow[];
  /** rows dropped beyond the limit */
  omitted: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function jobIdOf(e: HistoryEntry): string | undefined {
  return e.kind === 'transition' || e.kind === 'execution' ? e.jobId : undefined;
}

/** Jobs the failing checkers name in their evidence, in order of first mention. */
export function jobsNamedIn(verdicts: readonly Verdict[]): string[] {
  const seen = new Set<string>();
  for (const v of verdicts) {
    if (v.valid !== false) continue;
    for (const ev of v.evidence) {
      if (ev.jobId) seen.add(ev.jobId);
      for (const e of ev.entries ?? []) {
        const id = jobIdOf(e);
        if (id) seen.add(id);
      }
    }
  }
  return [...seen];
}

interface Origin {
  taskId?: string;
  taskDescription?: string;
  jobDescription?: string;
  invoke?: HistoryEntry & { kind: 'client' };
  ok?: HistoryEntry & { kind: 'client' };
}

/** The submission that created the job: the submit ok listing it, with its invoke (same process and opId). */
function originOf(history: History, jobId: string): Origin {
  for (const ok of history) {
    if (ok.kind !== 'client' || ok.f !== 'submit' || ok.type !== 'ok' || !isObject(ok.value)) continue;
    const jobIds = ok.value.jobIds;
    if (!Array.isArray(jobIds) || !jobIds.includes(jobId)) continue;
    const invoke = history.find((e): e is HistoryEntry & { kind: 'client' } =>
      e.kind === 'client' && e.type === 'invoke' && e.f === 'submit' && e.opId === ok.opId && e.process === ok.process);
    const request = isObject(invoke?.value) ? invoke.value : {};
    const jobs = Array.isArray(request.jobs) ? request.jobs : [];
    const spec = jobs[jobIds.indexOf(jobId)];
    return {
      taskId: str(ok.value.taskId),
      taskDescription: str(request.description),
      jobDescription: isObject(spec) ? str(spec.description) : undefined,
      invoke,
      ok,
    };
  }
  return {};
}

function jobInTask(value: unknown, jobId: string): Json | undefined {
  if (!isObject(value) || !Array.isArray(value.jobs)) return undefined;
  return value.jobs.find((j): j is Json => isObject(j) && j.jobId === jobId);
}

function attemptOf(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}

export function jobTimeline(history: History, jobId: string, maxRows = 200): JobTimeline {
  const origin = originOf(history, jobId);
  const rows: TimelineRow[] = [];
  let lastReadState: string | undefined;
  for (const e of history) {
    switch (e.kind) {
      case 'client': {
        if (e === origin.invoke) {
          rows.push({ t: e.t, kind: 'client', source: e.process, event: 'submit invoke', attempt: null, outcome: '', ignored: false });
        } else if (e === origin.ok) {
          rows.push({ t: e.t, kind: 'client', source: e.process, event: `submit ok: task ${origin.taskId ?? '?'}`, attempt: null, outcome: 'acknowledged', ignored: false });
        } else if (e.f === 'read' && e.type === 'ok') {
          const view = jobInTask(e.value, jobId);
          const state = str(view?.state);
          // polling repeats itself: show a read only when it saw a new state
          if (view && state !== lastReadState) {
            lastReadState = state;
            rows.push({ t: e.t, kind: 'client', source: e.process, event: `read: ${state ?? '?'}`, attempt: attemptOf(view.attempt), outcome: 'ok', ignored: false });
          }
        } else if (e.f === 'cancel') {
          const target = isObject(e.value) ? e.value.jobId : undefined;
          const invoked = e.type === 'invoke' && target === jobId;
          const answered = e.type !== 'invoke' && history.some((i) => i.kind === 'client' && i.type === 'invoke' && i.f === 'cancel' && i.opId === e.opId && i.process === e.process && isObject(i.value) && i.value.jobId === jobId);
          if (invoked || answered) {
            const error = isObject(e.value) ? str(e.value.error) : undefined;
            rows.push({ t: e.t, kind: 'client', source: e.process, event: `cancel ${e.type}`, attempt: null, outcome: error ?? '', ignored: false });
          }
        }
        break;
      }
      case 'transition':
        if (e.jobId === jobId) {
          rows.push({
            t: e.t,
            kind: 'transition',
            source: `${e.source}/${e.sourceId}`,
            event: `${e.type}: ${e.from} → ${e.to}`,
            attempt: e.attempt,
            outcome: e.decision === 'applied' ? `applied by ${e.keeper}` : `ignored by ${e.keeper} (${e.reason})`,
            ignored: e.decision !== 'applied',
          });
        }
        break;
      case 'execution':
        if (e.jobId === jobId) rows.push({ t: e.t, kind: 'execution', source: e.executorId, event: 'payload started', attempt: e.attempt, outcome: '', ignored: false });
        break;
      case 'payload':
        if (e.jobId === jobId) rows.push({ t: e.t, kind: 'execution', source: e.executorId, event: 'payload started (seen by the harness)', attempt: e.attempt, outcome: '', ignored: false });
        break;
      case 'snapshot': {
        const job = e.tasks.flatMap((task) => task.jobs).find((j) => j.jobId === jobId);
        const inRunningSet = e.runningSet.includes(jobId);
        if (job || inRunningSet) {
          rows.push({
            t: e.t,
            kind: 'snapshot',
            source: 'snapshot',
            event: `${e.first ? 'first snapshot' : 'final state'}: ${job?.state ?? 'missing'}`,
            attempt: job?.attempt ?? null,
            outcome: inRunningSet ? 'in running set' : 'not in running set',
            ignored: false,
          });
        }
        break;
      }
      case 'nemesis':
        break;
    }
  }
  // faults that began or ended while the job was alive give the events their context
  const live = rows.filter((r) => r.kind !== 'snapshot').map((r) => r.t);
  if (live.length > 0) {
    const from = Math.min(...live);
    const until = Math.max(...live);
    for (const e of history) {
      if (e.kind === 'nemesis' && e.t >= from && e.t <= until) {
        const error = e.detail?.error;
        rows.push({
          t: e.t,
          kind: 'nemesis',
          source: 'nemesis',
          event: `${e.type === 'start' ? 'fault begins' : 'fault heals'}: ${e.fault} on ${e.target} (step ${e.stepId})`,
          attempt: null,
          outcome: error === undefined ? '' : `error: ${String(error)}`,
          ignored: false,
        });
      }
    }
  }
  // stable: events at the same instant keep their history order
  const ordered = rows.map((r, i) => ({ r, i })).sort((a, b) => a.r.t - b.r.t || a.i - b.i).map(({ r }) => r);
  return {
    jobId,
    taskId: origin.taskId,
    taskDescription: origin.taskDescription,
    jobDescription: origin.jobDescription,
    rows: ordered.slice(0, maxRows),
    omitted: Math.max(0, ordered.length - maxRows),
  };
}
