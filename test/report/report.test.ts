import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSummary, writeReport } from '../../harness/report/index.ts';
import { HOSTILE, HOSTILE_EVIDENCE, UNKNOWN_EVIDENCE, failingScenario, incompleteScenario, makeSuite, passingScenario, unknownScenario, vacuousScenario } from './fixtures.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'report-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const NOW = new Date('2026-03-01T12:00:00Z');
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) });

interface TestCase {
  '@name': string;
  failure?: { '@message': string; '@type': string; '#text'?: string } | string;
}

async function junitCases(dir: string): Promise<{ suites: unknown[]; cases: TestCase[] }> {
  const text = await readFile(join(dir, 'junit.xml'), 'utf8');
  expect(XMLValidator.validate(text)).toBe(true);
  const doc = xml.parse(text) as { testsuites: { testsuite: { testcase: TestCase[] }[] } };
  return { suites: doc.testsuites.testsuite, cases: doc.testsuites.testsuite.flatMap((s) => s.testcase) };
}

function failureOf(c: TestCase | undefined): { '@message': string; '@type': string; '#text'?: string } {
  expect(c?.failure, `${c?.['@name']} should carry a <failure>`).toBeTypeOf('object');
  return c!.failure as { '@message': string; '@type': string; '#text'?: string };
}

