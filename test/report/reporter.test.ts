// Reporters: the multiplexer calls every reporter's hooks in order and keeps one that throws from
// taking the others with it; loadReporters names built-ins and loads user modules by path, a bad
// entry being one line (exit 2); a user reporter receives every hook of a real simulated run; the
// built-in file reporters write what writeReport writes.
import { mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError, type ReplayOptions } from '../../harness/config/options.ts';
import { writeReport } from '../../harness/report/index.ts';
import { ReporterMultiplexer, suiteHooks, type NamedReporter, type Reporter, type RunInfo } from '../../harness/report/reporter.ts';
import { ConsoleReporter } from '../../harness/report/reporters/console.ts';
import { BUILTIN_REPORTERS, loadReporters } from '../../harness/report/reporters/index.ts';
import { SummaryReporter } from '../../harness/report/reporters/summary.ts';
import { Suite } from '../../harness/runner/suite.ts';
import { SCENARIOS } from '../../scenarios/index.ts';
import { CALLS_KEY } from '../fixtures/reporters/recording.ts';
import { failingScenario, makeSuite, passingScenario } from './fixtures.ts';

const REPO = join(import.meta.dirname, '..', '..');
const scenario = (name: string) => SCENARIOS.find((s) => s.name === name)!;
const suite = makeSuite([passingScenario('reorder', { runs: 2 }), failingScenario('worker-crash')]);
const record = suite.scenarios[0].records[0];

function runInfo(over: Partial<RunInfo> = {}): RunInfo {
  const replay: ReplayOptions = { bugs: [] };
  return { seed: suite.seed, scenarios: [scenario('reorder'), scenario('worker-crash')], replay, plain: true, reportDir: 'reports', runKey: { seed: suite.seed, bugs: [], scenarios: ['reorder', 'worker-crash'] }, ...over };
}

/** Every hook once, as a run of one scenario with one run calls them. */
async function runAllHooks(mux: ReporterMultiplexer, run: RunInfo = runInfo()): Promise<void> {
  await mux.onBegin(run);
  await mux.onScenarioStart(scenario('reorder'), { runs: 2 });
  await mux.onRun(scenario('reorder'), record);
  await mux.onScenarioEnd(suite.scenarios[0]);
  await mux.onEnd(suite, { interrupted: false });
}

/** A reporter that appends "name.hook" to calls; `async` hooks finish a turn of the event loop later. */
function recorder(name: string, calls: string[], opts: { async?: boolean; throwIn?: string } = {}): NamedReporter {
  const hook = (h: string) => async () => {
    if (opts.async) await new Promise((r) => setImmediate(r));
    if (opts.throwIn === h) throw new Error(`${name} broke in ${h}\nsecond line of the message`);
    calls.push(`${name}.${h}`);
  };
  const sync = (h: string) => () => {
    if (opts.throwIn === h) throw new Error(`${name} broke in ${h}`);
    calls.push(`${name}.${h}`);
  };
  const make = opts.async ? hook : sync;
  return { name, reporter: { onBegin: make('onBegin'), onScenarioStart: make('onScenarioStart'), onRun: make('onRun'), onScenarioEnd: make('onScenarioEnd'), onEnd: make('onEnd') } as Reporter };
}

const HOOK_ORDER = ['onBegin', 'onScenarioStart', 'onRun', 'onScenarioEnd', 'onEnd'];

