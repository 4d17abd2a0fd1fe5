import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real processes: each test file owns its servers; forks keep child processes tied to a main thread.
    pool: 'forks',
    // files run one at a time: the suites that start real servers measure latencies and
    // reclaim times, which two of them side by side on a 2-core machine would distort
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
