// The payload wrapper (harness/env/payload-wrapper.sh) on its own, no servers: it records a start
// and then is the payload (exec: same pid, stdin, stdout, exit code, environment), concurrent
// starts never interleave in the record, and a start is on record before the payload runs, so a
// SIGKILL mid-payload cannot take it back.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { PAYLOAD_WRAPPER, PayloadRecord, parseRecordLine } from '../../harness/env/payload-record.ts';
import { HistoryRecorder } from '../../harness/history/recorder.ts';

const record = new PayloadRecord();
afterEach(() => record.clear());

/** runs `script` through the wrapper the way the reference executor does: PATH only, stdin piped */
function wrapped(jobId: string, attempt: number, script: string, stdin = '') {
  const child = spawn(PAYLOAD_WRAPPER, [record.file, jobId, String(attempt), 'worker-1-executor', '--', '/bin/sh', '-c', script], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  // EPIPE when the payload exits before reading its input: nothing to do (as in the executor)
  child.stdin.on('error', () => undefined);
  child.stdin.end(stdin);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, out })));
  return { child, ended };
}

const lines = () => {
  try {
    return readFileSync(record.file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

describe('payload wrapper', () => {
  it('records the start, then is the payload: same pid, stdin and stdout through, PATH only, its exit code', async () => {
    const before = Date.now();
    const { child, ended } = wrapped('task-0', 3, 'echo "$$"; cat; env; exit 7', 'line one\n');
    const { code, out } = await ended;
    expect(code).toBe(7);
    const [pid, input, ...env] = out.trim().split('\n');
    expect(Number(pid)).toBe(child.pid);
    expect(input).toBe('line one');
    // sh itself adds PWD (and maybe SHLVL, _): nothing of the wrapper or the harness is exported
    expect(env.filter((l) => !/^(PWD|SHLVL|_|OLDPWD)=/.test(l)).map((l) => l.split('=')[0])).toEqual(['PATH']);
    const rec = lines().map(parseRecordLine);
    expect(rec).toEqual([{ wallMs: expect.any(Number), jobId: 'task-0', attempt: 3, executorId: 'worker-1-executor' }]);
    expect(rec[0]!.wallMs).toBeGreaterThanOrEqual(before);
    expect(rec[0]!.wallMs).toBeLessThanOrEqual(Date.now());
    // on a run's timeline, as the runner adds it
    const history = new HistoryRecorder();
    expect(record.starts(history)).toEqual([{ kind: 'payload', t: rec[0]!.wallMs - history.startWallMs, jobId: 'task-0', attempt: 3, executorId: 'worker-1-executor' }]);
  });

  it('keeps concurrent starts apart: one whole line each', async () => {
    const n = 40;
    await Promise.all(Array.from({ length: n }, (_, i) => wrapped(`job-${i}`, i + 1, 'exit 0').ended));
    const parsed = lines().map(parseRecordLine);
    expect(parsed.every((p) => p !== undefined)).toBe(true);
    expect(new Set(parsed.map((p) => `${p!.jobId}/${p!.attempt}`))).toEqual(new Set(Array.from({ length: n }, (_, i) => `job-${i}/${i + 1}`)));
  });

  it('has the start on record before the payload runs: a SIGKILL mid-payload leaves it', async () => {
    // the payload says it runs; by then the wrapper has written and exec'd (exec sleep: the pid
    // killed below is the whole payload, so its stdout closes with it)
    const { child, ended } = wrapped('slow-0', 1, 'echo started; exec sleep 30');
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    expect(lines().map(parseRecordLine).map((r) => r?.jobId)).toEqual(['slow-0']);
    child.kill('SIGKILL');
    expect((await ended).signal).toBe('SIGKILL');
    expect(lines().map(parseRecordLine).map((r) => r?.jobId)).toEqual(['slow-0']);
  });

  it('still runs the payload when the record cannot be written', async () => {
    const dir = `${record.file}.missing-dir`;
    rmSync(dir, { recursive: true, force: true });
    const child = spawn(PAYLOAD_WRAPPER, [`${dir}/starts.tsv`, 'j', '1', 'e', '--', '/bin/sh', '-c', 'exit 3'], { env: { PATH: process.env.PATH ?? '' }, stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(3);
  });
});
