// `chaos soak` (`npm run soak`) ends with the distribution of settle times over every run of every suite it
// ran, read from each suite's summary.json. Pure: the summaries are written by writeReport from
// hand-made results, soak's own functions read them; no suite is run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeReport } from '../../harness/report/index.ts';
import { makeSuite, passingScenario, unknownScenario } from '../report/fixtures.ts';

import { parseCommand } from '../../harness/config/options.ts';
import * as soak from '../../harness/cli/soak.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'soak-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('soak settle distribution', () => {
  it('reads every run of every scenario of each suite and gives min / p50 / p95 / max and the capped count', async () => {
    // suite 1: 350, 900, 500, 30000 (capped) and 400, 700, 1000; suite 2: 400, 700
    await writeReport(makeSuite([unknownScenario('partition'), passingScenario('reorder', { runs: 3 })]), { dir: join(root, '1'), runId: 'r', bugs: [] });
    await writeReport(makeSuite([passingScenario('reorder', { runs: 2 })]), { dir: join(root, '2'), runId: 'r', bugs: [] });
    const perSuite = await Promise.all(['1', '2'].map(async (d) => soak.settleSamples(await soak.readSummary(join(root, d)))));
    expect(perSuite.map((s) => s.length)).toEqual([7, 2]);
    const d = soak.settleDistribution(perSuite);
    // sorted: 350 400 400 500 700 700 900 1000 30000
    expect(d).toEqual({ runs: 9, suites: 2, minMs: 350, p50Ms: 700, p95Ms: 30_000, maxMs: 30_000, capped: 1 });
    expect(soak.formatSettle(d)).toBe('soak: settle over 9 runs of 2 suites: min 0.35 s, p50 0.70 s, p95 30.0 s, max 30.0 s; 1 run stopped at the settle cap');
  });

  it('says so when no suite left a summary with settle times', async () => {
    expect(await soak.readSummary(join(root, 'missing'))).toBeUndefined();
    expect(soak.settleSamples(undefined)).toEqual([]);
    expect(soak.settleDistribution([[], []])).toBeNull();
    expect(soak.formatSettle(null)).toBe('soak: no settle times (no suite wrote a summary.json with run records)');
  });
});

describe('soak\'s suite options', () => {
  it('hands each suite\'s chaos run the options as typed, and only those typed', async () => {
    const cmd = soak.soakCommand();
    parseCommand(cmd, ['--suites', '3', '--seed', '4', '--system', 'bullmq', '--scenario', 'worker-crash', '--runs', '2', '--redis-config', 'appendonly=no', '--redis-config', 'appendfsync=always']);
    const o = await soak.soakOptionsOf(cmd);
    expect(o).toMatchObject({ suites: 3, seed: 4, scenario: 'worker-crash', runs: '2' });
    expect(o.suiteArgs).toEqual(['--scenario', 'worker-crash', '--runs', '2', '--system', 'bullmq', '--redis-config', 'appendonly=no', '--redis-config', 'appendfsync=always']);
    const none = soak.soakCommand();
    parseCommand(none, ['--no-sim']);
    expect((await soak.soakOptionsOf(none)).suiteArgs).toEqual(['--no-sim']);
  });
});

describe('soak report directory', () => {
  it('gives a second soak started in the same second a directory of its own', () => {
    const base = join(root, 'reports', 'soak', '20261204T120000Z');
    expect(soak.freshDir(base)).toBe(base);
    expect(soak.freshDir(base)).toBe(`${base}-2`);
    expect(soak.freshDir(base)).toBe(`${base}-3`);
  });
});
