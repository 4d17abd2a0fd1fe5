// The merge of shard results, on hand-made suite results: the merged report equals the report
// of the unsharded SuiteResult in everything but timings and run ids; the exit code is the one
// the unsharded run has; every way the given shards can fail to be one run is one line, exit 2.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gateExitCode } from '../../harness/cli/gate.ts';
import { writeMergedReport } from '../../harness/cli/merge.ts';
import { shardItems } from '../../harness/config/shard.ts';
import { writeReport, type ReportSummary } from '../../harness/report/index.ts';
import { findShardResults, loadShard, mergeShards, MergeError, shardResults, type RunKey } from '../../harness/report/merge.ts';
import type { SuiteResult } from '../../harness/runner/suite.ts';
import { failingScenario, makeSuite, passingScenario, unknownScenario, vacuousScenario } from './fixtures.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'shard-merge-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const SEED = 77;
const NAMES = ['latency', 'reorder', 'keeper-race', 'worker-crash', 'pause'];
const KEY: RunKey = { seed: SEED, bugs: ['lww-status'], scenarios: NAMES, runs: 5, workers: 2 };

/** An unsharded result: every scenario with the suite's seed, as Suite makes them. */
function unsharded(): SuiteResult {
  return makeSuite([
    passingScenario('latency', { seed: SEED }),
    failingScenario('reorder', { seed: SEED }),
    unknownScenario('keeper-race', { seed: SEED }),
    vacuousScenario('worker-crash'),
    passingScenario('pause', { seed: SEED, runs: 3 }),
  ].map((s) => ({ ...s, seed: SEED })), { seed: SEED, bugs: ['lww-status'] });
}

/** Shard k of n of the same run: its scenarios, as the sharded Suite would have produced them. */
function shardOfSuite(full: SuiteResult, index: number, count: number): SuiteResult {
  const scenarios = shardItems(full.scenarios, { index, count });
  return { ...full, scenarios, durationMs: scenarios.reduce((n, s) => n + s.durationMs, 0) + 100 * index };
}

/** Writes shard k/n's report directory and returns it. */
async function writeShard(full: SuiteResult, index: number, count: number, key: RunKey = KEY, name = `shard-${index}`): Promise<string> {
  const result = shardOfSuite(full, index, count);
  const files = await writeReport(result, {
    dir: join(root, name), runId: 'r', bugs: key.bugs, workers: key.workers,
    shard: { index, count, scenarios: key.scenarios }, shardResults: shardResults('chaos', { index, count }, key, result),
  });
  return files.dir;
}

/** Everything but timings, run ids and where a file came from. */
function comparable(s: ReportSummary) {
  const { runId: _r, createdAt: _c, durationMs: _d, merged: _m, ...rest } = s;
  return JSON.parse(JSON.stringify(rest, (k, v) => (k === 'durationMs' ? undefined : v)));
}

const junitComparable = (text: string) => text
  .replace(/ time="[^"]*"/g, '').replace(/ timestamp="[^"]*"/g, '')
  .replace(/\s*<property name="(runId|mergedFrom)" value="[^"]*"\/>/g, '');

async function mergeDirs(dirs: string[], out: string) {
  const merged = mergeShards(await Promise.all(dirs.map(loadShard)));
  const files = await writeMergedReport(merged, { dir: out, runId: 'merged' });
  return { merged, files };
}

