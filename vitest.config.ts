import { configDefaults, defineConfig } from 'vitest/config';
import OutcomeReporter from './test/support/outcome-reporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Fixtures are run by their own tests (in a child vitest), never by the suite itself.
    exclude: [...configDefaults.exclude, 'test/fixtures/**'],
    globalSetup: ['test/support/global-setup.ts', 'test/support/postgres-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration tests share one broker; files run in parallel on separate topics.
    fileParallelism: true,
    // scripts/test-summary.mjs reads both files: the JSON report has no place for errors outside tests.
    reporters: ['default', ['json', { outputFile: 'test-results.json' }], new OutcomeReporter({ outputFile: 'test-outcome.json' })],
  },
});
