import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { peakRssGrowth, speechStream } from './test-fixtures.js';
import { writeShards } from './write-shards.js';

// In a file of its own: vitest runs each file in a fresh process, so the baseline is clean.
//
// Not the shared 200 MiB / 150 MiB body the WebDataset test uses: holding one row group, the
// Parquet writer's peak RSS growth is 110–130 MiB on an idle 2-core machine and up to ~160 MiB
// with both cores busy (garbage waits longer for a collector that gets less CPU), and it levels
// off there however much is streamed (~150 MiB for 400 MiB). So it streams 400 MiB against a
// 220 MiB bound: a margin that holds under load, while a writer that kept the records would grow
// by more than the 400 MiB it was given.
const MEBIBYTES = 400;
const BOUND_MIB = 220;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shards-memory-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it(`streams ${MEBIBYTES} MiB of speech into Parquet shards with peak RSS growing by less than ${BOUND_MIB} MiB`, async () => {
  const { growth, result: files } = await peakRssGrowth((sample) =>
    writeShards(speechStream(MEBIBYTES), { dir, split: 'train', modality: 'speech', format: 'parquet', targetBytes: 64 * 1024 * 1024 }, sample),
  );
  expect(files.reduce((sum, f) => sum + f.bytes, 0)).toBeGreaterThan(MEBIBYTES * 1024 * 1024);
  expect(files.length).toBe(Math.ceil(MEBIBYTES / 64));
  expect(growth).toBeLessThan(BOUND_MIB * 1024 * 1024);
}, 120_000);
