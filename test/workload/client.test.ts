// The workload's client against a real HTTP server that answers as the test says: what each
// client behaviour sends, and that every attempt is its own invoke/ok/fail/info in the history.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HistoryRecorder } from '../../harness/history/recorder.ts';
import type { ClientEntry } from '../../harness/history/types.ts';
import { Client } from '../../harness/workload/client.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

/** Serves request n (1-based) with `handler`; returns the base URL and what each request carried. */
async function serve(handler: Handler): Promise<{ url: string; keys: (string | undefined)[] }> {
  const keys: (string | undefined)[] = [];
  server = createServer((req, res) => {
    keys.push(req.headers['idempotency-key'] as string | undefined);
    req.resume();
    req.on('end', () => handler(req, res, keys.length));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, keys };
}

const created = (res: ServerResponse) => {
  res.writeHead(201, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ taskId: 'T-1', jobIds: ['T-1-0'], created: true }));
};
const later = (ms: number, f: () => void) => setTimeout(f, ms);
const req = { idempotencyKey: 'key-1', description: 'd', jobs: [{ description: 'j', payload: { durationMs: 1, exitCode: 0, output: [] }, timeoutMs: 1000 }] };

/** The client entries as "type f" lines, in the order recorded. */
const ops = (h: HistoryRecorder) => (h.entries.filter((e) => e.kind === 'client') as ClientEntry[]).map((e) => `${e.type} ${e.f}`);

describe('Client', () => {
  it('hedged: a second attempt with the same key beside a first that has not answered, both recorded to the end', async () => {
    const { url, keys } = await serve((_q, res, n) => (n === 1 ? later(300, () => created(res)) : created(res)));
    const h = new HistoryRecorder();
    const answer = await new Client(url, h).submit(req, { hedgeAfterMs: 50 });
    expect(answer?.taskId).toBe('T-1');
    expect(keys).toEqual(['key-1', 'key-1']);
    // the hedge answered first, the first attempt still ended in its own ok
    expect(ops(h)).toEqual(['invoke submit', 'invoke submit', 'ok submit', 'ok submit']);
    const opIds = new Set((h.entries as ClientEntry[]).map((e) => e.opId));
    expect(opIds.size).toBe(2);
  });

  it('hedged: no second attempt when the first answers in time', async () => {
    const { url, keys } = await serve((_q, res) => created(res));
    const h = new HistoryRecorder();
    await new Client(url, h).submit(req, { hedgeAfterMs: 200 });
    expect(keys).toEqual(['key-1']);
    expect(ops(h)).toEqual(['invoke submit', 'ok submit']);
  });

  it('impatient: gives up after its timeout (info: it may have taken effect) and retries with the same key', async () => {
    const { url, keys } = await serve((_q, res, n) => (n === 1 ? later(600, () => created(res)) : created(res)));
    const h = new HistoryRecorder();
    const answer = await new Client(url, h).submit(req, { timeoutMs: 100 });
    expect(answer?.taskId).toBe('T-1');
    expect(keys).toEqual(['key-1', 'key-1']);
    expect(ops(h)).toEqual(['invoke submit', 'info submit', 'invoke submit', 'ok submit']);
  });

  it('does not retry a refused submit (4xx: nothing was written), and records it as fail', async () => {
    const { url, keys } = await serve((_q, res) => {
      res.writeHead(400);
      res.end('{"error":"bad"}');
    });
    const h = new HistoryRecorder();
    expect(await new Client(url, h).submit(req)).toBeUndefined();
    expect(keys).toHaveLength(1);
    expect(ops(h)).toEqual(['invoke submit', 'fail submit']);
  });

  it('keyless: sends no Idempotency-Key, records keyless: true, and does not retry a submit whose outcome is unknown', async () => {
    const { url, keys } = await serve((_q, res, n) => {
      res.writeHead(n === 1 ? 503 : 201, { 'content-type': 'application/json' });
      res.end(n === 1 ? '{"error":"busy"}' : JSON.stringify({ taskId: 'T-1', jobIds: ['T-1-0'], created: true }));
    });
    const h = new HistoryRecorder();
    const { idempotencyKey: _key, ...keyless } = req;
    expect(await new Client(url, h).submit(keyless)).toBeUndefined();
    expect(keys).toEqual([undefined]);
    expect(ops(h)).toEqual(['invoke submit', 'info submit']);
    const invoke = h.entries[0] as ClientEntry;
    expect(invoke.value).toMatchObject({ keyless: true, description: 'd' });
    expect(invoke.value).not.toHaveProperty('idempotencyKey');
  });

  it('keyless: answered, it is one ok; it cannot be hedged (a second attempt would be a second task)', async () => {
    const { url, keys } = await serve((_q, res) => created(res));
    const h = new HistoryRecorder();
    const { idempotencyKey: _key, ...keyless } = req;
    expect((await new Client(url, h).submit(keyless))?.taskId).toBe('T-1');
    expect(keys).toEqual([undefined]);
    await expect(new Client(url, h).submit(keyless, { hedgeAfterMs: 10 })).rejects.toThrow(/cannot be hedged/);
    expect(keys).toHaveLength(1);
  });

  it('retries a cancel whose outcome is unknown (5xx), each attempt its own operation', async () => {
    const { url } = await serve((_q, res, n) => {
      res.writeHead(n === 1 ? 503 : 202);
      res.end('{}');
    });
    const h = new HistoryRecorder();
    expect(await new Client(url, h).cancel('J-1')).toEqual({ jobId: 'J-1' });
    expect(ops(h)).toEqual(['invoke cancel', 'info cancel', 'invoke cancel', 'ok cancel']);
  });
});
