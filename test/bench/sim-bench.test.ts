// sim-runs-per-minute for any system that simulates (harness/bench/sim.ts) and bench's --system
// (harness/bench/main.ts): one system, a list, or `all`, checked against what each benchmark needs;
// the scenario whose live runs give the ratio; the goal line and the table of every system. No
// benchmark runs here, and no simulated or live run.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { benchOptions, type BenchArgs } from '../../harness/bench/main.ts';
import { ratioScenario, simBenchScenarios, simGoal, simSystemsTable, type SimBenchData, type SimTiming } from '../../harness/bench/sim.ts';
import { defaultScenarios } from '../../harness/config/options.ts';
import type { Registry } from '../../harness/registry/index.ts';
import { reference } from '../../harness/systems/reference.ts';
import { REPO_REGISTRY } from '../systems/examples.ts';

const args = (o: Partial<BenchArgs>): BenchArgs => ({ seed: 1, out: 'reports/bench', env: 'local', system: 'reference', ...o });
const simulating = REPO_REGISTRY.systems.filter((s) => s.provides.capabilities.includes('simulation')).map((s) => s.name);
// a system with no simulated form, beside this repository's
const withLiveOnly: Registry = { ...REPO_REGISTRY, systems: [...REPO_REGISTRY.systems, { name: 'live-only', provides: { capabilities: ['concurrency'], evidence: ['executions-log'] }, load: async () => reference }] };

