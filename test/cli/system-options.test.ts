// --system and --redis-config: which scenarios a system runs, what a replay command says, and
// what the summary records; no servers are started.
import { describe, expect, it } from 'vitest';
import { parseOptions, replayCommand, type ChaosOptions } from '../../harness/config/options.ts';
import { summaryJson } from '../../harness/report/summary.ts';
import { SCENARIOS } from '../../scenarios/index.ts';
import { failingScenario, makeSuite } from '../report/fixtures.ts';
import { REPO_REGISTRY } from '../systems/examples.ts';

const parse = (...argv: string[]) => parseOptions(argv, undefined, REPO_REGISTRY) as ChaosOptions;

describe('--system', () => {
  it('runs every scenario on the reference system (live, all but the simulation-only and on-request ones), and only those that apply on a library', () => {
    expect(parse().suite.system).toBe('reference');
    expect(parse().suite.scenarios.map((s) => s.name)).toEqual(SCENARIOS.filter((s) => !s.simOnly && !s.liveOnRequest).map((s) => s.name));
    expect(parse().suite.scenarios.map((s) => s.name)).not.toContain('cancel-outage');
    // named, an on-request scenario runs live; a simulation-only one is a usage error without --sim
    expect(parse('--scenario', 'cancel-outage').suite.scenarios.map((s) => s.name)).toEqual(['cancel-outage']);
    expect(() => parse('--scenario', 'crash-points')).toThrow(/runs in simulation only .*: add --sim/);
    expect(parse().skipped).toContainEqual({ scenario: 'cancel-outage', why: expect.stringMatching(/^live, it runs only when named \(about 20 s of wall time a run.*\): --scenario cancel-outage$/) });
    expect(parse('--sim').skipped).toEqual([]);
    expect(parse('--sim').suite.scenarios.map((s) => s.name)).toEqual(SCENARIOS.map((s) => s.name));
    for (const lib of ['bullmq', 'bee-queue', 'bull']) {
      const names = parse('--system', lib).suite.scenarios.map((s) => s.name);
      expect(names).toEqual(['latency', 'worker-crash', 'partition', 'pause', 'redis-restart', 'redis-wipe', 'long-outage', 'front-door', 'long-jobs', 'compound', 'mixed', 'explore']);
      expect(names).not.toContain('reorder');
    }
  });

  it('collects --redis-config in order, and names system and settings in the replay command', () => {
    const o = parse('--system', 'bullmq', '--redis-config', 'appendonly=no', '--redis-config', 'save=900 1');
    expect(o.suite.redisConfig).toEqual(['appendonly=no', 'save=900 1']);
    expect(o.run.redisConfig).toEqual(['appendonly=no', 'save=900 1']);
    expect(replayCommand(o.report.replay, 'redis-restart', 7, '0:1')).toBe("npm run chaos -- --system bullmq --redis-config appendonly=no --redis-config 'save=900 1' --scenario redis-restart --seed 7 --path 0:1");
    expect(replayCommand(parse().report.replay, 'pause', 7, '2')).toBe('npm run chaos -- --scenario pause --seed 7 --path 2');
  });

  it("records the system and the Redis settings in the summary, and a failure's replay carries them", () => {
    const result = { ...makeSuite([failingScenario('pause')]), system: { name: 'bee-queue', label: 'bee-queue 2.0.0', settings: 's' }, redisConfig: ['appendonly=no'] };
    const json = summaryJson(result, { bugs: [], workers: undefined, keepers: undefined });
    expect(json.system).toEqual({ name: 'bee-queue', label: 'bee-queue 2.0.0', settings: 's' });
    expect(json.redisConfig).toEqual(['appendonly=no']);
    expect(json.scenarios[0]!.failure!.replay).toMatch(/^npm run chaos -- --system bee-queue --redis-config appendonly=no --scenario /);
  });
});
