// The chart renderer (harness/report/charts.ts: chartjs-node-canvas over canvas) is loaded only
// when the html report draws its first chart. A package installed without it (canvas and the
// chart packages are optional dependencies) still writes its report, and says why in one line.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeReport } from '../../harness/report/index.ts';
import { failingScenario, makeSuite, passingScenario } from '../report/fixtures.ts';

// chartjs-node-canvas (or the canvas it requires) cannot be imported: vitest reports a mock
// factory that throws with an error of its own, which stands here for node's "Cannot find package"
vi.mock('chartjs-node-canvas', () => {
  throw new Error('not installed');
});

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'report-no-charts-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a report without the chart renderer installed', () => {
  it('writes every file, with no charts and one line saying why', async () => {
    const report = await writeReport(makeSuite([passingScenario('reorder'), failingScenario('worker-crash')]), { dir: root, runId: 'r1', bugs: [] });
    expect(report.chartsError).toMatch(/^the chart renderer \(canvas, chartjs-node-canvas\) did not load: \S/);
    expect(report.chartsError).not.toContain('\n');
    for (const f of ['summary.json', 'junit.xml', 'index.html']) expect(existsSync(join(report.dir, f)), f).toBe(true);
    const page = await readFile(join(report.dir, 'index.html'), 'utf8');
    expect(page).not.toContain('<img class="chart"');
    expect(page).toContain('<b>Charts could not be drawn:</b> the chart renderer');
    expect(page).toContain('npm install canvas chartjs-node-canvas');
  });
});
