// Bad input to `npm run chaos` gets one readable line and exit code 2, before anything starts.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function chaos(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr.trim(), stdout: r.stdout };
}

describe('chaos CLI usage errors', () => {
  it.each([
    [['--scenario', 'nope'], /unknown scenario "nope"/],
    [['--seed', 'abc'], /--seed must be an integer/],
    [['--seed', '99999999999'], /--seed must be an integer/],
    [['--budget', 'soon'], /not a duration/],
    [['--runs', '0'], /--runs must be an integer from 1/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
    [['--path', '1:2'], /--path needs the --seed/],
    [['--path', 'x', '--seed', '1'], /not a fast-check path/],
    [['--bugs', 'Bad Name'], /is not a bug name/],
  ])('%j exits 2 with one line', (args, message) => {
    const r = chaos(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('prints help and exits 0', () => {
    const r = chaos('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--scenario');
  });
});
