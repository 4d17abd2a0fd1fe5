import type { HistoryRecorder } from '../history/recorder.ts';
import type { ClientEntry, ClientError, JobSpec, TaskView } from '../history/types.ts';

export interface SubmitRequest {
  /**
   * absent: the submission carries no Idempotency-Key, as many real clients send it. Such a client
   * does not retry a POST whose answer it never got (nor do fetch and the usual HTTP libraries: a
   * POST is not idempotent), so a keyless submission is one attempt: it may have created one task
   * or none, and a second task for it would be the system's doing.
   */
  idempotencyKey?: string;
  description: string;
  priority?: number;
  jobs: JobSpec[];
}

export interface Submitted {
  taskId: string;
  jobIds: string[];
  created: boolean;
}

/** Per submission: how long one attempt may take, and whether to hedge it. */
export interface SubmitOptions {
  /** this submission's attempts give up after this long (default: the client's requestTimeoutMs) */
  timeoutMs?: number;
  /** when the first attempt has not answered after this long, a second one (same key) starts beside it */
  hedgeAfterMs?: number;
}

export interface ClientOptions {
  /** per request; a request that takes longer is recorded as indeterminate (info) */
  requestTimeoutMs: number;
  /** how often a submission (with the same Idempotency-Key; a keyless one never) or a cancel is retried after an indeterminate outcome */
  submitRetries: number;
}

/** One request to the orchestrator's API; throws when no answer came (the outcome is then unknown). */
export type Transport = (req: { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string; timeoutMs: number }) => Promise<{ status: number; text: string }>;

/** The live transport: HTTP to the orchestrator (through the `client` link). */
export function httpTransport(baseUrl: string): Transport {
  return async ({ method, path, headers, body, timeoutMs }) => {
    const res = await fetch(baseUrl + path, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text().catch(() => '') };
  };
}

/**
 * The workload's client: speaks HTTP to the orchestrator (through the `client` link) and
 * records every operation Jepsen-style, invoke then ok / fail / info.
 */
export class Client {
  private readonly transport: Transport;

  constructor(
    /** the orchestrator's base URL, or how requests reach it (the simulation calls it in-process) */
    to: string | Transport,
    private readonly history: HistoryRecorder,
    readonly name = 'client-0',
    private readonly options: ClientOptions = { requestTimeoutMs: 3000, submitRetries: 5 },
  ) {
    this.transport = typeof to === 'string' ? httpTransport(to) : to;
  }

  private record(type: ClientEntry['type'], opId: number, f: ClientEntry['f'], value: unknown): void {
    this.history.add({ kind: 'client', t: this.history.now(), type, process: this.name, opId, f, value });
  }

