// Times the phases of runOnce from the outside: wraps the Environment's reset() and the admin
// connection's XRANGE (runOnce's first read of sut:translog marks the end of the settle period).

import { performance } from 'node:perf_hooks';
import type { Environment } from '../env/environment.ts';

export interface RunProbe {
  /** what the last run did: reset time, whether it restarted the SUT, when collection began (performance.now()) */
  take(): { resetMs: number; restarted: boolean; collectStartedAt: number };
  restore(): void;
}

/** Wraps env.reset and the admin connection's XRANGE so a run's phases can be timed from outside. */
export function instrumentRun(env: Environment): RunProbe {
  const originalReset = env.reset;
  const admin = env.admin as unknown as { xrange: (...args: unknown[]) => Promise<unknown> };
  const originalXrange = admin.xrange;
  let resetMs = NaN;
  let restarted = false;
  let collectStartedAt = NaN;
  env.reset = async (opts) => {
    const t0 = performance.now();
    try {
      restarted = await originalReset.call(env, opts);
      return restarted;
    } finally {
      resetMs = performance.now() - t0;
    }
  };
  admin.xrange = function (this: unknown, ...args: unknown[]) {
    if (args[0] === 'sut:translog' && args[1] === '-' && Number.isNaN(collectStartedAt)) collectStartedAt = performance.now();
    return originalXrange.apply(env.admin, args);
  };
  return {
    take() {
      const r = { resetMs, restarted, collectStartedAt };
      resetMs = NaN;
      restarted = false;
      collectStartedAt = NaN;
      return r;
    },
    restore() {
      env.reset = originalReset;
      admin.xrange = originalXrange;
    },
  };
}

