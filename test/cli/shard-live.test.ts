// Sharding on real servers: `chaos --scenario reorder,keeper-race` run unsharded and as two
// shards (one after the other, to spare the CPU) does the same runs (scenario, run index,
// schedule, workload) and, merged, gets the same per-scenario verdicts. A planted bug caught in
// one shard makes the merged verdict FAIL, exit 1, with the unsharded replay command.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(tmpdir(), 'shard-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chaos(...args: string[]) {
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout, ms: Date.now() - started };
}

interface Results { result: { scenarios: { scenario: string; verdict: string; records: { index: number; schedule: unknown; workload: unknown }[] }[] } }
const latest = (root: string, file: string) => JSON.parse(readFileSync(path.join(root, 'latest', file), 'utf8')) as unknown;
const runsOf = (r: Results) => r.result.scenarios.flatMap((s) => s.records.map((x) => JSON.stringify([s.scenario, x.index, x.schedule, x.workload])));
const verdicts = (summary: unknown) => Object.fromEntries((summary as { scenarios: { scenario: string; verdict: string }[] }).scenarios.map((s) => [s.scenario, s.verdict]));

/**
 * Whether a coverage goal was met in a single live run is a matter of timing on the machine, not
 * of sharding (reorder's "stale event rejected" is sometimes missed in one run), so a verdict is
 * compared as "decided without a violation" when it is pass or vacuous; any other difference
 * (fail, unknown, incomplete) must agree exactly.
 */
const decided = (v: Record<string, string>) => Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === 'vacuous' ? 'pass' : x]));
/** the exit code a set of verdicts gives (no --allow-unknown): 1 on fail, vacuous, unknown or incomplete */
const codeOf = (v: Record<string, string>) => (Object.values(v).every((x) => x === 'pass') ? 0 : 1);

const SEED = '11';
const COMMON = ['--scenario', 'reorder,keeper-race', '--runs', '1', '--seed', SEED, '--ci'];

