// Ctrl-C during `npm run chaos`: every process stops, and a report of what finished is
// written and says incomplete.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('chaos CLI on SIGINT', () => {
  it('stops, exits 130 and leaves a report marked incomplete', async () => {
    const reportDir = mkdtempSync(path.join(tmpdir(), 'chaos-report-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', '--scenario', 'latency', '--runs', '50', '--seed', '3', '--ci', '--report-dir', reportDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const firstRun = new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/run 1: /.test(stderr)) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await firstRun;
    child.kill('SIGINT');
    expect(await exited).toBe(130);

    const latest = realpathSync(path.join(reportDir, 'latest'));
    const summary = JSON.parse(readFileSync(path.join(latest, 'summary.json'), 'utf8')) as { complete: boolean; scenarios: { runs: number }[] };
    expect(summary.complete).toBe(false);
    expect(summary.scenarios.reduce((n, s) => n + s.runs, 0)).toBeGreaterThanOrEqual(1);
    expect(readFileSync(path.join(latest, 'index.html'), 'utf8')).toContain('INCOMPLETE');
  }, 120_000);
});
