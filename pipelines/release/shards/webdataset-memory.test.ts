import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { peakRssGrowth, speechStream } from './test-fixtures.js';
import { writeShards } from './write-shards.js';

// In a file of its own: vitest runs each file in a fresh process, so the baseline is clean.
const dir = await mkdtemp(join(tmpdir(), 'shards-memory-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

it('streams 200 MiB of speech into WebDataset shards with peak RSS growing by less than 150 MiB', async () => {
  const { growth, result: files } = await peakRssGrowth((sample) =>
    writeShards(speechStream(200), { dir, split: 'train', modality: 'speech', format: 'webdataset', targetBytes: 64 * 1024 * 1024 }, sample),
  );
  expect(files.reduce((sum, f) => sum + f.bytes, 0)).toBeGreaterThan(200 * 1024 * 1024);
  expect(files.length).toBe(4);
  expect(growth).toBeLessThan(150 * 1024 * 1024);
}, 120_000);
