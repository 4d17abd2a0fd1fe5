// The reference system's live payload edge (system-under-test/live-edges.ts): a payload killed at
// once after its spawn leaves no process behind. The payload is `sh` running `sleep`; a kill that
// read the process tree before `sh` forked once missed the `sleep`, which then held the payload's
// stdout open to its end (found by the live soak: a cancel right after a start).
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { liveEdges } from '../../system-under-test/live-edges.ts';

/** pids whose command line carries `marker` as an argument */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(marker)) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

describe('reference payload edge', () => {
  const markers: string[] = [];
  // a failing run must not leave its orphans behind either
  afterAll(() => {
    for (const marker of markers) for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
  });

  it('a payload killed right after its spawn ends with its whole tree', async () => {
    for (let i = 0; i < 25; i++) {
      // a duration no other process carries: `sleep <seconds>` is found by it
      const durationMs = 987_000 + i;
      const marker = String(durationMs / 1000);
      markers.push(marker);
      const handle = liveEdges.runPayload({ type: 'run', jobId: `job-${i}`, attempt: 1, timeoutMs: 600_000, payload: { durationMs, exitCode: 0, output: [] } });
      // every other round gives `sh` a moment to fork first: both sides of the race
      if (i % 2 === 1) await new Promise((r) => setTimeout(r, 5));
      handle.kill();
      const end = await handle.ended;
      expect(end.kind).toBe('exited');
      if (end.kind === 'exited') expect(end.signal).toBe('SIGKILL');
      expect(processesWith(marker)).toEqual([]);
    }
  });

  it('a payload left alone runs to its own exit code', async () => {
    const handle = liveEdges.runPayload({ type: 'run', jobId: 'job-x', attempt: 1, timeoutMs: 10_000, payload: { durationMs: 10, exitCode: 3, output: ['hello'] } });
    const end = await handle.ended;
    expect(end).toMatchObject({ kind: 'exited', code: 3, signal: null, output: 'hello\n' });
  });
});
