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
    // --shard K/N (shard.test.ts holds the split itself)
    [['--shard', '0/3', '--seed', '1'], /--shard must be K\/N .*"0\/3": K must be from 1 to 3/],
    [['--shard', '4/3', '--seed', '1'], /--shard must be K\/N .*"4\/3": K must be from 1 to 3/],
    [['--shard', 'x', '--seed', '1'], /--shard must be K\/N .*"x"/],
    [['--shard', '1/0', '--seed', '1'], /--shard must be K\/N .*"1\/0": N must be at least 1/],
    [['--shard', '1/3'], /^chaos: --shard needs --seed so every shard runs the same work/],
    [['--shard', '1/3', '--seed', '1', '--scenario', 'reorder', '--path', '0'], /--path replays one counterexample on one machine/],
    [['verify', '--shard', '1/2'], /--shard needs --seed so every shard runs the same work/],
    [['verify', '--shard', '3/2', '--seed', '1'], /--shard must be K\/N/],
    [['merge'], /missing required argument 'dirs'/],
    // --system and --redis-config
    [['--system', 'kafka'], /--system must be one of reference, bullmq, bee-queue, bull, got "kafka"/],
    [['--system', 'bullmq', '--scenario', 'reorder'], /scenario reorder does not apply to bullmq: it needs two event sources per job \(a worker and its executor\), which bullmq does not provide/],
    [['--system', 'bee-queue', '--scenario', 'keeper-crash'], /scenario keeper-crash does not apply to bee-queue: it needs keepers/],
    [['--config', 'examples/node-resque/chaos.config.ts', '--sim'], /--sim needs a system with a simulated form \(reference\): drop --sim for --system node-resque/],
    [['--system', 'bullmq', '--env', 'docker'], /--env docker needs a system with container images \(reference\)/],
    [['--system', 'bee-queue', '--bugs', 'check-then-set'], /--bugs needs a system with planted bugs \(reference\): bee-queue has none/],
    [['--redis-config', 'appendonly'], /--redis-config takes name=value/],
    [['--redis-config', 'port=1234'], /--redis-config port is set by the harness/],
    [['--sim', '--redis-config', 'appendonly=no'], /--redis-config sets redis-server's own settings, and the simulation's Redis has none/],
    // the search: crash points and --budget
    [['--scenario', 'crash-points'], /scenario crash-points runs in simulation only \(Toxiproxy does not see commands, the simulation does\): add --sim/],
    [['--sim', '--budget', '500ms'], /budget 500ms is shorter than one second/],
    [['verify', '--system', 'bullmq'], /verify proves that planted bugs are caught: only the reference system has them/],
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
