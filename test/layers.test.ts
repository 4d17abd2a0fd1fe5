// The harness's layers hold (issue 22, item 7): the forbidden imports of .dependency-cruiser.cjs
// (checkers import only the history; report, env and runner never the CLI; env never a system;
// the system under test never the harness; the history never env; the package never examples/) over the real tree, and the
// same check over a fixture that breaks each rule, so a check that reports nothing is a pass and
// not a check that cannot fail.
import { createRequire } from 'node:module';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs') as IConfiguration;

/** Every violation of the layer rules under `baseDir`, as "rule: from → to", sorted. */
async function violations(baseDir: string, forbidden = config.forbidden ?? []): Promise<string[]> {
  const { output } = await cruise(['harness', 'system-under-test'], {
    ...config.options,
    baseDir,
    validate: true,
    ruleSet: { forbidden },
    outputType: 'json',
  });
  const result = (typeof output === 'string' ? JSON.parse(output) : output) as ICruiseResult;
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
}

describe('layers', () => {
  it('the harness and the system under test import across layers only as allowed', async () => {
    expect(await violations(process.cwd())).toEqual([]);
  });

  it('the same check reports each forbidden import of a fixture, and none of its allowed ones', async () => {
    expect(await violations('test/fixtures/layers')).toEqual([
      'checkers-only-history: harness/checkers/bad.ts → harness/config/options.ts',
      'checkers-only-history: harness/checkers/bad.ts → harness/env/server.ts',
      'env-not-systems: harness/env/loader.ts → harness/systems/index.ts',
      'history-not-env: harness/history/read.ts → harness/env/server.ts',
      'instrument-alone: harness/instrument/kit.ts → harness/history/read.ts',
      'instrument-alone: harness/instrument/kit.ts → ioredis',
      'no-cli-below: harness/report/page.ts → harness/cli/output.ts',
      'no-cli-below: harness/runner/step.ts → harness/cli/output.ts',
      'package-not-examples: harness/systems/index.ts → examples/demo/system.ts',
      'sut-not-harness: system-under-test/worker.ts → harness/history/types.ts',
    ]);
  });

  it('each temporary exception still excuses a real import (delete it from .dependency-cruiser.cjs once the import is gone)', async () => {
    // a rule's from.pathNot holds its temporary exceptions only
    const excused = (config.forbidden ?? []).flatMap((rule) => [rule.from.pathNot ?? []].flat());
    if (excused.length === 0) return;
    // the rules without their exceptions: every excused file must still be reported
    const strict = (config.forbidden ?? []).map((rule) => ({ ...rule, from: { ...rule.from, pathNot: undefined } }));
    const reported = (await violations(process.cwd(), strict)).map((v) => v.split(': ')[1].split(' → ')[0]);
    for (const pattern of excused) expect(reported.some((from) => new RegExp(pattern).test(from)), `stale exception ${pattern}`).toBe(true);
  });
});
