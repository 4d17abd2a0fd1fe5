// The headline banner as a reader sees it in Debian's Chromium: every line of text on it, the
// system's settings included, reads at WCAG AA contrast (4.5:1) on the red, green, purple and
// amber banner alike.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../harness/report/index.ts';
import type { SuiteResult } from '../../harness/runner/suite.ts';
import { failingScenario, incompleteScenario, makeSuite, passingScenario, unknownScenario } from './fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPED: the header contrast test needs ${CHROMIUM} (Debian package "chromium")`);

const SYSTEM = { name: 'bullmq', label: 'BullMQ 6.7.0', settings: 'lockDuration 30000 ms, stalledInterval 30000 ms, maxStalledCount 1' };

const withSystem = (suite: SuiteResult): SuiteResult => ({ ...suite, system: SYSTEM, redisConfig: [] });

const BANNERS: [string, SuiteResult][] = [
  ['PASS', withSystem(makeSuite([passingScenario('reorder')]))],
  ['FAIL', withSystem(makeSuite([failingScenario('worker-crash')]))],
  ['UNKNOWN', withSystem(makeSuite([unknownScenario('partition')]))],
  ['INCOMPLETE', withSystem(makeSuite([incompleteScenario('keeper-crash')]))],
];

/** Each text node's element on the banner: its text, its colour (with the opacity of it and its ancestors) and the banner's background. */
interface Sample { text: string; color: string; opacity: number; background: string }

function rgb(css: string): [number, number, number] {
  const m = /rgba?\(([\d.]+), ([\d.]+), ([\d.]+)/.exec(css);
  if (!m) throw new Error(`not an rgb colour: ${css}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

const luminance = ([r, g, b]: number[]) => {
  const lin = (c: number) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
};

/** WCAG contrast of the text (blended onto the background by its opacity) against the background. */
function contrast(s: Sample): number {
  const bg = rgb(s.background);
  const fg = rgb(s.color).map((c, i) => c * s.opacity + bg[i] * (1 - s.opacity));
  const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}

describe.skipIf(!hasChromium)(`the headline banner in headless Chromium${hasChromium ? '' : ' (SKIPPED: no chromium)'}`, () => {
  let root: string;
  let browser: Browser;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'report-contrast-'));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  });

  afterAll(async () => {
    await browser?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it.each(BANNERS)('reads every line of the %s banner, the settings line included, at 4.5:1 or more', async (verdict, suite) => {
    const { dir } = await writeReport(suite, { dir: join(root, verdict), runId: 'contrast', bugs: [] });
    const page = await browser.newPage();
    try {
      await page.goto(pathToFileURL(join(dir, 'index.html')).href, { waitUntil: 'load' });
      const header = page.locator('header.headline');
      expect(await header.getAttribute('class')).toContain(verdict);
      const samples: Sample[] = await header.evaluate((h) => {
        const background = getComputedStyle(h).backgroundColor;
        const out: { text: string; color: string; opacity: number; background: string }[] = [];
        const walker = document.createTreeWalker(h, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const text = n.textContent?.trim();
          const el = n.parentElement;
          if (!text || !el) continue;
          let opacity = 1;
          for (let e: Element | null = el; e && e !== h.parentElement; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
          out.push({ text, color: getComputedStyle(el).color, opacity, background });
        }
        return out;
      });
      expect(samples.some((s) => s.text.includes(SYSTEM.settings))).toBe(true);
      for (const s of samples) expect(contrast(s), `"${s.text}" (${s.color}, opacity ${s.opacity}) on ${s.background}`).toBeGreaterThanOrEqual(4.5);
    } finally {
      await page.close();
    }
  });
});
