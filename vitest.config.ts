import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/helpers/global-setup.ts', 'test/helpers/postgres-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration tests share one broker; files run in parallel on separate topics.
    fileParallelism: true,
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
});
