import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'pipelines/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Builds the CLI the tests spawn, once per run (see the file).
    globalSetup: ['test/global-setup.ts'],
    // Most files wait on servers, browsers and child processes rather than compute, so three at a
    // time finish far sooner than vitest's default (one fewer than the cores: one, on two cores).
    maxWorkers: 3,
  },
});
