// What every scenario draws, pinned. A documented finding is a replay command (`--seed S --path P`)
// and names a plan only as long as the scenario's arbitraries draw what they drew when it was
// found: a change to a workload or schedule arbitrary, a fault kind's arbitrary or a scenario's
// options moves the plans under every such command, and a replay that silently stops failing is
// a finding lost (it happened once: node-resque's `worker-crash --seed 11 --path 3` passed after a
// workload change). Each digest covers, per system this repository simulates and per scenario of
// its simulated suite, the plans drawn from two seeds and the first shrinks of each. A change that
// moves a scenario's plans on purpose updates its digest here, after the README's replay commands
// of that scenario were run again (and found again where they moved).
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENV_OPTIONS } from '../../harness/env/environment.ts';
import type { Scenario } from '../../harness/runner/scenario.ts';
import { simTarget } from '../../harness/sim/run.ts';
import type { SystemModule } from '../../harness/systems/types.ts';
import { simScenarios } from '../sim/determinism-cases.ts';
import { REPO_REGISTRY } from '../systems/examples.ts';

const SEEDS = [1, 2];
const PLANS_PER_SEED = 8;
const SHRINKS = 6;

/** `<system> <scenario>` → the first 16 hex digits of its plans' digest */
const PINNED: Record<string, string> = {
  'reference latency': 'b88d436f295d25b8',
  'reference reorder': '5bef6e3321a3dfd3',
  'reference keeper-race': '45f0d244bc906baa',
  'reference worker-crash': '37010d537991b72d',
  'reference executor-crash': '708af47ead2e3165',
  'reference keeper-crash': '8eb3dcb150d822f7',
  'reference takeover': 'beefa80e675ac1e0',
  'reference crash-points': 'ff91f96361e1d46a',
  'reference lost-reply': '864c4cfd50282621',
  'reference partition': '7c9395957b17738a',
  'reference pause': 'f6bb55cec30a0599',
  'reference redis-restart': '70b89e6e41608102',
  'reference redis-wipe': '1ca89f1f7f7c6ed2',
  'reference long-outage': '02bccb4db435bea0',
  'reference cancel-outage': 'bfc7293b56422628',
  'reference long-lost-reply': '165ddcfe8bfa3e66',
  'reference front-door': '611e9a798b917272',
  'reference long-jobs': 'c31abb9eafc1213c',
  'reference compound': '09a2c6a608bdbc04',
  'reference mixed': '83e4216a4da5f8e7',
  'reference explore': '6e730dd522dada6a',
  'bullmq latency': '7e6109ae9639568e',
  'bullmq worker-crash': '37010d537991b72d',
  'bullmq crash-points': '8deac55d2ef0e19b',
  'bullmq lost-reply': '08ae03f6066dc6c8',
  'bullmq partition': '40cd505a8a0ed3fb',
  'bullmq pause': 'f6bb55cec30a0599',
  'bullmq redis-restart': '70b89e6e41608102',
  'bullmq redis-wipe': '72246171b5c0228d',
  'bullmq long-outage': '8badec9ac3b5346d',
  'bullmq long-lost-reply': '2956c01b91d8863b',
  'bullmq front-door': '5eaaf82f14c61c29',
  'bullmq long-jobs': 'c31abb9eafc1213c',
  'bullmq compound': '2b527734482bfcd6',
  'bullmq mixed': 'e142da1409f90413',
  'bullmq explore': '5c39ff2d12b383af',
  'bee-queue latency': '7e6109ae9639568e',
  'bee-queue worker-crash': '37010d537991b72d',
  'bee-queue crash-points': '8deac55d2ef0e19b',
  'bee-queue lost-reply': '08ae03f6066dc6c8',
  'bee-queue partition': '40cd505a8a0ed3fb',
  'bee-queue pause': 'f6bb55cec30a0599',
  'bee-queue redis-restart': '70b89e6e41608102',
  'bee-queue redis-wipe': '72246171b5c0228d',
  'bee-queue long-outage': '8badec9ac3b5346d',
  'bee-queue long-lost-reply': '2956c01b91d8863b',
  'bee-queue front-door': '5eaaf82f14c61c29',
  'bee-queue long-jobs': 'c31abb9eafc1213c',
  'bee-queue compound': '2b527734482bfcd6',
  'bee-queue mixed': 'e142da1409f90413',
  'bee-queue explore': '5c39ff2d12b383af',
  'bull latency': '7e6109ae9639568e',
  'bull worker-crash': '37010d537991b72d',
  'bull crash-points': '8deac55d2ef0e19b',
  'bull lost-reply': '08ae03f6066dc6c8',
  'bull partition': '40cd505a8a0ed3fb',
  'bull pause': 'f6bb55cec30a0599',
  'bull redis-restart': '70b89e6e41608102',
  'bull redis-wipe': '72246171b5c0228d',
  'bull long-outage': '8badec9ac3b5346d',
  'bull long-lost-reply': '2956c01b91d8863b',
  'bull front-door': '5eaaf82f14c61c29',
  'bull long-jobs': 'c31abb9eafc1213c',
  'bull compound': '2b527734482bfcd6',
  'bull mixed': 'e142da1409f90413',
  'bull explore': '5c39ff2d12b383af',
};

function planDigest(system: SystemModule, scenario: Scenario): string {
  const shape = { ...DEFAULT_ENV_OPTIONS, ...scenario.env, bugs: [] };
  const h = createHash('sha256');
  for (const seed of SEEDS) {
    const ctx = simTarget(system, shape, seed).context;
    const plans = fc.tuple(scenario.workload(ctx), scenario.schedule(ctx));
    const mrng = new fc.Random(xoroshiro128plus(seed));
    for (let i = 0; i < PLANS_PER_SEED; i++) {
      const v = plans.generate(mrng, undefined);
      h.update(JSON.stringify(v.value));
      let n = 0;
      for (const s of plans.shrink(v.value, v.context)) {
        if (n++ >= SHRINKS) break;
        h.update(JSON.stringify(s.value));
      }
    }
  }
  return h.digest('hex').slice(0, 16);
}

const SYSTEMS = REPO_REGISTRY.systems.filter((s) => s.provides.capabilities.includes('simulation'));

describe('the plans every scenario draws', () => {
  it('are the ones the documented replays were found with (a change that moves them updates this table)', async () => {
    const now: Record<string, string> = {};
    for (const entry of SYSTEMS) {
      const system = await entry.load();
      for (const scenario of simScenarios(entry.name, REPO_REGISTRY)) now[`${entry.name} ${scenario.name}`] = planDigest(system, scenario);
    }
    const moved = Object.keys({ ...now, ...PINNED }).filter((k) => now[k] !== PINNED[k]);
    // the message is the table's new lines: paste them once the moved scenarios' replays were run again
    expect(moved.map((k) => `  '${k}': ${now[k] === undefined ? 'gone' : `'${now[k]}'`},`).join('\n')).toBe('');
  }, 120_000);

  it("are told apart by the digest: one scenario's plans from another's, and the same plans digest the same", async () => {
    const reference = await SYSTEMS.find((s) => s.name === 'reference')!.load();
    const [a, b] = simScenarios('reference', REPO_REGISTRY);
    expect(planDigest(reference, a!)).not.toBe(planDigest(reference, b!));
    expect(planDigest(reference, a!)).toBe(planDigest(reference, a!));
  });
});
