// chaos.config's schema: a full valid config parses into the flags' values; a bad one is one line naming the key.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../harness/config/schema.ts';

describe('config schema', () => {
  it('accepts a full valid config and parses every value as its flag does', () => {
    const r = parseConfig({
      scenarios: ['reorder', 'worker-crash'], runs: 3, seed: -7, budget: '90s', soak: false, sim: true, guidance: false,
      faultDuration: '5s-15s', env: 'local', system: 'reference', redisConfig: [], workers: 2, keepers: 1, concurrency: 1,
      bugs: ['lww-status'], allowUnknown: true, reportDir: 'out', baseline: 'reports/baseline/summary.json', p99Tolerance: 25,
    });
    if (!r.ok) throw new Error(r.message);
    expect(r.extend.scenarios?.map((s) => ('name' in s ? s.name : s.path))).toEqual(['reorder', 'worker-crash']);
    expect(r.options).toMatchObject({
      runs: 3, seed: -7, budget: 90_000, soak: false, sim: true, guidance: false, faultDuration: { minMs: 5000, maxMs: 15_000 },
      env: 'local', system: 'reference', redisConfig: [], workers: 2, keepers: 1, concurrency: 1, bugs: ['lww-status'],
      allowUnknown: true, reportDir: 'out', baseline: 'reports/baseline/summary.json', p99Tolerance: 25,
    });
    expect(Object.keys(r.options)).not.toContain('scenarios');
  });

  it('accepts an empty config, a budget in milliseconds and redis settings', () => {
    expect(parseConfig({})).toEqual({ ok: true, options: {}, extend: {} });
    expect(parseConfig({ budget: 1500 })).toEqual({ ok: true, options: { budget: 1500 }, extend: {} });
    expect(parseConfig({ redisConfig: ['appendonly=no', 'save='] })).toMatchObject({ ok: false });
    expect(parseConfig({ redisConfig: ['appendonly=no', 'maxmemory-policy=noeviction'] })).toEqual({ ok: true, options: { redisConfig: ['appendonly=no', 'maxmemory-policy=noeviction'] }, extend: {} });
  });

  it.each([
    [{ runs: 0 }, /^runs: must be an integer from 1 to 100000, got 0$/],
    [{ runs: 2.5 }, /^runs: must be an integer from 1 to 100000, got 2\.5$/],
    [{ runs: '5' }, /^runs: must be an integer from 1 to 100000, got "5"$/],
    [{ seed: 2 ** 31 }, /^seed: must be an integer from -2147483648 to 2147483647/],
    [{ workers: 17 }, /^workers: must be an integer from 1 to 16, got 17$/],
    [{ budget: 'soon' }, /^budget: "soon" is not a duration/],
    [{ budget: 500 }, /^budget: budget 500ms is shorter than one second$/],
    [{ faultDuration: '15s-5s' }, /^faultDuration: 15s-5s: the longest is shorter than the shortest$/],
    [{ env: 'cloud' }, /^env: must be local or docker, got "cloud"$/],
    [{ system: '' }, /^system: must be a system name, got ""$/],
    [{ scenarios: ['nope'] }, /^scenarios\[0\]: unknown scenario "nope" \(known: /],
    [{ scenarios: [3] }, /^scenarios\[0\]: must be a scenario's name, a module path or a scenario, got 3$/],
    [{ checkers: [true] }, /^checkers\[0\]: must be a module path or a checker, got true$/],
    [{ reporters: [] }, /^reporters: names no reporter$/],
    [{ scenarios: [] }, /^scenarios: names no scenario$/],
    [{ scenarios: 'reorder' }, /^scenarios: must be a list of scenario names, got "reorder"$/],
    [{ bugs: ['Bad Name'] }, /^bugs: "Bad Name" is not a bug name$/],
    [{ redisConfig: ['port=1234'] }, /^redisConfig: port is set by the harness/],
    [{ redisConfig: ['appendonly'] }, /^redisConfig: takes name=value/],
    [{ sim: 'yes' }, /^sim: must be true or false, got "yes"$/],
    [{ reportDir: '' }, /^reportDir: must be a directory, got ""$/],
    [{ frobnicate: 1 }, /^frobnicate: not an option \(known: scenarios, systems, checkers, faultKinds, reporters, runs, seed, /],
    [3, /^the default export must be an object of options/],
    [null, /^the default export must be an object of options/],
  ])('rejects %j with one line', (config, message) => {
    const r = parseConfig(config);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toMatch(message);
    expect(r.message).not.toContain('\n');
  });
});
