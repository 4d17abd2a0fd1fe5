// A kill healed as a new consumer (rejoin: 'new', the takeover scenario) starts the reference
// system's process under a consumer name the SUT accepts. `worker-1~1` was refused by its
// argument parser (exit 2 before ready), so live the process never came back as a new consumer.
import { afterAll, describe, expect, it } from 'vitest';
import { Environment } from '../../harness/env/environment.ts';
import { consumerName, reference } from '../../harness/systems/reference.ts';
import { parseId } from '../../system-under-test/common.ts';

describe('rejoin as a new consumer (reference system)', () => {
  let env: Environment | undefined;
  afterAll(async () => {
    await env?.stop();
  });

  it('names a consumer the SUT parses', () => {
    expect(parseId(consumerName('worker-1', 2))).toBe(consumerName('worker-1', 2));
    expect(consumerName('worker-1', 2)).not.toBe(consumerName('worker-1', 3));
  });

  it('a killed worker and keeper start again as new consumers, live', async () => {
    env = await Environment.start({ system: reference, workers: 1, keepers: 1 });
    for (const id of ['worker-1', 'keeper-1']) {
      const p = env.processControl(id);
      await p.kill();
      expect(p.alive()).toBe(false);
      await p.start({ rejoin: 'new' });
      expect(p.alive()).toBe(true);
    }
    // the new consumers read their groups: the system is listening again
    const clients = await env.admin.client('LIST');
    expect(clients).toMatch(/cmd=xreadgroup/);
  }, 60_000);
});
