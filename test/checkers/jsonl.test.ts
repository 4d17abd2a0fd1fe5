import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendEntry, HistoryFormatError, parseEntry, readHistory, writeHistory } from '../../harness/history/jsonl.ts';
import { healthyRun } from './build.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'history-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function readError(path: string): Promise<Error> {
  try {
    await readHistory(path);
  } catch (e) {
    return e as Error;
  }
  throw new Error('readHistory accepted a malformed history');
}

describe('history JSONL', () => {
  it('reads back exactly what appendEntry wrote', async () => {
    const history = healthyRun().build();
    const path = join(dir, 'h.jsonl');
    for (const e of history) appendEntry(path, e);
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(history.length + 1);
    expect(await readHistory(path)).toEqual(history);
  });

  it('reads back what writeHistory wrote, skipping blank lines', async () => {
    const history = healthyRun().build();
    const path = join(dir, 'h.jsonl');
    await writeHistory(path, history);
    writeFileSync(path, readFileSync(path, 'utf8') + '\n\n');
    expect(await readHistory(path)).toEqual(history);
  });

  it('rejects a line that is not JSON with a one-line error naming the line number', async () => {
    const path = join(dir, 'h.jsonl');
    const lines = healthyRun().build().map((e) => JSON.stringify(e));
    lines.splice(2, 0, '{"kind":"client",');
    writeFileSync(path, lines.join('\n'));
    const err = await readError(path);
    expect(err).toBeInstanceOf(HistoryFormatError);
    expect((err as HistoryFormatError).line).toBe(3);
    expect(err.message.startsWith(`${path}:3: invalid JSON`)).toBe(true);
    expect(err.message).not.toContain('\n');
  });

  it('names the field of a line that breaks the format', async () => {
    const path = join(dir, 'h.jsonl');
    const history = healthyRun().build();
    const lines = history.map((e) => JSON.stringify(e));
    const bad = { ...history[2], logId: 'not-an-id' };
    lines[2] = JSON.stringify(bad);
    writeFileSync(path, lines.join('\n'));
    const err = await readError(path);
    expect(err.message).toBe(`${path}:3: transition entry: logId: expected a stream id "ms-seq"`);
  });

  it('validates the value of a client entry by operation (a read ok must be a TaskView)', () => {
    const line = JSON.stringify({ kind: 'client', t: 1, type: 'ok', process: 'c', opId: 1, f: 'read', value: { taskId: 'T', status: 'running', jobs: [{ jobId: 'J', state: 'sleeping' }] } });
    expect(() => parseEntry(line, 7, 'run.jsonl')).toThrow(/^run\.jsonl:7: client read ok entry: value\.jobs\[0\]\.state: /);
  });

  it('rejects an unknown entry kind', () => {
    expect(() => parseEntry('{"kind":"gossip","t":1}', 4)).toThrow('<history>:4: kind: expected one of client, transition, execution, nemesis, snapshot, shape, payload, probe, got "gossip"');
  });

  it('keeps fields the format does not name (a read carries description and priority)', () => {
    const entry = parseEntry(
      JSON.stringify({ kind: 'client', t: 1, type: 'ok', process: 'c', opId: 1, f: 'read', value: { taskId: 'T', status: 'queued', priority: 3, jobs: [{ jobId: 'J', state: 'queued', durationMs: null }] } }),
      1,
    );
    expect(entry).toMatchObject({ value: { priority: 3, jobs: [{ durationMs: null }] } });
  });
});
