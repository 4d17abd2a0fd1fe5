// index.html as a reader sees it: Debian's Chromium renders the page; the charts must load
// and show something, and a hostile task description must stay text.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../harness/report/index.ts';
import { HOSTILE, HOSTILE_EVIDENCE, failingScenario, makeSuite, passingScenario } from './fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`SKIPPED: the browser test of index.html needs ${CHROMIUM} (Debian package "chromium": apt-get install -y chromium)`);
}

/** Share of pixels that differ from the most common colour, and how many colours there are. */
function pixelVariety(png: Buffer): { colours: number; nonBackground: number } {
  const image = PNG.sync.read(png);
  const counts = new Map<number, number>();
  for (let i = 0; i < image.data.length; i += 4) {
    const key = image.data.readUInt32BE(i);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const pixels = image.width * image.height;
  const background = Math.max(...counts.values());
  return { colours: counts.size, nonBackground: (pixels - background) / pixels };
}

describe.skipIf(!hasChromium)(`index.html in headless Chromium${hasChromium ? '' : ` (SKIPPED: ${CHROMIUM} is absent)`}`, () => {
  let root: string;
  let context: BrowserContext;
  let page: Page;
  const dialogs: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'report-browser-'));
    const result = makeSuite([passingScenario('reorder'), failingScenario('worker-crash')], { bugs: ['lww-status'] });
    const { dir } = await writeReport(result, { dir: join(root, 'reports'), runId: 'browser', bugs: ['lww-status'] });
    context = await chromium.launchPersistentContext(join(root, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1100, height: 900 },
    });
    page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(join(dir, 'index.html')).href, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await context?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('shows the headline verdict first', async () => {
    const first = page.locator('main > *').first();
    expect(await first.evaluate((el) => el.tagName)).toBe('HEADER');
    expect(await first.locator('h1').innerText()).toBe('FAIL');
    expect(await first.innerText()).toContain('seed 1234');
    expect(await first.isVisible()).toBe(true);
  });

  it('loads every chart image', async () => {
    const images = await page.locator('img.chart').evaluateAll((els) => els.map((el) => {
      const img = el as HTMLImageElement;
      return { complete: img.complete, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight };
    }));
    expect(images).toHaveLength(6);
    for (const img of images) {
      expect(img.complete).toBe(true);
      expect(img.naturalWidth).toBeGreaterThan(0);
      expect(img.naturalHeight).toBeGreaterThan(0);
    }
  });

  it('draws something visible in every chart', async () => {
    const charts = page.locator('img.chart');
    const count = await charts.count();
    for (let i = 0; i < count; i++) {
      const variety = pixelVariety(await charts.nth(i).screenshot());
      expect(variety.colours, `chart ${i} is one colour`).toBeGreaterThan(16);
      expect(variety.nonBackground, `chart ${i} is almost blank`).toBeGreaterThan(0.03);
    }
  });

  it('keeps a hostile task description as visible text: no dialog, no script', async () => {
    await expect.poll(() => page.getByText(HOSTILE, { exact: false }).first().isVisible()).toBe(true);
    expect(await page.getByText(HOSTILE_EVIDENCE, { exact: false }).first().isVisible()).toBe(true);
    expect(await page.evaluate(() => document.scripts.length)).toBe(0);
    expect(await page.locator('img:not(.chart)').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('needs nothing from the network', () => {
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
  });
});
