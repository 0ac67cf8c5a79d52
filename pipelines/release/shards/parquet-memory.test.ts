import { memoryBoundTest } from './test-fixtures.js';

// In a file of its own: vitest runs each file in a fresh process, so the baseline is clean.
memoryBoundTest('parquet');