  private async op<T>(f: ClientEntry['f'], invokeValue: unknown, request: () => Promise<{ status: number; text: string }>, accept: (status: number, body: unknown) => T | undefined): Promise<{ value?: T; definite: boolean }> {
    const opId = this.history.nextOpId();
    this.record('invoke', opId, f, invokeValue);
    let res: { status: number; text: string };
    try {
      res = await request();
    } catch (err) {
      // no response: the request may or may not have taken effect
      this.record('info', opId, f, { error: err instanceof Error ? err.name + ': ' + err.message : String(err) });
      return { definite: false };
    }
    const text = res.text;
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* keep text */
    }
    const value = accept(res.status, body);
    if (value === undefined) {
      // 5xx may have happened after a write; 4xx did nothing. The error is one string (the JSONL
      // format's), the status kept beside it: a read's 404 says the task does not exist.
      const error = isRecord(body) && typeof body.error === 'string' ? body.error : text;
      this.record(res.status >= 500 ? 'info' : 'fail', opId, f, { status: res.status, error } satisfies ClientError);
      return { definite: res.status < 500 };
    }
    this.record('ok', opId, f, value);
    return { value, definite: true };
  }

  private request(method: 'GET' | 'POST', path: string, o: { body?: string; headers?: Record<string, string>; timeoutMs?: number } = {}) {
    return this.transport({ method, path, headers: o.headers ?? {}, body: o.body, timeoutMs: o.timeoutMs ?? this.options.requestTimeoutMs });
  }

  /** Retries an operation whose outcome is unknown (no answer, 5xx), backing off, until a definite answer or the retries run out. */
  private async withRetries<T>(attempt: () => Promise<{ value?: T; definite: boolean }>): Promise<T | undefined> {
    for (let i = 0; i <= this.options.submitRetries; i++) {
      const { value, definite } = await attempt();
      if (value !== undefined || definite) return value;
      await sleep(100 * (i + 1));
    }
    return undefined;
  }

  /**
   * Submit with the same Idempotency-Key until an answer comes back: one attempt at a time, or
   * hedged (a second attempt beside a first that has not answered after hedgeAfterMs). Without a
   * key: one attempt, never retried nor hedged (SubmitRequest.idempotencyKey); its invoke records
   * `keyless: true` in place of the key.
   */
  async submit(req: SubmitRequest, o: SubmitOptions = {}): Promise<Submitted | undefined> {
    const key = req.idempotencyKey;
    if (key === undefined && o.hedgeAfterMs !== undefined) throw new Error('a submission without an Idempotency-Key cannot be hedged: its second attempt would be a second task');
    const body = JSON.stringify({
      description: req.description,
      priority: req.priority ?? 1,
      subtasks: req.jobs.map((j) => ({ description: j.description, payload: j.payload, timeoutMs: j.timeoutMs })),
    });
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) };
    const attempt = () => this.op(
      'submit',
      { ...(key === undefined ? { keyless: true } : { idempotencyKey: key }), description: req.description, jobs: req.jobs },
      () => this.request('POST', '/tasks', { body, headers, timeoutMs: o.timeoutMs }),
      (status, b) => {
        const v = b as Submitted;
        return (status === 201 || status === 200) && v && typeof v.taskId === 'string' ? { taskId: v.taskId, jobIds: v.jobIds, created: v.created } : undefined;
      },
    );
    if (key === undefined) return (await attempt()).value;
    const first = this.withRetries(attempt);
    if (o.hedgeAfterMs === undefined) return first;
    let answered = false;
    void first.finally(() => (answered = true));
    await Promise.race([first, sleep(o.hedgeAfterMs)]);
    if (answered) return first;
    const second = this.withRetries(attempt);
    // both run to the end, so each attempt's outcome is in the history
    const [a, b] = await Promise.all([first, second]);
    return a ?? b;
  }

  async read(taskId: string): Promise<TaskView | undefined> {
    return (await this.op('read', { taskId }, () => this.request('GET', `/tasks/${encodeURIComponent(taskId)}`), (status, b) =>
      status === 200 ? (b as TaskView) : undefined)).value;
  }

  /** Cancel, retried like a submission while its outcome is unknown (cancelling twice is harmless by contract). */
  cancel(jobId: string): Promise<{ jobId: string } | undefined> {
    return this.withRetries(() => this.op('cancel', { jobId }, () => this.request('POST', `/jobs/${encodeURIComponent(jobId)}/cancel`), (status) =>
      status === 202 ? { jobId } : undefined));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Poll tasks until every job is terminal or the deadline passes; returns the last reads. */
export async function pollUntilSettled(client: Client, taskIds: string[], deadlineMs: number, intervalMs = 100): Promise<Map<string, TaskView>> {
  const last = new Map<string, TaskView>();
  const pending = new Set(taskIds);
  const deadline = Date.now() + deadlineMs;
  while (pending.size > 0 && Date.now() < deadline) {
    await Promise.all([...pending].map(async (id) => {
      const view = await client.read(id);
      if (!view) return;
      last.set(id, view);
      if (view.jobs.every((j) => TERMINAL.has(j.state))) pending.delete(id);
    }));
    if (pending.size > 0) await new Promise((r) => setTimeout(r, intervalMs));
  }
  return last;
}