describe('ReporterMultiplexer', () => {
  it('calls every hook of every reporter, reporters in list order, an async hook finished before the next reporter\'s', async () => {
    const calls: string[] = [];
    const mux = new ReporterMultiplexer([recorder('a', calls, { async: true }), recorder('b', calls), recorder('c', calls, { async: true })], () => undefined);
    await runAllHooks(mux);
    expect(calls).toEqual(HOOK_ORDER.flatMap((h) => [`a.${h}`, `b.${h}`, `c.${h}`]));
  });

  it('keeps the order of hooks the Suite does not wait for (through suiteHooks)', async () => {
    const calls: string[] = [];
    const mux = new ReporterMultiplexer([recorder('a', calls, { async: true }), recorder('b', calls)], () => undefined);
    const hooks = suiteHooks(mux);
    await mux.onBegin(runInfo());
    hooks.onScenarioStart!(scenario('reorder'), 2);
    hooks.onRun!(scenario('reorder'), record);
    hooks.onScenarioEnd!(suite.scenarios[0]);
    await mux.onEnd(suite, { interrupted: false });
    expect(calls).toEqual(HOOK_ORDER.flatMap((h) => [`a.${h}`, `b.${h}`]));
  });

  it('gives a reporter that throws one line on stderr and no further hooks; the others get every hook and nothing rejects', async () => {
    for (const async of [false, true]) {
      const calls: string[] = [];
      const lines: string[] = [];
      const mux = new ReporterMultiplexer([recorder('first', calls), recorder('./broken.ts', calls, { async, throwIn: 'onScenarioStart' }), recorder('last', calls)], (l) => lines.push(l));
      await runAllHooks(mux);
      expect(calls).toEqual([
        'first.onBegin', './broken.ts.onBegin', 'last.onBegin',
        ...['onScenarioStart', 'onRun', 'onScenarioEnd', 'onEnd'].flatMap((h) => [`first.${h}`, `last.${h}`]),
      ]);
      expect(lines).toEqual(['chaos: reporter ./broken.ts failed in onScenarioStart: ./broken.ts broke in onScenarioStart (it gets no further hooks)']);
      expect(mux.failures).toEqual([{ reporter: './broken.ts', hook: 'onScenarioStart', message: './broken.ts broke in onScenarioStart' }]);
    }
  });

  it('skips hooks a reporter does not have', async () => {
    const ends: number[] = [];
    const mux = new ReporterMultiplexer([{ name: 'only-end', reporter: { onEnd: (r) => void ends.push(r.scenarios.length) } }], () => undefined);
    await runAllHooks(mux);
    expect(ends).toEqual([2]);
  });
});

describe('loadReporters', () => {
  it('names every built-in, one instance each', async () => {
    const loaded = await loadReporters(BUILTIN_REPORTERS, REPO);
    expect(loaded.map((r) => r.name)).toEqual(['progress', 'console', 'json', 'summary', 'junit', 'html', 'results']);
    expect(loaded[1].reporter).toBeInstanceOf(ConsoleReporter);
    expect(loaded[3].reporter).toBeInstanceOf(SummaryReporter);
  });

  it('loads a module\'s default export, a class or an object, by a path relative to the given folder', async () => {
    const loaded = await loadReporters(['./test/fixtures/reporters/recording.ts', 'test/fixtures/reporters/object.ts', 'console'], REPO);
    expect(loaded.map((r) => r.name)).toEqual(['./test/fixtures/reporters/recording.ts', 'test/fixtures/reporters/object.ts', 'console']);
    expect(loaded[0].reporter.constructor.name).toBe('RecordingReporter');
    expect(typeof loaded[1].reporter.onEnd).toBe('function');
    const fromFixtures = await loadReporters(['./reporters/object.ts'], join(REPO, 'test', 'fixtures'));
    expect(fromFixtures[0].reporter).toBe(loaded[1].reporter);
  });

  it('takes a reporter object as it is', async () => {
    const mine: Reporter = { onEnd() {} };
    expect((await loadReporters([mine], REPO))[0].reporter).toBe(mine);
  });

  const bad: [string, string | Reporter, RegExp][] = [
    ['a path to no file', './test/fixtures/reporters/missing.ts', /^reporter \.\/test\/fixtures\/reporters\/missing\.ts: no such file$/],
    ['a name that is neither a built-in nor a file', 'lsit', /^reporter lsit: no such file and not a built-in \(progress, console, json, summary, junit, html, results\)$/],
    ['a module without a default export', './test/fixtures/reporters/no-default.ts', /^reporter \.\/test\/fixtures\/reporters\/no-default\.ts: has no default export/],
    ['a module whose default export has no hook', './test/fixtures/reporters/not-a-reporter.ts', /^reporter \.\/test\/fixtures\/reporters\/not-a-reporter\.ts: its default export is not a reporter \(an object or class with onBegin, onScenarioStart, onRun, onScenarioEnd, onEnd\)$/],
    ['a file that is not a module', './README.md', /^reporter \.\/README\.md: could not be loaded: /],
    ['an object with a hook that is not a function', { onEnd: 'yes' } as unknown as Reporter, /^reporters\[0\]: not a reporter/],
  ];
  it.each(bad)('refuses %s with a UsageError of one line (exit 2)', async (_what, entry, message) => {
    const err = await loadReporters([entry], REPO).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).message).toMatch(message);
    expect((err as UsageError).message).not.toContain('\n');
    expect((err as UsageError).seeHelp).toBe(false);
  });
});