describe('bench --system', () => {
  it('all: every system that simulates, for sim-runs-per-minute', () => {
    const o = benchOptions(args({ only: 'sim-runs-per-minute', system: 'all' }), withLiveOnly);
    expect(o.systems['sim-runs-per-minute']).toEqual(simulating);
    expect(simulating).toEqual(expect.arrayContaining(['reference', 'bullmq', 'bull']));
  });

  it('a list: those systems, in its order', () => {
    expect(benchOptions(args({ only: 'sim-runs-per-minute', system: 'bull,bullmq' }), REPO_REGISTRY).systems).toEqual({ 'sim-runs-per-minute': ['bull', 'bullmq'] });
    expect(benchOptions(args({ only: 'sim-runs-per-minute' }), REPO_REGISTRY).systems).toEqual({ 'sim-runs-per-minute': ['reference'] });
  });

  it('without --only: the benchmarks that measure any system, each for the systems it applies to', () => {
    const o = benchOptions(args({ system: 'all' }), withLiveOnly);
    expect(o.only.map((b) => b.name)).toEqual(['runs-per-minute', 'sim-runs-per-minute']);
    expect(o.systems['runs-per-minute']).toEqual(withLiveOnly.systems.map((s) => s.name));
    expect(o.systems['sim-runs-per-minute']).not.toContain('live-only');
    // with --env docker: the systems with images
    expect(benchOptions(args({ system: 'all', env: 'docker' }), withLiveOnly).systems).toEqual({ 'runs-per-minute': withLiveOnly.systems.filter((s) => s.provides.capabilities.includes('containers')).map((s) => s.name) });
    // a system without a simulated form: the benchmark that needs one is left out
    expect(benchOptions(args({ system: 'live-only' }), withLiveOnly).only.map((b) => b.name)).toEqual(['runs-per-minute']);
  });

  it('refuses, in one line: an unknown system, one named twice, one without what the benchmark needs, a benchmark of the reference system only', () => {
    const refused = (o: Partial<BenchArgs>, registry = REPO_REGISTRY) => {
      try {
        benchOptions(args(o), registry);
      } catch (err) {
        expect((err as Error).message).not.toContain('\n');
        return (err as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refused({ only: 'sim-runs-per-minute', system: 'nope' })).toMatch(/^--system must be all or one or more of reference, .*got "nope"$/);
    expect(refused({ only: 'sim-runs-per-minute', system: 'bull,bull' })).toBe('--system names bull twice');
    expect(refused({ only: 'sim-runs-per-minute', system: ',' })).toBe('--system names no system');
    expect(refused({ only: 'sim-runs-per-minute', system: 'bull,live-only' }, withLiveOnly)).toMatch(/^sim-runs-per-minute needs a system with simulation \(reference, .*\): live-only has none$/);
    expect(refused({ only: 'sim-runs-per-minute,harness-overhead', system: 'all' })).toMatch(/^harness-overhead measures the reference system only; with --system all: /);
    // a scenario that does not apply to one of the systems, as chaos --system refuses it
    expect(refused({ only: 'sim-runs-per-minute', system: 'all', scenario: REPO_REGISTRY.scenarios.filter((s) => s.name === 'reorder') })).toMatch(/^scenario reorder does not apply to bullmq: /);
  });

  it('exits 2 with one line on a usage error', () => {
    const project = path.resolve(fileURLToPath(import.meta.url), '../../..');
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const r = spawnSync(process.execPath, ['--import', tsx, path.join(project, 'harness/cli/main.ts'), 'bench', '--only', 'sim-runs-per-minute', '--system', 'bullmq,nope'], { cwd: project, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^chaos: --system must be all or one or more of [^\n]*got "nope" \(see --help\)$/);
  });
});

describe('sim-runs-per-minute', () => {
  const named = (...names: string[]) => names.map((n) => REPO_REGISTRY.scenarios.find((s) => s.name === n)!);

  it("measures the system's --sim suite, and with --quick its ratio scenario: reorder for the reference system, worker-crash for a library", () => {
    const ctx = (system: string, quick = false) => ({ system, registry: REPO_REGISTRY, quick });
    expect(simBenchScenarios(ctx('bullmq'))).toEqual(defaultScenarios('bullmq', true, REPO_REGISTRY));
    expect(simBenchScenarios(ctx('reference', true)).map((s) => s.name)).toEqual(['reorder']);
    for (const lib of simulating.filter((s) => s !== 'reference')) expect(simBenchScenarios(ctx(lib, true)).map((s) => s.name)).toEqual(['worker-crash']);
    expect(simBenchScenarios({ ...ctx('bull', true), scenarios: ['pause', 'latency'] }).map((s) => s.name)).toEqual(['pause', 'latency']);
  });

  it('takes the live runs of a scenario that runs live', () => {
    expect(ratioScenario(named('latency', 'worker-crash', 'reorder'))?.name).toBe('reorder');
    expect(ratioScenario(named('crash-points', 'pause'))?.name).toBe('pause');
    expect(ratioScenario(named('crash-points'))).toBeUndefined();
  });

  const timing = (scenario: string, runsPerMinute: number): SimTiming => ({ scenario, runs: 10, runsPerMinute, meanRunMs: 60_000 / runsPerMinute, meanCpuMs: 50, cpuRunsPerMinute: 1200, meanVirtualMs: 20_000, meanSteps: 900, failedRuns: 0 });
  const bull: SimBenchData = { system: 'bull', seed: 1, scenarios: [timing('latency', 900), timing('worker-crash', 600)], overallRunsPerMinute: 720, live: { scenario: 'worker-crash', runs: 2, runsPerMinute: 4, runMs: [15_000, 15_000] }, ratio: 150 };

  it("reports the goal as a figure: the ratio scenario's simulated runs/min against 500 for a library, 3000 for the reference system", () => {
    expect(simGoal(bull)).toEqual([{ name: 'simulated runs per minute (bull, worker-crash)', goal: '≥ 500/min', figure: '600/min (1200/min by CPU time, live 4.0/min, 150×)', met: true }]);
    const ref: SimBenchData = { ...bull, system: 'reference', scenarios: [timing('reorder', 2000)], live: { ...bull.live!, scenario: 'reorder' } };
    expect(simGoal(ref)[0]).toMatchObject({ goal: '≥ 3000/min', met: false });
    expect(simGoal({ ...bull, scenarios: [] })).toEqual([]);
  });

  it('sets every system side by side in one table', () => {
    const lines = simSystemsTable([bull, { ...bull, system: 'bullmq', live: undefined, ratio: undefined }]).split('\n');
    expect(lines.find((l) => l.includes('scenario')) ?? '').toMatch(/system +│ scenario +│ sim runs\/min +│ sim runs\/min by CPU time +│ live runs\/min +│ sim : live/);
    expect(lines.find((l) => l.includes('bull ')) ?? '').toMatch(/bull +│ worker-crash +│ 600 +│ 1200 +│ 4\.0 +│ 150× +│ 720 +│ 2 +│ ≥ 500\/min/);
    expect(lines.find((l) => l.includes('bullmq')) ?? '').toMatch(/bullmq +│ latency +│ 900 +│ 1200 +│ - +│ - +│/);
  });
});
