import { memoryBoundTest } from '../../../test/fixtures/shards.js';

// In a file of its own: vitest runs each file in a fresh process, so the baseline is clean.
//
// Larger than the WebDataset test's 200 MiB / 150 MiB: holding one row group, the Parquet
// writer's peak RSS growth is 110–130 MiB on an idle 2-core machine and up to ~160 MiB with both
// cores busy (garbage waits longer for a collector that gets less CPU), and it levels off there
// however much is streamed (~150 MiB for 400 MiB). So it streams 400 MiB against a 220 MiB bound:
// a margin that holds under load, while a writer that kept the records would grow by more than
// the 400 MiB it was given.
memoryBoundTest('parquet', { mebibytes: 400, boundMebibytes: 220 });
