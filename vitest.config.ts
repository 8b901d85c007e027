import { defineConfig } from 'vitest/config';

// Unit tests: fast, no Xen needed.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
