// --jobs N: a simulated search as N shard processes of the CLI, merged into one report (harness/cli/jobs.ts).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../harness/config/options.ts';
import { jobCount, sweepStaleJobDirs } from '../../harness/cli/jobs.ts';
import { childPids, pidAlive } from '../../harness/env/processes.ts';

function chaos(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const jobsOf = (argv: string[]) => {
  const o = parseOptions(argv);
  if (o === 'help') throw new Error('help');
  return jobCount(o);
};

describe('chaos --sim --jobs', () => {
  it('runs the scenarios as two jobs and merges them into one report, its summary and exit code', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chaos-jobs-'));
    const r = chaos(['--sim', '--jobs', '2', '--budget', '4s', '--seed', '1', '--scenario', 'reorder,latency', '--json', '--report-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    // each job's progress lines, forwarded as they were printed
    expect(r.stderr).toMatch(/^\[reorder\] .*: searching for /m);
    expect(r.stderr).toMatch(/^\[reorder\] PASS: \d+ runs in /m);
    expect(r.stderr).toMatch(/^\[latency\] PASS: \d+ runs in /m);
    expect(r.stderr).toMatch(/2 passed, 0 failed — seed 1/);
    // stdout: the one merged summary (the jobs print none)
    const json = JSON.parse(r.stdout) as { seed: number; scenarios: { scenario: string; verdict: string; runs: number }[] };
    expect(json.seed).toBe(1);
    expect(json.scenarios.map((s) => [s.scenario, s.verdict])).toEqual([['latency', 'pass'], ['reorder', 'pass']]);
    // one report, as an unsharded run writes it (results.json too), and no job's directory left
    const latest = realpathSync(path.join(dir, 'latest'));
    expect(readdirSync(dir).sort()).toEqual([path.basename(latest), 'latest'].sort());
    const results = JSON.parse(readFileSync(path.join(latest, 'results.json'), 'utf8')) as { shard: unknown; run: { seed: number; budgetMs: number }; result: { scenarios: { scenario: string; runs: number }[] } };
    expect(results.shard).toEqual({ index: 1, count: 1 });
    expect(results.run).toMatchObject({ seed: 1, budgetMs: 4000 });
    expect(results.result.scenarios.map((s) => s.scenario)).toEqual(['latency', 'reorder']);
    expect(results.result.scenarios.map((s) => s.runs)).toEqual(json.scenarios.map((s) => s.runs));
    const summary = JSON.parse(readFileSync(path.join(latest, 'summary.json'), 'utf8')) as { verdict: string; merged: unknown };
    expect(summary.verdict).toBe('PASS');
    expect(summary.merged).toEqual({ shards: 2, from: ['job 1/2', 'job 2/2'] });
  }, 150_000);

  it.skipIf(process.platform !== 'linux')('a job killed before it wrote its results: its scenarios INCOMPLETE, one line naming it, exit 2, the other job\'s kept', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chaos-jobs-'));
    const parent = spawn(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', '--sim', '--jobs', '2', '--budget', '6s', '--seed', '1', '--scenario', 'reorder,latency', '--report-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const searching = new Promise<void>((resolve) => parent.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/^\[reorder\] .*searching/m.test(stderr) && /^\[latency\] .*searching/m.test(stderr)) resolve();
    }));
    const exited = new Promise<number | null>((resolve) => parent.on('close', (code) => resolve(code)));
    await searching;
    // the jobs are the parent's children; job 2/2 runs reorder (latency comes first in canonical order)
    const jobs = childPids(parent.pid!) ?? [];
    const second = jobs.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes('--shard 2/2'));
    expect(second).toBeDefined();
    process.kill(second!, 'SIGKILL');
    expect(await exited).toBe(2);
    expect(stderr).toMatch(/^chaos: job 2\/2 \(reorder\) was killed by SIGKILL without writing its results$/m);
    for (const pid of jobs) expect(pidAlive(pid)).toBe(false);
    const summary = JSON.parse(readFileSync(path.join(realpathSync(path.join(dir, 'latest')), 'summary.json'), 'utf8')) as { verdict: string; scenarios: { scenario: string; verdict: string; runs: number }[] };
    expect(summary.verdict).toBe('INCOMPLETE');
    expect(summary.scenarios.map((s) => [s.scenario, s.verdict])).toEqual([['latency', 'pass'], ['reorder', 'incomplete']]);
    expect(summary.scenarios[0]!.runs).toBeGreaterThan(0);
  }, 150_000);

  it.each([
    [['--jobs', '2', '--scenario', 'reorder'], /^chaos: --jobs 2 runs a simulated suite in 2 processes: add --sim/],
    [['--sim', '--jobs', '2', '--shard', '1/2', '--seed', '1'], /^chaos: --jobs 2 splits the run into shards itself: drop --shard, or --jobs$/],
    [['--sim', '--jobs', '0'], /--jobs must be an integer from 1/],
  ])('%j exits 2 with one line', (args, message) => {
    const r = chaos(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it("removes a hidden directory a --jobs run killed outright left (its pid is gone), never a living run's", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chaos-jobs-'));
    // a pid that was alive and is not: a child that has exited
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    expect(pidAlive(gone)).toBe(false);
    for (const n of [`.jobs-${gone}-1`, `.jobs-${process.pid}-2`, 'latest-run', '.jobs-notes']) mkdirSync(path.join(dir, n, 'job-1'), { recursive: true });
    expect(await sweepStaleJobDirs(dir)).toEqual([`.jobs-${gone}-1`]);
    expect(readdirSync(dir).sort()).toEqual([`.jobs-${process.pid}-2`, '.jobs-notes', 'latest-run'].sort());
    expect(await sweepStaleJobDirs(path.join(dir, 'absent'))).toEqual([]);
  });

  it('defaults to the cores for a budgeted simulated search, at most one job per scenario, and to this process otherwise', () => {
    const cores = availableParallelism();
    expect(jobsOf(['--sim', '--scenario', 'reorder,latency,partition'])).toBe(Math.min(cores, 3));
    expect(jobsOf(['--sim', '--scenario', 'reorder,latency', '--jobs', '8'])).toBe(2);
    // one scenario, a replay, a fixed count of runs, --jobs 1, live, a shard: in this process
    expect(jobsOf(['--sim', '--scenario', 'reorder'])).toBe(1);
    expect(jobsOf(['--sim', '--scenario', 'reorder', '--seed', '1', '--path', '0', '--jobs', '2'])).toBe(1);
    expect(jobsOf(['--sim', '--scenario', 'reorder,latency', '--runs', '3'])).toBe(1);
    expect(jobsOf(['--sim', '--scenario', 'reorder,latency', '--jobs', '1'])).toBe(1);
    expect(jobsOf(['--scenario', 'reorder,latency'])).toBe(1);
    expect(jobsOf(['--sim', '--scenario', 'reorder,latency', '--seed', '1', '--shard', '1/2'])).toBe(1);
    // asked for, a fixed count of runs is split too (each scenario runs its count either way)
    expect(jobsOf(['--sim', '--scenario', 'reorder,latency', '--runs', '3', '--jobs', '2'])).toBe(2);
  });
});
