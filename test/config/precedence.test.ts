// Command line over config file over defaults, resolved once by parseOptions; the checks of
// today's flags apply to the merged options; the replay command names the config file.
import { describe, expect, it } from 'vitest';
import { parseOptions, replayCommand, type ChaosOptions, type LoadedConfig } from '../../harness/config/options.ts';
import { parseConfig } from '../../harness/config/schema.ts';
import { REPO_REGISTRY } from '../systems/examples.ts';

function file(config: unknown, name = 'chaos.config.ts'): LoadedConfig {
  const r = parseConfig(config);
  if (!r.ok) throw new Error(r.message);
  return { file: name, options: r.options, extend: r.extend };
}
// this repository's registry: the example systems (bullmq, bull, bee-queue) beside the reference system
const parse = (argv: string[], config?: LoadedConfig) => parseOptions(argv, config, REPO_REGISTRY) as ChaosOptions;

describe('config precedence: command line over file over defaults', () => {
  it('seed', () => {
    expect(parse([], file({ seed: 5 }))).toMatchObject({ suite: { seed: 5 }, run: { seed: 5 }, seedGiven: true });
    expect(parse(['--seed', '6'], file({ seed: 5 }))).toMatchObject({ suite: { seed: 6 }, seedGiven: true });
    expect(parse([]).seedGiven).toBe(false);
  });

  it('system: the commander default does not mask the file', () => {
    expect(parse([], file({ system: 'bee-queue' })).suite.system).toBe('bee-queue');
    expect(parse(['--system', 'reference'], file({ system: 'bee-queue' })).suite.system).toBe('reference');
    expect(parse([]).suite.system).toBe('reference');
    // the default scenarios are the merged system's
    expect(parse([], file({ system: 'bee-queue' })).suite.scenarios.map((s) => s.name)).not.toContain('keeper-crash');
  });

  it('runs', () => {
    expect(parse([], file({ runs: 3 })).suite.runs).toBe(3);
    expect(parse([], file({ runs: 3 })).run.runs).toBe(3);
    expect(parse(['--runs', '4'], file({ runs: 3 })).suite.runs).toBe(4);
    expect(parse([]).suite.runs).toBeUndefined();
  });

  it('reportDir', () => {
    expect(parse([], file({ reportDir: 'out' })).report.dir).toBe('out');
    expect(parse(['--report-dir', 'reports'], file({ reportDir: 'out' })).report.dir).toBe('reports');
    expect(parse([]).report.dir).toBe('reports');
  });

  it('env, scenarios, budget, bugs, redisConfig, faultDuration', () => {
    const o = parse([], file({ env: 'local', scenarios: ['reorder'], budget: '2m', bugs: ['lww-status'], redisConfig: ['appendonly=no'], faultDuration: '1s' }));
    expect(o.suite).toMatchObject({ env: 'local', budgetMs: 120_000, bugs: ['lww-status'], redisConfig: ['appendonly=no'], faultDurationMs: { minMs: 1000, maxMs: 1000 } });
    expect(o.suite.scenarios.map((s) => s.name)).toEqual(['reorder']);
    const c = parse(['--scenario', 'pause', '--bugs', 'check-then-set', '--redis-config', 'appendfsync=always'], file({ scenarios: ['reorder'], bugs: ['lww-status'], redisConfig: ['appendonly=no'] }));
    expect(c.suite.scenarios.map((s) => s.name)).toEqual(['pause']);
    expect(c.suite).toMatchObject({ bugs: ['check-then-set'], redisConfig: ['appendfsync=always'] });
  });

  it('sim and guidance: --no-sim wins over the file; a file without guidance guides only simulated runs', () => {
    expect(parse([], file({ sim: true })).suite.sim).toBe(true);
    expect(parse(['--no-sim'], file({ sim: true })).suite.sim).toBe(false);
    expect(parse([], file({ sim: true, guidance: false })).suite).toMatchObject({ sim: true, guided: false });
    expect(parse(['--no-sim'], file({ sim: true, guidance: false })).suite).toMatchObject({ sim: false, guided: false });
  });

  it('resolves once into sections: the suite, the run key, the reporters and the gate read the same merged values', () => {
    const o = parse(['--workers', '3', '--json'], file({ seed: 9, bugs: ['lww-status'], workers: 2, keepers: 2, reportDir: 'out', allowUnknown: true, baseline: 'b.json' }));
    expect(o.suite).toMatchObject({ seed: 9, bugs: ['lww-status'], workers: 3, keepers: 2, system: 'reference', sim: false });
    expect(o.run).toEqual({ seed: 9, bugs: ['lww-status'], scenarios: o.selection.map((s) => s.name), runs: undefined, budgetMs: undefined, workers: 3, keepers: 2 });
    expect(o.report).toMatchObject({ dir: 'out', json: true, ci: false, replay: { bugs: ['lww-status'], workers: 3, keepers: 2, config: o.config } });
    expect(o.gate).toEqual({ allowUnknown: true, baseline: 'b.json' });
    expect(replayCommand(o.report.replay, 'reorder', 9, '1')).toBe('npm run chaos -- --config chaos.config.ts --scenario reorder --seed 9 --path 1 --bugs lww-status --workers 3 --keepers 2');
  });

  it('the checks of the flags apply to the merged options', () => {
    expect(() => parse([], file({ p99Tolerance: 5 }))).toThrow(/--p99-tolerance needs --baseline/);
    expect(() => parse(['--path', '0'], file({ seed: 1 }))).toThrow(/--path replays one scenario/);
    expect(parse(['--path', '0', '--scenario', 'reorder'], file({ seed: 1 })).suite.path).toBe('0');
    expect(() => parse(['--sim'], file({ env: 'docker' }))).toThrow(/--sim runs in this process: drop --env docker/);
    // every system of this repository's registry simulates (the refusal of one that does not: test/cli/usage.test.ts)
    expect(parse([], file({ system: 'bee-queue', sim: true })).suite).toMatchObject({ system: 'bee-queue', sim: true });
    expect(() => parse([], file({ concurrency: 2 }))).toThrow(/reference system's workers run one job at a time/);
    expect(() => parse([], file({ scenarios: ['crash-points'] }))).toThrow(/runs in simulation only/);
  });

  it('the replay command names the config file, and says against it what this run did not take from it', () => {
    const o = parse(['--scenario', 'reorder'], file({ seed: 4, bugs: ['lww-status'], sim: true }, 'conf/chaos.config.ts'));
    expect(o.config?.file).toBe('conf/chaos.config.ts');
    expect(replayCommand(o.report.replay, 'reorder', 4, '0')).toBe('npm run chaos -- --config conf/chaos.config.ts --sim --scenario reorder --seed 4 --path 0 --bugs lww-status');
    expect(replayCommand({ ...o.report.replay, sim: false }, 'reorder', 4, '0')).toBe('npm run chaos -- --config conf/chaos.config.ts --no-sim --scenario reorder --seed 4 --path 0 --bugs lww-status');
    const lib = parse(['--system', 'reference', '--env', 'local'], file({ system: 'bee-queue', env: 'docker' }, 'my config.mjs'));
    expect(replayCommand(lib.report.replay, 'pause', 1, '2')).toBe('npm run chaos -- --config \'my config.mjs\' --env local --system reference --scenario pause --seed 1 --path 2');
    expect(replayCommand(parse([]).report.replay, 'pause', 1, '2')).toBe('npm run chaos -- --scenario pause --seed 1 --path 2');
  });
});
