import { memoryBoundTest } from '../../../test/fixtures/shards.js';

// In a file of its own: vitest runs each file in a fresh process, so the baseline is clean.
memoryBoundTest('webdataset');
