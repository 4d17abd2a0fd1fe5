// chaos --sim end to end: the correct system passes, a planted bug fails with a replay command
// that carries --sim, and that command replays the same violations.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

function chaos(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', '--ci', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stderr: r.stderr };
}

describe('chaos --sim', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chaos-sim-'));

  it('passes the correct system', () => {
    const r = chaos(['--sim', '--scenario', 'worker-crash,pause', '--runs', '5', '--seed', '4', '--report-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2 passed, 0 failed/);
  });

  it('fails a planted bug with a --sim replay command that replays the same violations', () => {
    const r = chaos(['--sim', '--scenario', 'reorder', '--runs', '10', '--seed', '4', '--bugs', 'lww-status', '--report-dir', dir]);
    expect(r.code).toBe(1);
    const replay = /replay: npm run chaos -- (.*)/.exec(r.stderr)?.[1];
    expect(replay).toMatch(/^--sim --scenario reorder --seed 4 --path \S+ --bugs lww-status$/);
    // a guided search's plan comes from its earlier runs, which only the simulation repeats
    expect(r.stderr).toContain('live: no live path (a guided search');
    const summary = JSON.parse(readFileSync(path.join(realpathSync(path.join(dir, 'latest')), 'summary.json'), 'utf8'));
    expect(summary.scenarios[0].failure.replay).toBe(`npm run chaos -- ${replay}`);
    const violations = (text: string) => text.split('\n').filter((l) => /^ {4}\S/.test(l)).join('\n');
    const again = chaos([...replay!.split(' '), '--report-dir', dir]);
    expect(again.code).toBe(1);
    expect(violations(again.stderr)).not.toBe('');
    expect(violations(again.stderr)).toBe(violations(r.stderr));
  });

  it('without guidance, prints a replay that keeps --no-guidance and the same plan live', () => {
    const r = chaos(['--sim', '--no-guidance', '--scenario', 'reorder', '--runs', '10', '--seed', '4', '--bugs', 'lww-status', '--fault-duration', '1s-2s', '--report-dir', dir]);
    expect(r.code).toBe(1);
    const replay = /replay: npm run chaos -- (.*)/.exec(r.stderr)?.[1];
    expect(replay).toMatch(/^--sim --no-guidance --scenario reorder --seed 4 --path \S+ --fault-duration 1000ms-2000ms --bugs lww-status$/);
    expect(r.stderr).toContain(`live: npm run chaos -- ${replay!.replace('--sim --no-guidance ', '')} (`);
    // the report's replay is the printed one, options and all
    const summary = JSON.parse(readFileSync(path.join(realpathSync(path.join(dir, 'latest')), 'summary.json'), 'utf8'));
    expect(summary.scenarios[0].failure.replay).toBe(`npm run chaos -- ${replay}`);
    const again = chaos([...replay!.split(' '), '--report-dir', dir]);
    expect(again.code).toBe(1);
  });

  it('refuses --no-guidance without --sim', () => {
    const r = chaos(['--no-guidance', '--scenario', 'reorder']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--no-guidance applies to a simulated search/);
  });
});