describe('a user reporter in a real run', () => {
  const calls = () => ((globalThis as Record<symbol, { hook: string; scenario?: string; detail?: unknown }[]>)[CALLS_KEY] ??= []);
  beforeEach(() => {
    calls().length = 0;
  });

  it('receives every hook, in order, of a simulated run of two scenarios with 2 runs each, beside a failing reporter', async () => {
    const lines: string[] = [];
    const reporters = await loadReporters(['./fixtures/reporters/throws.ts', './fixtures/reporters/recording.ts'], join(REPO, 'test'));
    const mux = new ReporterMultiplexer(reporters, (l) => lines.push(l));
    const scenarios = [scenario('reorder'), scenario('latency')];
    await mux.onBegin(runInfo({ seed: 7, scenarios }));
    const result = await new Suite({ scenarios, seed: 7, runs: 2, sim: true, bugs: [], ...suiteHooks(mux) }).run();
    await mux.onEnd(result, { interrupted: false });

    expect(result.scenarios.map((s) => s.verdict)).toEqual(['pass', 'pass']);
    const perScenario = (name: string) => [
      { hook: 'onScenarioStart', scenario: name, detail: 2 },
      { hook: 'onRun', scenario: name, detail: { index: 0, outcome: 'pass' } },
      { hook: 'onRun', scenario: name, detail: { index: 1, outcome: 'pass' } },
      { hook: 'onScenarioEnd', scenario: name, detail: 'pass' },
    ];
    expect(calls()).toEqual([
      { hook: 'onBegin', detail: { seed: 7, scenarios: ['reorder', 'latency'] } },
      ...perScenario('reorder'),
      ...perScenario('latency'),
      { hook: 'onEnd', detail: { scenarios: ['reorder', 'latency'], interrupted: false } },
    ]);
    expect(lines).toEqual(['chaos: reporter ./fixtures/reporters/throws.ts failed in onBegin: cannot reach the dashboard (it gets no further hooks)']);
  });
});

describe('the built-in file reporters', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'reporters-'));
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** summary.json without the two fields that differ between two writes (run id and time) */
  const stable = async (dir: string) => JSON.parse((await readFile(join(dir, 'summary.json'), 'utf8')).replace(/"(runId|createdAt)": "[^"]*"/g, '"$1": ""')) as unknown;

  it('write into one reports/<run-id>/ what writeReport writes, point latest at it and say so in one line on stderr', async () => {
    const lines: string[] = [];
    const mux = new ReporterMultiplexer(await loadReporters(['summary', 'junit', 'html', 'results'], REPO), (l) => lines.push(l));
    const info = runInfo({ reportDir: join(root, 'mux') });
    await mux.onBegin(info);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let written: string[];
    try {
      await mux.onEnd(suite, { interrupted: false });
    } finally {
      written = stderr.mock.calls.map(([text]) => String(text));
      stderr.mockRestore();
    }
    expect(mux.failures).toEqual([]);
    expect(lines).toEqual([]);
    const runId = await readlink(join(root, 'mux', 'latest'));
    const dir = join(root, 'mux', runId);
    expect(written).toEqual([`report: ${join(dir, 'index.html')}\n`]);

    const direct = await writeReport(suite, { dir: join(root, 'direct'), bugs: [], replay: info.replay, shardResults: { format: 'chaos-shard-results/1', kind: 'chaos', shard: { index: 1, count: 1 }, run: info.runKey, result: suite } });
    expect(await stable(dir)).toEqual(await stable(direct.dir));
    const junit = (d: string) => readFile(join(d, 'junit.xml'), 'utf8').then((t) => t.replace(/timestamp="[^"]*"/, '').replace(/"runId" value="[^"]*"/, ''));
    expect(await junit(dir)).toBe(await junit(direct.dir));
    expect(await readFile(join(dir, 'results.json'), 'utf8')).toBe(await readFile(join(direct.dir, 'results.json'), 'utf8'));
    // the run id (a time) and the creation time differ between the two writes, nothing else
    const page = (d: string) => readFile(join(d, 'index.html'), 'utf8').then((t) => t.replace(/\d{8}T\d{6}Z-seed\d+/g, 'RUN').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'TIME'));
    expect(await page(dir)).toBe(await page(direct.dir));
  });

  it('report a directory that cannot be created once, not once per file', async () => {
    const blocked = join(root, 'a-file');
    await writeFile(blocked, 'not a directory');
    const lines: string[] = [];
    const mux = new ReporterMultiplexer(await loadReporters(['console', 'summary', 'junit', 'html', 'results'], REPO), (l) => lines.push(l));
    await mux.onBegin(runInfo({ reportDir: blocked }));
    await mux.onEnd(makeSuite([passingScenario('reorder')]), { interrupted: false });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^chaos: reporter summary failed in onEnd: could not be written: .*(EEXIST|ENOTDIR)/);
  });
});