describe('sharded chaos on real servers', () => {
  it('two shards do the runs of the unsharded run, and merge to its verdicts', () => {
    const full = chaos(...COMMON, '--report-dir', path.join(dir, 'full'));
    const fullVerdicts = verdicts(latest(path.join(dir, 'full'), 'summary.json'));
    expect(full.code, full.stderr).toBe(codeOf(fullVerdicts));
    const s1 = chaos(...COMMON, '--shard', '1/2', '--report-dir', path.join(dir, 's1'));
    const s2 = chaos(...COMMON, '--shard', '2/2', '--report-dir', path.join(dir, 's2'));
    const shardVerdicts = { ...verdicts(latest(path.join(dir, 's1'), 'summary.json')), ...verdicts(latest(path.join(dir, 's2'), 'summary.json')) };
    expect(s1.code, s1.stderr).not.toBe(2);
    expect(s2.code, s2.stderr).not.toBe(2);
    expect(s1.stderr).toContain('chaos: shard 1/2 of scenarios reorder,keeper-race: runs reorder');
    expect(s2.stderr).toContain('chaos: shard 2/2 of scenarios reorder,keeper-race: runs keeper-race');
    expect((latest(path.join(dir, 's2'), 'summary.json') as { shard: unknown }).shard).toEqual({ index: 2, count: 2, scenarios: ['reorder', 'keeper-race'] });

    // the same runs: scenario, run index, schedule, workload
    const unshardedRuns = runsOf(latest(path.join(dir, 'full'), 'results.json') as Results);
    const shardedRuns = [...runsOf(latest(path.join(dir, 's1'), 'results.json') as Results), ...runsOf(latest(path.join(dir, 's2'), 'results.json') as Results)];
    expect(unshardedRuns).toHaveLength(2);
    expect(new Set(shardedRuns)).toEqual(new Set(unshardedRuns));

    const merged = chaos('merge', path.join(dir, 's1'), path.join(dir, 's2'), '--report-dir', path.join(dir, 'merged'));
    const summary = latest(path.join(dir, 'merged'), 'summary.json') as { verdict: string; merged: { shards: number }; scenarios: { scenario: string }[] };
    // the merge keeps each shard's verdict and exits as an unsharded run with those verdicts would
    expect(verdicts(summary)).toEqual(shardVerdicts);
    expect(merged.code, merged.stderr).toBe(codeOf(shardVerdicts));
    expect(summary.verdict).toBe(codeOf(shardVerdicts) === 0 ? 'PASS' : 'FAIL');
    expect(summary.merged.shards).toBe(2);
    expect(summary.scenarios.map((s) => s.scenario)).toEqual(['reorder', 'keeper-race']);
    // and the correct system gets the unsharded run's verdicts
    expect(decided(verdicts(summary))).toEqual(decided(fullVerdicts));
    expect(Object.values(decided(fullVerdicts))).toEqual(['pass', 'pass']);
    // fidelity on real data: the unsharded run's own results.json (shard 1/1) merges back to its
    // report: summary.json equal but for run id, time and the merged note; index.html likewise
    const again = chaos('merge', path.join(dir, 'full'), '--report-dir', path.join(dir, 'again'));
    expect(again.code, again.stderr).toBe(full.code);
    const strip = (x: unknown) => { const { runId: _a, createdAt: _b, merged: _c, ...rest } = x as Record<string, unknown>; return rest; };
    expect(strip(latest(path.join(dir, 'again'), 'summary.json'))).toEqual(strip(latest(path.join(dir, 'full'), 'summary.json')));
    const page = (d: string) => {
      const s = latest(path.join(dir, d), 'summary.json') as { runId: string; createdAt: string };
      return readFileSync(path.join(dir, d, 'latest', 'index.html'), 'utf8').replaceAll(s.runId, 'RUN').replaceAll(s.createdAt, 'TIME').replace(/<p>merged from .*<\/p>/, '');
    };
    expect(page('again')).toBe(page('full'));
    process.stderr.write(`shard-live: unsharded ${full.ms} ms ${JSON.stringify(fullVerdicts)}, shards ${s1.ms} + ${s2.ms} ms, merged ${merged.ms} ms ${JSON.stringify(verdicts(summary))}\n`);
  }, 600_000);

  it('a planted bug caught in one shard fails the merged run with the unsharded replay command', () => {
    const bug = ['--scenario', 'reorder,keeper-race', '--runs', '2', '--seed', '7', '--bugs', 'lww-status', '--ci'];
    const s1 = chaos(...bug, '--shard', '1/2', '--report-dir', path.join(dir, 'b1'));
    const s2 = chaos(...bug, '--shard', '2/2', '--report-dir', path.join(dir, 'b2'));
    expect(s1.code, s1.stderr).toBe(1); // reorder catches lww-status
    expect(s2.code).not.toBe(2);
    const merged = chaos('merge', path.join(dir, 'b2'), path.join(dir, 'b1'), '--report-dir', path.join(dir, 'bm'), '--ci');
    expect(merged.code, merged.stderr).toBe(1);
    const replay = /replay: (npm run chaos -- --scenario reorder --seed 7 --path \S+ --bugs lww-status)\n/.exec(merged.stderr);
    expect(replay, merged.stderr).not.toBeNull();
    expect(replay![1]).not.toContain('--shard');
    const summary = latest(path.join(dir, 'bm'), 'summary.json') as { verdict: string; scenarios: { scenario: string; verdict: string; failure?: { replay: string } }[] };
    expect(summary.verdict).toBe('FAIL');
    expect(summary.scenarios.find((s) => s.scenario === 'reorder')?.failure?.replay).toBe(replay![1]);
    expect(readFileSync(path.join(dir, 'bm', 'latest', 'index.html'), 'utf8')).toContain(replay![1]);
  }, 600_000);
});
