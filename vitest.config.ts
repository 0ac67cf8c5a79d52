import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Builds the CLI the tests spawn, once per run (see the file).
    globalSetup: ['test/global-setup.ts'],
    // Most files wait on servers, browsers and child processes rather than compute, so three at a
    // time finish far sooner than vitest's default (one fewer than the cores: one, on two cores).
    maxWorkers: 3,
    projects: [
      { extends: true, test: { name: 'all', include: ['test/**/*.test.ts', 'pipelines/**/*.test.ts'] } },
      // The speech and release suites again, with every test node's audio and releases in an
      // S3-compatible bucket (test/helpers/node.ts `storageUnderTest`).
      {
        extends: true,
        test: {
          name: 's3',
          include: ['test/node/speech.test.ts', 'test/node/releases.test.ts'],
          env: { TRIBUTARY_TEST_STORAGE: 's3' },
        },
      },
    ],
  },
});
