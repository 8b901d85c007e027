import { defineConfig } from 'vitest/config';

// Lab tests: one real Xen (XENLAB_XEN, default 4.17) booted once for the whole run by the global setup; files run
// one after another in one process because they share that machine's state.
export default defineConfig({
  test: {
    include: ['test/lab/**/*.test.ts'],
    globalSetup: ['test/lab/global-setup.ts'],
    fileParallelism: false,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    testTimeout: 300_000,
    hookTimeout: 300_000,
    sequence: { concurrent: false },
  },
});
