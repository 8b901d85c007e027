import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Lab files run in name order (00-smoke first), not by vitest's size/duration heuristic: later files may rely on a
 * lab that the earlier ones have proven, and a run is reproducible only in one order. */
class ByName extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId));
  }
}

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
    sequence: { concurrent: false, sequencer: ByName },
  },
});
