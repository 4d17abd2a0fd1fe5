// `npm run soak` ends with the distribution of settle times over every run of every suite it
// ran, read from each suite's summary.json. Pure: the summaries are written by writeReport from
// hand-made results, soak's own functions read them; no suite is run.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeReport } from '../../harness/report/index.ts';
import { makeSuite, passingScenario, unknownScenario } from '../report/fixtures.ts';

interface SettleDistribution { runs: number; suites: number; minMs: number; p50Ms: number; p95Ms: number; maxMs: number; capped: number }
interface Soak {
  readSummary(reportDir: string): { scenarios: unknown[] } | undefined;
  settleSamples(summary: unknown): { ms: number; capped: boolean }[];
  settleDistribution(perSuite: { ms: number; capped: boolean }[][]): SettleDistribution | null;
  formatSettle(d: SettleDistribution | null): string;
}
const soakPath = new URL('../../scripts/soak.mjs', import.meta.url).href;
const soak = (await import(soakPath)) as Soak;

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
    const perSuite = ['1', '2'].map((d) => soak.settleSamples(soak.readSummary(join(root, d))));
    expect(perSuite.map((s) => s.length)).toEqual([7, 2]);
    const d = soak.settleDistribution(perSuite);
    // sorted: 350 400 400 500 700 700 900 1000 30000
    expect(d).toEqual({ runs: 9, suites: 2, minMs: 350, p50Ms: 700, p95Ms: 30_000, maxMs: 30_000, capped: 1 });
    expect(soak.formatSettle(d)).toBe('soak: settle over 9 runs of 2 suites: min 0.35 s, p50 0.70 s, p95 30.0 s, max 30.0 s; 1 run stopped at the settle cap');
  });

  it('says so when no suite left a summary with settle times', () => {
    expect(soak.readSummary(join(root, 'missing'))).toBeUndefined();
    expect(soak.settleSamples(undefined)).toEqual([]);
    expect(soak.settleDistribution([[], []])).toBeNull();
    expect(soak.formatSettle(null)).toBe('soak: no settle times (no suite wrote a summary.json with run records)');
  });

  it('still rejects bad usage with exit 2 when run as a script', () => {
    const r = spawnSync(process.execPath, ['scripts/soak.mjs', '--suites', '0'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--suites must be a positive integer/);
  });
});
