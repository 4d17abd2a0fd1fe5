// The harness's own record of payload starts, live: every SUT process gets the path of the
// harness's wrapper (payload-wrapper.sh) and of a record file in its environment; an executor
// that runs its payloads through the wrapper leaves one line per start there before the payload
// runs. The system's own start log (e.g. sut:executions) is then a second witness, held against
// this one, instead of the only one: an executor that logs only some starts cannot hide a rerun.

import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './binaries.ts';
import type { HistoryRecorder } from '../history/recorder.ts';
import type { PayloadStartEntry } from '../history/types.ts';

/** the wrapper an executor runs each payload through: `wrapper RECORD JOB_ID ATTEMPT EXECUTOR_ID -- COMMAND...` */
export const PAYLOAD_WRAPPER = path.join(PROJECT_ROOT, 'harness', 'env', 'payload-wrapper.sh');
/** the environment variables that name the wrapper and the record file to a SUT process */
export const WRAPPER_VAR = 'CHAOS_PAYLOAD_WRAPPER';
export const RECORD_VAR = 'CHAOS_PAYLOAD_RECORD';

/** One line of the record: `<wall ms>\t<job id>\t<attempt>\t<executor id>`; undefined for anything else. */
export function parseRecordLine(line: string): { wallMs: number; jobId: string; attempt: number; executorId: string } | undefined {
  const fields = line.split('\t');
  if (fields.length !== 4) return undefined;
  const [ms, jobId, attempt, executorId] = fields as [string, string, string, string];
  if (!/^\d+$/.test(ms) || !/^\d+$/.test(attempt) || !jobId || !executorId) return undefined;
  return { wallMs: Number(ms), jobId, attempt: Number(attempt), executorId };
}

/** One start as the record has it. */
export type RecordedStart = NonNullable<ReturnType<typeof parseRecordLine>>;

/** how often an armed watch reads what the record has gained */
const WATCH_POLL_MS = 5;

/**
 * A record file of the harness's own in `dir` (the environment's: its Redis temp dir, which every
 * exit path removes, a SIGKILLed harness's too). Only named here: the wrapper creates it at the
 * first start, so an environment that never ran a payload leaves nothing behind.
 */
export class PayloadRecord {
  /** unguessable, as the wrapper appends to whatever is at this path */
  readonly file: string;

  constructor(dir = tmpdir()) {
    this.file = path.join(dir, `chaos-payloads-${randomUUID()}.tsv`);
  }

  /** what a SUT process needs in its environment to run payloads through the wrapper into this record */
  env(): Record<string, string> {
    return { [WRAPPER_VAR]: PAYLOAD_WRAPPER, [RECORD_VAR]: this.file };
  }

  /** what of the file armed watches have read, and a line not yet whole */
  private readAt = 0;
  private partial = '';
  private readonly watches = new Set<{ match: (r: RecordedStart) => boolean; fire: (r: RecordedStart) => void }>();
  private poller: NodeJS.Timeout | undefined;

  /** Empty again, for the next run and at the end (the wrapper creates the file at the next start). */
  clear(): void {
    rmSync(this.file, { force: true });
    this.readAt = 0;
    this.partial = '';
  }

  /**
   * Calls `fire` once, with the first start recorded from now on that `match`es (read within a
   * few milliseconds of the wrapper writing it, before its payload has run long). Returns the
   * disarm function. The live form of a payload trigger (RunEnvironment.payloadTrigger).
   */
  watch(match: (r: RecordedStart) => boolean, fire: (r: RecordedStart) => void): () => void {
    // what is already there was started before now
    if (this.watches.size === 0) this.readNew();
    const w = { match, fire };
    this.watches.add(w);
    this.poller ??= setInterval(() => this.poll(), WATCH_POLL_MS);
    return () => this.unwatch(w);
  }

  /** Disarms every watch (the environment's teardown). */
  unwatchAll(): void {
    for (const w of [...this.watches]) this.unwatch(w);
  }

  private unwatch(w: { match: (r: RecordedStart) => boolean; fire: (r: RecordedStart) => void }): void {
    this.watches.delete(w);
    if (this.watches.size === 0 && this.poller) {
      clearInterval(this.poller);
      this.poller = undefined;
    }
  }

  private poll(): void {
    for (const r of this.readNew()) {
      for (const w of [...this.watches]) {
        if (!w.match(r)) continue;
        this.unwatch(w);
        w.fire(r);
      }
    }
  }

  /** the whole lines the file has gained since the last read */
  private readNew(): RecordedStart[] {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return []; // no payload started yet
    }
    let text = '';
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (let n = readSync(fd, buf, 0, buf.length, this.readAt); n > 0; n = readSync(fd, buf, 0, buf.length, this.readAt)) {
        this.readAt += n;
        text += buf.toString('utf8', 0, n);
      }
    } finally {
      closeSync(fd);
    }
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    return lines.map(parseRecordLine).filter((r): r is RecordedStart => r !== undefined);
  }

  /** Every start recorded since the last clear, on the run's timeline (as a log's wall-clock times are). */
  starts(history: HistoryRecorder): PayloadStartEntry[] {
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return []; // no payload started
    }
    const entries: PayloadStartEntry[] = [];
    for (const line of text.split('\n')) {
      const r = parseRecordLine(line);
      if (r) entries.push({ kind: 'payload', t: history.fromWall(r.wallMs), jobId: r.jobId, attempt: r.attempt, executorId: r.executorId });
    }
    return entries;
  }
}