describe('writeReport', () => {
  it('writes summary.json carrying the violation, latency quantiles and stats totals of a failing scenario', async () => {
    const result = makeSuite([passingScenario('reorder'), failingScenario('worker-crash')], { bugs: ['lww-status'] });
    const { dir, files } = await writeReport(result, { dir: root, runId: 'r1', bugs: ['lww-status'], now: NOW });
    expect(dir).toBe(join(root, 'r1'));
    expect(files).toContain(join(dir, 'summary.json'));
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ runId: 'r1', createdAt: '2026-03-01T12:00:00.000Z', verdict: 'FAIL', seed: 1234, bugs: ['lww-status'], complete: true, incomplete: false });
    const failing = summary.scenarios.find((s: { scenario: string }) => s.scenario === 'worker-crash');
    expect(failing.verdict).toBe('fail');
    expect(failing.failure.violations).toContainEqual({
      checker: 'terminal-stable',
      evidence: ['job job-2: running applied after terminal completed', `job job-5: ${HOSTILE_EVIDENCE}`],
    });
    expect(failing.failure.replay).toBe('npm run chaos -- --scenario worker-crash --seed 42 --path 2:0:0 --bugs lww-status');
    expect(failing.failure.schedule).toEqual(['at 600 ms for 700 ms: latency on link keeper-1 (stream=downstream latencyMs=300 jitterMs=50)']);
    const { p50, p95, p99, samples } = failing.latency;
    expect(samples).toBe(result.scenarios[1].records.reduce((n, r) => n + r.stats.latencies.length, 0));
    expect(p50).toBeLessThanOrEqual(p95);
    expect(p95).toBeLessThanOrEqual(p99);
    expect(failing.stats.transitionsApplied).toBe(result.scenarios[1].records.reduce((n, r) => n + r.stats.transitionsApplied, 0));
    expect(failing.stats.staleIgnored).toBe(2);
  });

  it('writes one JSONL history per failing run, one entry a line', async () => {
    const result = makeSuite([passingScenario('reorder'), failingScenario('worker-crash')]);
    const { dir } = await writeReport(result, { dir: root, runId: 'r1', bugs: [] });
    const summary = await loadSummary(join(dir, 'summary.json'));
    const failing = summary.scenarios.find((s) => s.scenario === 'worker-crash')!;
    expect(failing.histories).toEqual(['histories/worker-crash-run2.jsonl', 'histories/worker-crash-run3.jsonl', 'histories/worker-crash-run4.jsonl']);
    expect(summary.scenarios.find((s) => s.scenario === 'reorder')!.histories).toEqual([]);
    const lines = (await readFile(join(dir, failing.histories[2]), 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(result.scenarios[1].failure!.run.history);
  });

  it('writes what each system process wrote in a failing run beside its history, linked from the page', async () => {
    const result = makeSuite([passingScenario('reorder'), failingScenario('worker-crash')]);
    const runs = result.scenarios[1].records.filter((r) => r.outcome === 'fail');
    runs[0]!.logs = { 'worker-1': 'worker-1 took job-2\n', 'keeper-1': '', orchestrator: 'listening\n' };
    // a passing run's logs are never kept
    result.scenarios[0].records[0]!.logs = { 'worker-1': 'fine\n' };
    const { dir } = await writeReport(result, { dir: root, runId: 'r1', bugs: [] });
    const summary = await loadSummary(join(dir, 'summary.json'));
    const failing = summary.scenarios.find((s) => s.scenario === 'worker-crash')!;
    const run = runs[0]!.index;
    // an empty log writes no file
    expect(failing.logs).toEqual([`logs/worker-crash-run${run}/worker-1.log`, `logs/worker-crash-run${run}/orchestrator.log`]);
    expect(await readFile(join(dir, failing.logs![0]!), 'utf8')).toBe('worker-1 took job-2\n');
    expect(summary.scenarios.find((s) => s.scenario === 'reorder')!.logs).toEqual([]);
    const page = await readFile(join(dir, 'index.html'), 'utf8');
    expect(page).toContain(`<a href="logs/worker-crash-run${run}/worker-1.log">`);
  });

  it('writes junit.xml with one testsuite and a <failure> whose message names the checker and whose body holds the evidence', async () => {
    const result = makeSuite([passingScenario('reorder'), failingScenario('worker-crash')]);
    const { dir } = await writeReport(result, { dir: root, runId: 'r1', bugs: [] });
    const { suites, cases } = await junitCases(dir);
    expect(suites).toHaveLength(1);
    expect(cases.map((c) => c['@name'])).toEqual(['reorder', 'worker-crash']);
    expect(cases[0].failure).toBeUndefined();
    const failure = failureOf(cases[1]);
    expect(failure['@type']).toBe('violation');
    expect(failure['@message']).toMatch(/violations? in 3 failing runs: terminal-stable \(2\), running-set-consistent \(1\)/);
    expect(failure['#text']).toContain('terminal-stable: job job-2: running applied after terminal completed');
    expect(failure['#text']).toContain('replay: npm run chaos -- --scenario worker-crash --seed 42 --path 2:0:0');
  });

  it('reports vacuous and incomplete scenarios as JUnit failures that say why', async () => {
    const result = makeSuite([vacuousScenario('partition'), incompleteScenario('keeper-crash')]);
    const { dir } = await writeReport(result, { dir: root, runId: 'r1', bugs: [] });
    const { cases } = await junitCases(dir);
    expect(failureOf(cases.find((c) => c['@name'] === 'partition'))['@message']).toBe('vacuous: coverage goal never met in 3 runs: job reclaimed after crash');
    expect(failureOf(cases.find((c) => c['@name'] === 'keeper-crash'))['@message']).toBe('incomplete: redis-server exited with code 1');
  });

  it('keeps junit.xml well-formed when evidence quotes control characters or a CDATA end', async () => {
    const failing = failingScenario('worker-crash');
    failing.failure!.run.verdicts[0].evidence[0].message = 'output "\u0001\u001b[31mred" & <tag> ]]>';
    const { dir } = await writeReport(makeSuite([failing]), { dir: root, runId: 'r1', bugs: [] });
    const { cases } = await junitCases(dir);
    expect(failureOf(cases[0])['#text']).toContain('output "\uFFFD\uFFFD[31mred" & <tag> ]]>');
  });

  it('says INCOMPLETE in index.html and complete: false in summary.json for a result cut short', async () => {
    const { dir } = await writeReport(makeSuite([passingScenario('reorder')], { complete: false }), { dir: root, runId: 'r1', bugs: [] });
    const page = await readFile(join(dir, 'index.html'), 'utf8');
    expect(page).toMatch(/<h1>INCOMPLETE<\/h1>/);
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ verdict: 'INCOMPLETE', complete: false, incomplete: true });
    // the suite was cut short between scenarios: JUnit must not look all green
    const { cases } = await junitCases(dir);
    expect(failureOf(cases.find((c) => c['@name'] === '(suite)'))['@type']).toBe('incomplete');
  });

  it('treats the incomplete option like a result cut short, and a found violation still heads the page as FAIL', async () => {
    const { dir } = await writeReport(makeSuite([failingScenario('worker-crash')]), { dir: root, runId: 'r1', bugs: [], incomplete: true });
    const page = await readFile(join(dir, 'index.html'), 'utf8');
    expect(page).toMatch(/<h1>FAIL<\/h1>/);
    expect(page).toContain('INCOMPLETE: the suite was cut short');
    expect(JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'))).toMatchObject({ verdict: 'FAIL', complete: false, incomplete: true });
  });

  it('escapes every text from the history in index.html, which has no script at all', async () => {
    const { dir } = await writeReport(makeSuite([failingScenario('worker-crash')]), { dir: root, runId: 'r1', bugs: [] });
    const page = await readFile(join(dir, 'index.html'), 'utf8');
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&lt;img src=x onerror=alert(2)&gt; &amp; &quot;quoted&quot;');
  });

  it('embeds every chart as a PNG data URI and references nothing on the network', async () => {
    const { dir } = await writeReport(makeSuite([passingScenario('reorder'), failingScenario('worker-crash')]), { dir: root, runId: 'r1', bugs: [] });
    const page = await readFile(join(dir, 'index.html'), 'utf8');
    const images = [...page.matchAll(/<img class="chart" src="([^"]*)"/g)].map((m) => m[1]);
    expect(images).toHaveLength(2 + 2 * 2);
    for (const src of images) expect(src).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('shows the planted-bug table when verify rows are given, marking an escaped bug', async () => {
    const verify = [
      { bug: 'lww-status', caughtBy: 'reorder', checker: 'terminal-stable', runs: 3, timeToDetectMs: 4200, scheduleSize: 1, replay: 'npm run chaos -- --scenario reorder --seed 1 --path 0' },
      { bug: 'no-reclaim', caughtBy: null, checker: null, runs: 50, timeToDetectMs: null, scheduleSize: null, replay: null },
    ];
    const { dir } = await writeReport(makeSuite([passingScenario('reorder')]), { dir: root, runId: 'r1', bugs: [], verify });
    const page = await readFile(join(dir, 'index.html'), 'utf8');
    expect(page).toContain('<h2>Planted bugs</h2>');
    expect(page).toMatch(/<td>no-reclaim<\/td>\s*<td><span class="pill escaped">ESCAPED<\/span>/);
    expect(page).toContain('planted bugs caught: <b>1/2</b>');
    expect((await loadSummary(join(dir, 'summary.json'))).verify).toEqual(verify);
  });

  it('points reports/latest at the newest run', async () => {
    await writeReport(makeSuite([passingScenario('reorder')]), { dir: root, runId: 'first', bugs: [] });
    const { latest } = await writeReport(makeSuite([passingScenario('reorder')]), { dir: root, runId: 'second', bugs: [] });
    expect(latest).toBe(join(root, 'latest'));
    expect(await readlink(latest)).toBe('second');
    expect(existsSync(join(latest, 'index.html'))).toBe(true);
  });

  it('names the run directory after the time and seed by default', async () => {
    const { dir } = await writeReport(makeSuite([passingScenario('reorder')], { seed: -7 }), { dir: root, bugs: [], now: NOW });
    expect(dir).toBe(join(root, '20260301T120000Z-seed-7'));
  });

  it('refuses a run id that is not a plain directory name', async () => {
    await expect(writeReport(makeSuite([]), { dir: root, runId: '../escape', bugs: [] })).rejects.toThrow(/run id "..\/escape" must be a plain directory name/);
    await expect(writeReport(makeSuite([]), { dir: root, runId: 'latest', bugs: [] })).rejects.toThrow(/other than "latest"/);
  });
});

describe('writeReport with unknown verdicts', () => {
  it('reports a scenario whose runs were undecided as unknown in summary.json, naming the checkers, their runs and evidence', async () => {
    const result = makeSuite([passingScenario('reorder'), unknownScenario('partition')]);
    const { dir } = await writeReport(result, { dir: root, runId: 'r1', bugs: [], now: NOW });
    const summary = await loadSummary(join(dir, 'summary.json'));
    expect(summary.verdict).toBe('UNKNOWN');
    const s = summary.scenarios.find((x) => x.scenario === 'partition')!;
    expect(s).toMatchObject({ verdict: 'unknown', runs: 4, failedRuns: 0, unknownRuns: 2, violations: 0 });
    expect(s.unknown).toEqual([
      { checker: 'total-queue', runs: [1, 3], evidence: [UNKNOWN_EVIDENCE] },
      { checker: 'running-set-consistent', runs: [3], evidence: ['no snapshot entry: the run never settled'] },
    ]);
    expect(s.records!.map((r) => r.outcome)).toEqual(['pass', 'unknown', 'pass', 'unknown']);
    expect(s.records![1].unknown).toEqual([{ checker: 'total-queue', evidence: [UNKNOWN_EVIDENCE] }]);
    // an undecided run is kept for inspection like a failing one
    expect(s.histories).toEqual(['histories/partition-run1.jsonl', 'histories/partition-run3.jsonl']);
    expect(summary.scenarios.find((x) => x.scenario === 'reorder')).toMatchObject({ verdict: 'pass', unknownRuns: 0, unknown: [] });
  });

  it('lets a violation outrank an unknown scenario in the headline', async () => {
    const { summary } = await writeReport(makeSuite([unknownScenario('partition'), failingScenario('worker-crash')]), { dir: root, runId: 'r1', bugs: [] });
    expect(summary.verdict).toBe('FAIL');
  });

  it('writes an unknown scenario to junit.xml as a <failure type="unknown"> carrying the checkers and evidence', async () => {
    const { dir } = await writeReport(makeSuite([passingScenario('reorder'), unknownScenario('partition')]), { dir: root, runId: 'r1', bugs: [] });
    const { cases } = await junitCases(dir);
    expect(cases[0].failure).toBeUndefined();
    const failure = failureOf(cases.find((c) => c['@name'] === 'partition'));
    expect(failure['@type']).toBe('unknown');
    expect(failure['@message']).toBe('unknown: 2 of 4 runs undecided: total-queue (2), running-set-consistent (1)');
    expect(failure['#text']).toContain(`total-queue (runs 1, 3): ${UNKNOWN_EVIDENCE}`);
    expect(failure['#text']).toContain('running-set-consistent (run 3): no snapshot entry: the run never settled');
  });

  it('shows UNKNOWN in index.html: the headline, the pill, and the undecided checkers with their evidence', async () => {
    const { dir } = await writeReport(makeSuite([passingScenario('reorder'), unknownScenario('partition')]), { dir: root, runId: 'r1', bugs: [] });
    const page = await readFile(join(dir, 'index.html'), 'utf8');
    expect(page).toMatch(/<h1>UNKNOWN<\/h1>/);
    expect(page).toContain('<span class="pill unknown">UNKNOWN</span>');
    expect(page).toContain('<h3>Undecided runs</h3>');
    expect(page).toContain(`total-queue</b> (runs 1, 3)`);
    expect(page).toContain(UNKNOWN_EVIDENCE);
    expect(page).toContain('1 pass, 1 unknown');
  });
});

describe('writeReport with settle times', () => {
  it('writes each run\'s settle time to summary.json and the distribution per scenario, counting capped settles', async () => {
    const { dir } = await writeReport(makeSuite([unknownScenario('partition'), passingScenario('reorder', { runs: 3 })]), { dir: root, runId: 'r1', bugs: [] });
    const summary = await loadSummary(join(dir, 'summary.json'));
    const [partition, reorder] = summary.scenarios;
    expect(partition.records!.map((r) => [r.settleTookMs, r.settleCapped])).toEqual([[350, false], [900, false], [500, false], [30_000, true]]);
    // nearest rank over 350, 500, 900, 30000
    expect(partition.settle).toEqual({ minMs: 350, p50Ms: 500, p95Ms: 30_000, maxMs: 30_000, runs: 4, capped: 1 });
    expect(reorder.settle).toEqual({ minMs: 400, p50Ms: 700, p95Ms: 1000, maxMs: 1000, runs: 3, capped: 0 });
  });

  it('shows the settle distribution per scenario in index.html', async () => {
    const { dir } = await writeReport(makeSuite([unknownScenario('partition')]), { dir: root, runId: 'r1', bugs: [] });
    const page = await readFile(join(dir, 'index.html'), 'utf8');
    expect(page).toContain('<th>settle min / p50 / p95 / max (ms)</th>');
    expect(page).toContain('350 / 500 / 30000 / 30000 <span class="muted">(1 capped)</span>');
  });
});

describe('loadSummary', () => {
  it('reads back what writeReport wrote', async () => {
    const { dir, summary } = await writeReport(makeSuite([failingScenario('worker-crash')]), { dir: root, runId: 'r1', bugs: [] });
    expect(await loadSummary(join(dir, 'summary.json'))).toEqual(summary);
  });

  it('throws one readable line naming the file and the field on a malformed summary', async () => {
    const { dir } = await writeReport(makeSuite([passingScenario('reorder')]), { dir: root, runId: 'r1', bugs: [] });
    const path = join(dir, 'summary.json');
    const summary = JSON.parse(await readFile(path, 'utf8'));
    summary.scenarios[0].verdict = 'green';
    await writeFile(path, JSON.stringify(summary));
    const error = await loadSummary(path).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/summary\.json: not a report summary: scenarios\[0\]\.verdict: /);
    expect((error as Error).message).not.toContain('\n');
  });

  it('throws one readable line on a file that is not JSON or not there', async () => {
    const path = join(root, 'summary.json');
    await writeFile(path, '{"seed": 1,');
    await expect(loadSummary(path)).rejects.toThrow(/summary\.json: not JSON: /);
    await expect(loadSummary(join(root, 'missing.json'))).rejects.toThrow(/missing\.json: cannot read summary \(ENOENT\)/);
  });
});