describe('merge of shard results', () => {
  it.each([1, 2, 3, 5, 7])('%i shards merge to the unsharded report (but for timings)', async (count) => {
    const full = unsharded();
    const reference = await writeReport(full, { dir: join(root, 'full'), runId: 'full', bugs: full.bugs, workers: 2 });
    const dirs: string[] = [];
    // given in any order: the merge orders by shard and scenarios canonically
    for (let k = count; k >= 1; k--) dirs.push(await writeShard(full, k, count));
    const { merged, files } = await mergeDirs(dirs, join(root, 'out'));

    expect(merged.result.scenarios.map((s) => s.scenario)).toEqual(NAMES);
    expect(comparable(files.summary)).toEqual(comparable(reference.summary));
    expect(files.summary.verdict).toBe('FAIL');
    expect(files.summary.merged).toEqual({ shards: count, from: [...dirs].reverse() });
    expect(files.summary.shard).toBeUndefined();
    // the records themselves (schedules, workloads, verdicts, stats) come back as they were written
    expect(JSON.parse(JSON.stringify(merged.result.scenarios))).toEqual(JSON.parse(JSON.stringify(full.scenarios)));
    expect(junitComparable(await readFile(join(files.dir, 'junit.xml'), 'utf8'))).toBe(junitComparable(await readFile(join(reference.dir, 'junit.xml'), 'utf8')));
    // the replay command is the unsharded one: it replays on one machine
    const replay = files.summary.scenarios.find((s) => s.scenario === 'reorder')?.failure?.replay;
    expect(replay).toBe(`npm run chaos -- --scenario reorder --seed ${SEED} --path 2:0:0 --bugs lww-status --workers 2`);
    const page = await readFile(join(files.dir, 'index.html'), 'utf8');
    expect(page).toContain(replay);
    expect(page).toContain(`merged from <b>${count} shard`);
    // one verdict, one exit code: the unsharded run's
    const log = () => undefined;
    expect(gateExitCode(merged.result, files.summary, { allowUnknown: false }, log)).toBe(gateExitCode(full, reference.summary, { allowUnknown: false }, log));
  });

  it('merges to the unsharded exit code on a passing and an unknown run', async () => {
    const log = () => undefined;
    for (const [scenarios, expected] of [
      [[passingScenario('latency'), passingScenario('reorder')], 0],
      [[passingScenario('latency'), unknownScenario('reorder')], 1],
    ] as const) {
      const full = makeSuite([...scenarios], { seed: SEED });
      const key = { seed: SEED, bugs: [], scenarios: ['latency', 'reorder'] };
      const sub = await mkdtemp(join(root, 'run-'));
      const dirs: string[] = [];
      for (const k of [1, 2]) {
        const result = shardOfSuite(full, k, 2);
        dirs.push((await writeReport(result, { dir: join(sub, `s${k}`), runId: 'r', bugs: [], shardResults: shardResults('chaos', { index: k, count: 2 }, key, result) })).dir);
      }
      const { merged, files } = await mergeDirs(dirs, join(sub, 'out'));
      expect(gateExitCode(merged.result, files.summary, { allowUnknown: false }, log)).toBe(expected);
      expect(gateExitCode(full, undefined, { allowUnknown: false }, log)).toBe(expected);
    }
  });

  it('names the shard in a shard\'s summary.json, index.html and junit.xml', async () => {
    const dir = await writeShard(unsharded(), 2, 3);
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as ReportSummary;
    expect(summary.shard).toEqual({ index: 2, count: 3, scenarios: NAMES });
    expect(summary.scenarios.map((s) => s.scenario)).toEqual(['reorder', 'pause']);
    expect(await readFile(join(dir, 'index.html'), 'utf8')).toContain('shard 2/3');
    const junit = await readFile(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toContain('name="chaos shard 2/3"');
    expect(junit).toContain('<property name="shard" value="2/3"/>');
  });

  it('finds a shard\'s report in a --report-dir root whose latest an artifact download dropped or made a file', async () => {
    const full = unsharded();
    const a = await writeShard(full, 1, 2, KEY, 'root1');
    const b = await writeShard(full, 2, 2, KEY, 'root2');
    await rm(join(root, 'root1', 'latest'));
    await rm(join(root, 'root2', 'latest'));
    await writeFile(join(root, 'root2', 'latest'), 'r\n');
    expect(await findShardResults(join(root, 'root1'))).toBe(join(a, 'results.json'));
    expect(await findShardResults(join(root, 'root2'))).toBe(join(b, 'results.json'));
    // two reports and no latest: which one is meant cannot be told
    await writeReport(shardOfSuite(full, 1, 2), { dir: join(root, 'root1'), runId: 'other', bugs: [], shardResults: shardResults('chaos', { index: 1, count: 2 }, KEY, shardOfSuite(full, 1, 2)) });
    await rm(join(root, 'root1', 'latest'));
    await expect(findShardResults(join(root, 'root1'))).rejects.toThrow(/holds 2 reports \(other, r\) and no latest/);
  });

  it('follows a --report-dir root\'s latest to the shard\'s report', async () => {
    const full = unsharded();
    await writeShard(full, 1, 2, KEY, 'root1');
    await writeShard(full, 2, 2, KEY, 'root2');
    const { merged } = await mergeDirs([join(root, 'root1'), join(root, 'root2')], join(root, 'out'));
    expect(merged.result.scenarios).toHaveLength(NAMES.length);
  });
});

describe('chaos merge --baseline', () => {
  it('compares the merged summary with a baseline like chaos does', async () => {
    const passing = makeSuite([passingScenario('latency'), passingScenario('reorder')].map((x) => ({ ...x, seed: SEED })), { seed: SEED });
    const key = { seed: SEED, bugs: [], scenarios: ['latency', 'reorder'] };
    const dirs: string[] = [];
    for (const k of [1, 2]) {
      const result = shardOfSuite(passing, k, 2);
      dirs.push((await writeReport(result, { dir: join(root, `p${k}`), runId: 'r', bugs: [], shardResults: shardResults('chaos', { index: k, count: 2 }, key, result) })).dir);
    }
    const same = await writeReport(passing, { dir: join(root, 'base'), runId: 'same', bugs: [] });
    const failed = await writeReport(makeSuite([passingScenario('latency'), failingScenario('reorder')]), { dir: join(root, 'base'), runId: 'failed', bugs: [] });
    const merge = (baseline: string) => spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', 'merge', ...dirs, '--report-dir', join(root, 'out'), '--baseline', baseline], { encoding: 'utf8', timeout: 60_000 });

    const ok = merge(join(same.dir, 'summary.json'));
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('baseline: baseline: no regression (2 scenarios compared)');
    // a scenario that failed in the baseline and passes now is a note, not a regression
    const better = merge(join(failed.dir, 'summary.json'));
    expect(better.status, better.stderr).toBe(0);
    expect(better.stderr).toContain('note  reorder: fail → pass');

    // and a regression against the baseline fails the merged gate
    const regressed = makeSuite([passingScenario('latency'), failingScenario('reorder')].map((x) => ({ ...x, seed: SEED })), { seed: SEED });
    const rdirs: string[] = [];
    for (const k of [1, 2]) {
      const result = shardOfSuite(regressed, k, 2);
      rdirs.push((await writeReport(result, { dir: join(root, `r${k}`), runId: 'r', bugs: [], shardResults: shardResults('chaos', { index: k, count: 2 }, key, result) })).dir);
    }
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', 'merge', ...rdirs, '--report-dir', join(root, 'out'), '--baseline', join(same.dir, 'summary.json')], { encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('baseline: FAIL  reorder: pass → fail');
  });
});

describe('merge errors', () => {
  const cases: [string, (full: SuiteResult) => Promise<string[]>, RegExp][] = [
    ['a missing shard', async (f) => [await writeShard(f, 1, 3), await writeShard(f, 3, 3)], /^shard 2\/3 missing \(given: 1\/3, 3\/3\)$/],
    ['a shard given twice', async (f) => { const a = await writeShard(f, 1, 2); return [a, await writeShard(f, 2, 2), a]; }, /^shard 1\/2 given twice: .*shard-1\/r and .*shard-1\/r$/],
    ['a shard of another seed', async (f) => [await writeShard(f, 1, 2), await writeShard(f, 2, 2, { ...KEY, seed: 78 })], /ran seed 78 but .* ran seed 77: not the same run$/],
    ['a shard of other runs', async (f) => [await writeShard(f, 1, 2), await writeShard(f, 2, 2, { ...KEY, runs: 9 })], /ran with runs 9 but .* with runs 5: not the same run$/],
    ['a shard of other bugs', async (f) => [await writeShard(f, 1, 2), await writeShard(f, 2, 2, { ...KEY, bugs: [] })], /ran with bugs \(none\) but .* with bugs lww-status: not the same run$/],
    ['a shard of another scenario selection', async (f) => [await writeShard(f, 1, 2), await writeShard(f, 2, 2, { ...KEY, scenarios: NAMES.slice(0, 4) })], /ran with scenarios latency,reorder,keeper-race,worker-crash but .* with scenarios latency,reorder,keeper-race,worker-crash,pause/],
    ['a shard of another budget', async (f) => [await writeShard(f, 1, 2), await writeShard(f, 2, 2, { ...KEY, budgetMs: 60_000 })], /ran with budget \(ms\) 60000 but .* with budget \(ms\) \(default\)/],
    ['shards of different N', async (f) => [await writeShard(f, 1, 2), await writeShard(f, 2, 3)], /is shard 2\/3 but .* is shard 1\/2: not the same number of shards$/],
    ['a directory without shard results', async (f) => [await writeShard(f, 1, 2), join(root, 'nothing')], /nothing: no shard results/],
  ];

  it.each(cases)('%s: MergeError with one line', async (_name, make, message) => {
    const dirs = await make(unsharded());
    const err = await Promise.all(dirs.map(loadShard)).then((s) => mergeShards(s)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(MergeError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message.split('\n')).toHaveLength(1);
  });

  it.each(cases.filter(([name]) => ['a missing shard', 'a shard given twice', 'a shard of another seed', 'a shard of other runs'].includes(name)))('%s: chaos merge exits 2 with one line', async (_name, make, message) => {
    const dirs = await make(unsharded());
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', 'merge', ...dirs, '--report-dir', join(root, 'out')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    const line = r.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line.replace(/^chaos: merge: /, '')).toMatch(message);
    expect(line).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('a shard holding a scenario another shard is dealt is refused', async () => {
    const full = unsharded();
    const result = { ...full, scenarios: full.scenarios.slice(0, 2) };
    const a = (await writeReport(result, { dir: join(root, 'x1'), runId: 'r', bugs: KEY.bugs, shardResults: shardResults('chaos', { index: 1, count: 2 }, KEY, result) })).dir;
    const b = await writeShard(full, 2, 2);
    await expect(Promise.all([a, b].map(loadShard)).then(mergeShards)).rejects.toThrow(/holds scenario reorder, which shard 2\/2 runs/);
  });
});
