// Times the reset of runOnce from the outside by wrapping the Environment's reset(); the other
// phases runOnce reports itself (settleTookMs, collectMs).

import { performance } from 'node:perf_hooks';
import type { Environment } from '../env/environment.ts';

export interface RunProbe {
  /** what the last run did: reset time, whether it restarted the SUT */
  take(): { resetMs: number; restarted: boolean };
  restore(): void;
}

/** Wraps env.reset so a run's reset can be timed from outside. */
export function instrumentRun(env: Environment): RunProbe {
  const originalReset = env.reset;
  let resetMs = NaN;
  let restarted = false;
  env.reset = async (opts) => {
    const t0 = performance.now();
    try {
      restarted = await originalReset.call(env, opts);
      return restarted;
    } finally {
      resetMs = performance.now() - t0;
    }
  };
  return {
    take() {
      const r = { resetMs, restarted };
      resetMs = NaN;
      restarted = false;
      return r;
    },
    restore() {
      env.reset = originalReset;
    },
  };
}

