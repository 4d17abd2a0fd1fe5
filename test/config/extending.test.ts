// Extending the harness from a config, with no edit to it: test/fixtures/own-harness/ adds a
// system, a scenario, a checker, a fault kind and a reporter, each from its own file, and
// `chaos --config` uses all five, in simulation and live. Bad entries are one line and exit 2.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { History } from '../../harness/history/types.ts';
import { jobsInSnapshot } from '../fixtures/own-harness/checkers/jobs-in-snapshot.ts';

const project = path.resolve(fileURLToPath(import.meta.url), '../../..');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const main = path.join(project, 'harness/cli/main.ts');
const fixture = path.join(project, 'test/fixtures/own-harness');

function chaos(args: string[], cwd = project) {
  const r = spawnSync(process.execPath, ['--import', tsx, main, '--ci', ...args], { cwd, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stderr: r.stderr.trim(), stdout: r.stdout };
}

interface Hooks {
  calls: string[];
  runs: { scenario: string; faults: string[]; checkers: string[]; outcome: string }[];
}
const hooksIn = (dir: string): Hooks => JSON.parse(readFileSync(path.join(dir, 'fixture-hooks.json'), 'utf8')) as Hooks;

describe('a config that extends the harness (test/fixtures/own-harness)', () => {
  it('runs its scenario with its fault kind, judged by its checker beside the built-ins, told to its reporter beside the built-in ones (simulation)', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'chaos-own-'));
    const r = chaos(['--config', path.join(fixture, 'chaos.config.ts'), '--sim', '--runs', '3', '--seed', '1', '--json', '--report-dir', out]);
    expect(r.stderr).toContain('scenarios flapping-worker');
    expect(r.code).toBe(0);
    // the built-in reporters still run: the summary on stdout, the report files
    const summary = JSON.parse(r.stdout) as { scenarios: { scenario: string; verdict: string; runs: number }[] };
    expect(summary.scenarios.map((s) => [s.scenario, s.verdict, s.runs])).toEqual([['flapping-worker', 'pass', 3]]);
    const hooks = hooksIn(out);
    expect(hooks.calls).toEqual(['onBegin', 'onScenarioStart', 'onRun', 'onRun', 'onRun', 'onScenarioEnd', 'onEnd']);
    for (const run of hooks.runs) {
      expect(run.faults.length).toBeGreaterThan(0);
      expect(run.faults.every((k) => k === 'fixture:link-flap')).toBe(true);
      expect(run.checkers).toContain('jobsInSnapshot');
      expect(run.checkers).toContain('terminalStable');
    }
  }, 200_000);

  it('runs its own system live, with its scenario and a built-in one, under Toxiproxy with its fault kind', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'chaos-own-'));
    const r = chaos(['--config', path.join(fixture, 'chaos.config.ts'), '--system', 'renamed-reference', '--scenario', 'flapping-worker,reorder', '--runs', '1', '--seed', '2', '--report-dir', out]);
    expect(r.stderr).toMatch(/^chaos: system renamed-reference, seed 2, scenarios flapping-worker,reorder/m);
    const hooks = hooksIn(out);
    expect(hooks.runs.map((x) => [x.scenario, x.faults[0]])).toEqual([['flapping-worker', 'fixture:link-flap'], ['reorder', 'latency']]);
    expect(hooks.runs.every((x) => x.checkers.includes('jobsInSnapshot'))).toBe(true);
    // one live run may leave a coverage goal unmet (exit 1, VACUOUS): the verdict is not the point here, a violation would be
    expect(r.stderr).not.toMatch(/VIOLATION/);
    expect([0, 1]).toContain(r.code);
  }, 200_000);

  it('decides what applies to its system from what the system provides', () => {
    // the fixture's system has no simulated form, no images and no planted bugs
    const sim = chaos(['--config', path.join(fixture, 'chaos.config.ts'), '--system', 'renamed-reference', '--sim']);
    expect(sim.code).toBe(2);
    expect(sim.stderr).toMatch(/^chaos: --sim needs a system with a simulated form \(reference\): drop --sim for --system renamed-reference/);
    const crash = chaos(['--config', path.join(fixture, 'chaos.config.ts'), '--system', 'renamed-reference', '--scenario', 'crash-points', '--sim']);
    expect(crash.code).toBe(2);
  });

  it('its checker fails a history in which an acknowledged job is missing from the final snapshot', () => {
    const submit = { kind: 'client', t: 1, type: 'ok', process: 'c', opId: 1, f: 'submit', value: { taskId: 't1', jobIds: ['t1-0', 't1-1'] } };
    const snapshot = (jobs: string[]) => ({ kind: 'snapshot', t: 9, tasks: [{ taskId: 't1', jobs: jobs.map((jobId) => ({ jobId, state: 'completed' })) }], runningSet: [], runningInfo: [] });
    const whole = jobsInSnapshot([submit, snapshot(['t1-0', 't1-1'])] as unknown as History);
    expect(whole.valid).toBe(true);
    const lost = jobsInSnapshot([submit, snapshot(['t1-0'])] as unknown as History);
    expect(lost.valid).toBe(false);
    expect(lost.evidence.map((e) => e.message)).toEqual(['job t1-1: acknowledged to the client, absent from the final snapshot']);
    expect(jobsInSnapshot([submit] as unknown as History).valid).toBe('unknown');
  });

  it.each([
    [{ faultKinds: ['./nope.ts'] }, /^chaos: chaos\.config\.mjs: faultKinds\[0\] \(\.\/nope\.ts\): could not be loaded: /],
    [{ checkers: [{ name: 'x' }] }, /^chaos: chaos\.config\.mjs: checkers\[0\]: is not a checker: check: must be a function$/],
    [{ checkers: [{ name: 'totalQueue', check: '() => 0' }] }, /^chaos: chaos\.config\.mjs: checkers\[0\]: is not a checker: check: must be a function$/],
    [{ system: 'kafka' }, /^chaos: chaos\.config\.mjs: system: must be one of reference, got "kafka"$/],
    [{ scenarios: ['./empty.mjs'] }, /^chaos: chaos\.config\.mjs: scenarios\[0\] \(\.\/empty\.mjs\): has no default export/],
  ])('refuses %j in one line with exit 2', (config, message) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chaos-own-bad-'));
    writeFileSync(path.join(dir, 'empty.mjs'), 'export const x = 1;\n');
    writeFileSync(path.join(dir, 'chaos.config.mjs'), `export default ${JSON.stringify(config)};\n`);
    const r = chaos(['--sim', '--runs', '1'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split('\n')).toHaveLength(1);
  });

  it('refuses a checker or fault kind whose name is a built-in\'s', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chaos-own-bad-'));
    writeFileSync(path.join(dir, 'chaos.config.mjs'), 'export default { checkers: [{ name: "totalQueue", check: () => ({}) }] };\n');
    const r = chaos(['--sim', '--runs', '1'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^chaos: chaos\.config\.mjs: checkers: "totalQueue" is a built-in name: give yours a name of its own$/);
    writeFileSync(path.join(dir, 'chaos.config.mjs'), 'export default { faultKinds: [{ kind: "kill", summary: "", target: () => "", inject: async () => {}, heal: async () => {} }] };\n');
    const k = chaos(['--sim', '--runs', '1'], dir);
    expect(k.code).toBe(2);
    expect(k.stderr).toMatch(/^chaos: chaos\.config\.mjs: faultKinds\[0\]: is not a fault kind: kind: must be <namespace>:<name>/);
  });
});
