// The CI gate with --baseline: an identical result passes; a scenario that passed in the
// baseline and fails now fails the gate with a readable diff.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

function chaos(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', '--ci', ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stderr: r.stderr };
}

describe('chaos --baseline', () => {
  it('passes on the same result and fails when a scenario that passed now fails', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chaos-baseline-'));
    const first = chaos('--scenario', 'reorder', '--runs', '2', '--seed', '9', '--report-dir', dir);
    expect(first.code, first.stderr).toBe(0);
    const baseline = path.join(realpathSync(path.join(dir, 'latest')), 'summary.json');

    const same = chaos('--scenario', 'reorder', '--runs', '2', '--seed', '9', '--report-dir', dir, '--baseline', baseline);
    expect(same.code, same.stderr).toBe(0);

    const regressed = chaos('--scenario', 'reorder', '--runs', '3', '--seed', '9', '--report-dir', dir, '--baseline', baseline, '--bugs', 'lww-status');
    expect(regressed.code).toBe(1);
    expect(regressed.stderr).toMatch(/baseline: FAIL .*reorder/);
  }, 600_000);

  it('rejects an unreadable baseline with one line and exit 2', () => {
    const r = chaos('--scenario', 'reorder', '--baseline', '/nonexistent/summary.json');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
