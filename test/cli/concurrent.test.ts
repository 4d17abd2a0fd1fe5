// Two `npm run chaos` at once on one machine: each owns its servers, ports and temp dirs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

function chaos(reportDir: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', '--scenario', 'latency', '--runs', '2', '--seed', '5', '--ci', '--report-dir', reportDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

describe('two chaos runs at once', () => {
  it('do not interfere: both pass and write their own reports', async () => {
    const dirs = [0, 1].map(() => mkdtempSync(path.join(tmpdir(), 'chaos-concurrent-')));
    const results = await Promise.all(dirs.map(chaos));
    for (const [i, r] of results.entries()) {
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(readFileSync(path.join(realpathSync(path.join(dirs[i], 'latest')), 'summary.json'), 'utf8')) as { scenarios: { verdict: string; runs: number }[] };
      expect(summary.scenarios[0]).toMatchObject({ verdict: 'pass', runs: 2 });
    }
  }, 180_000);
});
