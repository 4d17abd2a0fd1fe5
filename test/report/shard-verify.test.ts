// `chaos verify --shard K/N` shards merge into one verify report: every planted bug's row in the
// run's bug order, the correct system's scenarios in canonical order, and exit 1 when any shard
// had a bug escape. Pure: hand-made verify results, written as verify writes them.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportRows } from '../../harness/cli/verify.ts';
import { shardItems } from '../../harness/config/shard.ts';
import { writeReport, type ReportSummary } from '../../harness/report/index.ts';
import { loadShard, mergeShards, shardResults } from '../../harness/report/merge.ts';
import { verifyWork, type VerifyRow } from '../../harness/runner/verify.ts';
import { makeSuite, passingScenario } from './fixtures.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'shard-verify-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const SEED = 5;
const work = verifyWork();
const KEY = { seed: SEED, bugs: work.bugs.map((b) => b.name), scenarios: work.control.map((s) => s.name), runs: 3 };

function row(bug: string, caught: boolean): VerifyRow {
  const b = work.bugs.find((x) => x.name === bug)!;
  return {
    bug, caught, caughtBy: caught ? b.scenarios[0] : null, checkers: caught ? [b.checkers[0]] : [], firstRunCheckers: caught ? [b.checkers[0]] : [],
    expectedChecker: caught, runsToDetect: caught ? 1 : null, timeToDetectMs: caught ? 1500 : null, totalMs: 4000,
    scheduleSize: caught ? 1 : null, seed: SEED, path: caught ? '0' : null,
  };
}

async function writeVerifyShard(index: number, count: number, escaped: string[] = []): Promise<string> {
  const bugs = shardItems(work.bugs, { index, count });
  const control = makeSuite(shardItems(work.control, { index, count }).map((s) => ({ ...passingScenario(s.name, { runs: 2 }), seed: SEED })), { seed: SEED });
  const rows = bugs.map((b) => row(b.name, !escaped.includes(b.name)));
  const ok = rows.every((r) => r.caught);
  const files = await writeReport(control, {
    dir: join(root, `v${index}`), runId: 'r', bugs: [], verify: reportRows(rows),
    shard: { index, count, scenarios: KEY.scenarios }, shardResults: shardResults('verify', { index, count }, KEY, control, { verify: rows, ok }),
  });
  return files.dir;
}

function merge(dirs: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', 'merge', ...dirs, '--report-dir', join(root, 'out')], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stderr: r.stderr };
}

describe('merge of verify shards', () => {
  it('rebuilds every bug row and the control suite, and exits 0 when every bug was caught', async () => {
    const dirs = [await writeVerifyShard(2, 3), await writeVerifyShard(1, 3), await writeVerifyShard(3, 3)];
    const merged = mergeShards(await Promise.all(dirs.map(loadShard)));
    expect(merged.kind).toBe('verify');
    expect(merged.verify?.map((r) => r.bug)).toEqual(KEY.bugs);
    expect(merged.result.scenarios.map((s) => s.scenario)).toEqual(KEY.scenarios);
    expect(merged.ok).toBe(true);

    const r = merge(dirs);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('verify: every planted bug caught, correct system passes');
    const summary = JSON.parse(await readFile(join(root, 'out', 'latest', 'summary.json'), 'utf8')) as ReportSummary;
    expect(summary.verify?.map((v) => v.bug)).toEqual(KEY.bugs);
    expect(summary.verify?.every((v) => v.replay?.startsWith('npm run chaos -- --scenario ') && !v.replay.includes('--shard'))).toBe(true);
    expect(summary.scenarios.map((s) => s.scenario)).toEqual(KEY.scenarios);
    expect(summary.merged?.shards).toBe(3);
  });

  it('exits 1 naming the bug that escaped in one shard', async () => {
    const escaped = shardItems(work.bugs, { index: 2, count: 2 })[0].name;
    const r = merge([await writeVerifyShard(1, 2), await writeVerifyShard(2, 2, [escaped])]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`escaped: ${escaped}`);
    expect(r.stderr).toContain('verify: FAILED');
  });

  it('refuses to merge a verify shard with a chaos shard', async () => {
    const chaosResult = makeSuite([passingScenario('reorder')], { seed: SEED });
    const chaosDir = (await writeReport(chaosResult, { dir: join(root, 'c'), runId: 'r', bugs: [], shardResults: shardResults('chaos', { index: 2, count: 2 }, { seed: SEED, bugs: [], scenarios: ['latency', 'reorder'] }, chaosResult) })).dir;
    const r = merge([await writeVerifyShard(1, 2), chaosDir]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^chaos: merge: .* is a chaos shard but .* is a verify shard: not the same run$/);
  });
});
