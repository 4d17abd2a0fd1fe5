// A history on disk: one JSON entry per line. Reading validates every line against the
// history format of types.ts, so a checker never judges a malformed history; a bad line
// is reported as one line naming the file, the line number and the field.

import { appendFileSync, createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { JOB_STATES, type History, type HistoryEntry } from './types.ts';

const jobState = z.enum(JOB_STATES);
const payload = z.looseObject({
  durationMs: z.number(),
  exitCode: z.number().int(),
  output: z.array(z.string()),
  hang: z.boolean().optional(),
});
const jobSpec = z.looseObject({ description: z.string(), payload, timeoutMs: z.number() });
const jobView = z.looseObject({
  jobId: z.string(),
  state: jobState,
  attempt: z.number().optional(),
  exitCode: z.number().nullable().optional(),
  output: z.string().nullable().optional(),
  reason: z.string().nullable().optional(),
});
const taskView = z.looseObject({
  taskId: z.string(),
  status: z.string(),
  idempotencyKey: z.string().nullable().optional(),
  jobs: z.array(jobView),
});
const snapshotTask = taskView.extend({ status: z.string().optional() });
const time = z.number();

const clientEntry = z.looseObject({
  kind: z.literal('client'),
  t: time,
  type: z.enum(['invoke', 'ok', 'fail', 'info']),
  process: z.string(),
  opId: z.number().int(),
  f: z.enum(['submit', 'read', 'cancel']),
  value: z.unknown(),
});

/** The value a client entry carries, by operation and outcome (types.ts: ClientEntry.value). */
const clientValue: Record<string, z.ZodType> = {
  // a submission names the Idempotency-Key it carried, or says it carried none (keyless)
  'submit invoke': z
    .looseObject({ idempotencyKey: z.string().optional(), keyless: z.literal(true).optional(), description: z.string(), jobs: z.array(jobSpec) })
    .refine((v) => (v.idempotencyKey === undefined) === (v.keyless === true), { message: 'a submit names its idempotencyKey or says keyless: true (one of the two)' }),
  'read invoke': z.looseObject({ taskId: z.string() }),
  'cancel invoke': z.looseObject({ jobId: z.string() }),
  'submit ok': z.looseObject({ taskId: z.string(), jobIds: z.array(z.string()) }),
  'read ok': taskView,
  'cancel ok': z.looseObject({ jobId: z.string() }),
};
const clientError = z.looseObject({ error: z.string(), status: z.number().int().optional() });

const transitionState = z.union([jobState, z.literal('none')]);
const schemas = {
  client: clientEntry,
  transition: z.looseObject({
    kind: z.literal('transition'),
    t: time,
    logId: z.string().regex(/^\d+-\d+$/, 'expected a stream id "ms-seq"'),
    jobId: z.string(),
    eventId: z.string(),
    type: z.string(),
    source: z.string(),
    sourceId: z.string(),
    attempt: z.number().int(),
    from: transitionState,
    to: transitionState,
    decision: z.enum(['applied', 'ignored']),
    reason: z.string(),
    keeper: z.string(),
    exitCode: z.number().nullable().optional(),
    output: z.string().nullable().optional(),
  }),
  execution: z.looseObject({
    kind: z.literal('execution'),
    t: time,
    jobId: z.string(),
    attempt: z.number().int(),
    executorId: z.string(),
  }),
  nemesis: z.looseObject({
    kind: z.literal('nemesis'),
    t: time,
    type: z.enum(['start', 'end']),
    stepId: z.number().int(),
    fault: z.string(),
    target: z.string(),
    outcome: z.enum(['ok', 'failed', 'empty']).optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
  }),
  snapshot: z.looseObject({
    kind: z.literal('snapshot'),
    t: time,
    tasks: z.array(snapshotTask),
    runningSet: z.array(z.string()),
    runningInfo: z.array(z.string()),
    unreadable: z.array(z.looseObject({ key: z.string(), taskId: z.string().optional(), jobId: z.string().optional(), error: z.string() })).optional(),
    first: z.boolean().optional(),
    malformed: z.array(z.looseObject({ key: z.string(), taskId: z.string().optional(), jobId: z.string().optional(), problem: z.string() })).optional(),
    orphans: z.array(z.looseObject({ key: z.string(), jobId: z.string(), taskId: z.string().optional(), state: z.string() })).optional(),
  }),
  shape: z.looseObject({
    kind: z.literal('shape'),
    t: time,
    system: z.string(),
    processes: z.array(z.looseObject({ id: z.string(), role: z.enum(['front-door', 'worker', 'keeper']), executor: z.string().optional() })),
    links: z.array(z.looseObject({ name: z.string(), carries: z.array(z.string()) })),
    evidence: z.looseObject({ transitionLog: z.string().optional(), runningSet: z.string().optional(), executionsLog: z.string().optional() }),
    clockMarginMs: z.number().nonnegative(),
    leaseMs: z.number().positive().optional(),
    cancelWithinMs: z.number().nonnegative().optional(),
    recoveryWithinMs: z.number().nonnegative().optional(),
  }),
  payload: z.looseObject({
    kind: z.literal('payload'),
    t: time,
    jobId: z.string(),
    attempt: z.number().int(),
    executorId: z.string(),
  }),
  probe: z.looseObject({
    kind: z.literal('probe'),
    t: time,
    boundMs: z.number().nonnegative(),
    pickupMs: z.number().nonnegative(),
    workers: z.array(z.string()),
    down: z.array(z.string()),
    rounds: z.number().int().nonnegative(),
    keys: z.array(z.string()),
    taskIds: z.array(z.string()),
    frontDoorUp: z.boolean(),
    endedAt: time,
  }),
} as const;
const KINDS = Object.keys(schemas) as (keyof typeof schemas)[];

export class HistoryFormatError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${source}:${line}: ${reason}`);
    this.name = 'HistoryFormatError';
  }
}

/** "value.jobs[0].payload.exitCode: Invalid input: expected number, received string" */
function describeIssue(error: z.ZodError, prefix: (string | number)[] = []): string {
  const issue = error.issues[0];
  const path = [...prefix, ...issue.path]
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** Parses and validates one line; throws HistoryFormatError naming `source:line`. */
export function parseEntry(line: string, lineNo: number, source = '<history>'): HistoryEntry {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (e) {
    throw new HistoryFormatError(source, lineNo, `invalid JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new HistoryFormatError(source, lineNo, 'expected a JSON object');
  }
  const kind = (raw as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !(KINDS as string[]).includes(kind)) {
    throw new HistoryFormatError(source, lineNo, `kind: expected one of ${KINDS.join(', ')}, got ${JSON.stringify(kind) ?? 'nothing'}`);
  }
  const parsed = schemas[kind as keyof typeof schemas].safeParse(raw);
  if (!parsed.success) throw new HistoryFormatError(source, lineNo, `${kind} entry: ${describeIssue(parsed.error)}`);
  const entry = parsed.data as HistoryEntry;
  if (entry.kind === 'client') {
    const schema = entry.type === 'fail' || entry.type === 'info' ? clientError : clientValue[`${entry.f} ${entry.type}`];
    const value = schema.safeParse(entry.value);
    if (!value.success) {
      throw new HistoryFormatError(source, lineNo, `client ${entry.f} ${entry.type} entry: ${describeIssue(value.error, ['value'])}`);
    }
  }
  return entry;
}

/** Parses a whole JSONL text (blank lines are skipped). */
export function parseHistory(text: string, source = '<history>'): History {
  const history: History = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line) history.push(parseEntry(line, i + 1, source));
  }
  return history;
}

/** Reads and validates a history file line by line. */
export async function readHistory(path: string): Promise<History> {
  const history: History = [];
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const text of lines) {
    lineNo++;
    const line = text.trim();
    if (line) history.push(parseEntry(line, lineNo, path));
  }
  return history;
}

export function serializeEntry(entry: HistoryEntry): string {
  return JSON.stringify(entry) + '\n';
}

/** Appends one entry; synchronous so that entries land in the order they were observed. */
export function appendEntry(path: string, entry: HistoryEntry): void {
  appendFileSync(path, serializeEntry(entry));
}

/** Writes a whole history (replacing the file), in chunks so a large one needs no huge string. */
export async function writeHistory(path: string, history: History): Promise<void> {
  const file = await open(path, 'w');
  try {
    const chunk = 10_000;
    for (let i = 0; i < history.length; i += chunk) {
      let text = '';
      for (const e of history.slice(i, i + chunk)) text += serializeEntry(e);
      await file.write(text);
    }
  } finally {
    await file.close();
  }
}
