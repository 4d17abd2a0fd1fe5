import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeReport } from '../../harness/report/index.ts';
import { failingScenario, makeSuite, passingScenario } from './fixtures.ts';

// what chartjs-node-canvas throws when canvas's native module was never built
vi.mock('chartjs-node-canvas', () => ({
  ChartJSNodeCanvas: class {
    constructor() {
      throw new Error("Cannot find module '../build/Release/canvas.node'\nRequire stack: ...");
    }
  },
}));

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'report-degraded-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('writeReport without a working canvas', () => {
  it('still writes summary.json and junit.xml, and the page says why it has no charts', async () => {
    const report = await writeReport(makeSuite([passingScenario('reorder'), failingScenario('worker-crash')]), { dir: root, runId: 'r1', bugs: [] });
    expect(report.chartsError).toBe("Cannot find module '../build/Release/canvas.node'");
    expect(existsSync(join(report.dir, 'summary.json'))).toBe(true);
    expect(await readFile(join(report.dir, 'junit.xml'), 'utf8')).toContain('<failure');
    const page = await readFile(join(report.dir, 'index.html'), 'utf8');
    expect(page).not.toContain('<img class="chart"');
    expect(page).toContain('<b>Charts could not be drawn:</b> Cannot find module &#39;../build/Release/canvas.node&#39;');
    expect(page).toContain('npm rebuild canvas');
    expect(page).toMatch(/<h1>FAIL<\/h1>/);
  });
});
