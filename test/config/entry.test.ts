// The public entry point: defineConfig and the types, by path and by the package's own name (package.json "exports").
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineConfig, type ChaosConfig, type CoverageGoal, type RunStats, type Scenario, type SystemModule } from '../../harness/index.ts';
import { parseConfig } from '../../harness/config/schema.ts';

describe('harness/index.ts', () => {
  it('defineConfig returns its config, which the schema accepts', () => {
    const config = defineConfig({ system: 'bullmq', runs: 2, budget: '5m', scenarios: ['pause'] });
    expect(config).toEqual({ system: 'bullmq', runs: 2, budget: '5m', scenarios: ['pause'] });
    expect(parseConfig(config)).toMatchObject({ ok: true, options: { system: 'bullmq', runs: 2, budget: 300_000 } });
    expectTypeOf(config).toEqualTypeOf<ChaosConfig>();
  });

  it('exports the types a user implements', () => {
    const goal: CoverageGoal = { name: 'some', met: (stats: RunStats) => stats !== undefined };
    expectTypeOf(goal.met).parameter(0).toEqualTypeOf<RunStats>();
    expectTypeOf<Scenario['goals']>().toEqualTypeOf<CoverageGoal[]>();
    expectTypeOf<SystemModule>().toHaveProperty('processes');
  });

  it('is the package\'s "." export (compiled, with its types), and the instrumentation kit its "./instrument"', () => {
    // importing them by name needs dist/ built: test/package/pack.test.ts does that in a fresh project
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(pkg.exports).toEqual({
      '.': { types: './dist/harness/index.d.ts', import: './dist/harness/index.js' },
      './instrument': { types: './dist/harness/instrument/index.d.ts', import: './dist/harness/instrument/index.js' },
    });
    expect(pkg.bin).toEqual({ chaos: 'dist/harness/cli/main.js' });
    expect(pkg.private).toBe(true);
  });
});
