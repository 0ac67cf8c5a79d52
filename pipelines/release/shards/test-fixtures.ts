/** Records to shard and readers to check shards with, for the tests beside this file. */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parquetMetadata, parquetReadObjects, type FileMetaData } from 'hyparquet';
import tar from 'tar-stream';
import { monotonicFactory } from 'ulid';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeWav } from '../../audio/pcm.js';
import { writeShards } from './write-shards.js';
import type { SpeechRecord, TextRecord } from './types.js';

const nextKey = monotonicFactory();

/** A real 16 kHz mono 16-bit WAV file: a tone whose pitch depends on `seed`, so clips differ. */
export function wav(seconds: number, seed: number): Uint8Array {
  const samples = new Float32Array(Math.round(seconds * 16_000));
  const step = (2 * Math.PI * (200 + (seed % 50) * 10)) / 16_000;
  for (let i = 0; i < samples.length; i++) samples[i] = 0.4 * Math.sin(i * step);
  return encodeWav(samples, 16_000);
}

export function speechRecord(i: number, seconds = 0.5): SpeechRecord {
  return {
    key: nextKey(),
    audio: wav(seconds, i),
    sentence: `Sentensi ya ${i}: habari za asubuhi — ñ ü 你好`,
    language: 'sw',
    speakerId: `speaker-${i % 7}`,
    durationSeconds: seconds,
    ageBand: i % 3 === 0 ? null : '20-29',
    gender: i % 2 === 0 ? 'female' : null,
    variant: i % 5 === 0 ? 'kiunguja' : null,
    accent: null,
  };
}

export function textRecord(i: number): TextRecord {
  return {
    key: nextKey(),
    text: `Ẹ kú àárọ̀ ${i}. ${'Ọ̀rọ̀ '.repeat(i % 20)}`,
    language: 'yo',
    speakerId: `writer-${i % 11}`,
    ageBand: null,
    gender: i % 4 === 0 ? 'male' : null,
    variant: null,
    accent: i % 6 === 0 ? 'oyo' : null,
  };
}

export async function* stream<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function readBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}

export interface ParquetShard {
  metadata: FileMetaData;
  rows: Array<Record<string, unknown>>;
}

/** Reads a whole shard with hyparquet, a reader independent of the writer. */
export async function readParquet(bytes: Uint8Array): Promise<ParquetShard> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  // utf8: false keeps un-annotated BYTE_ARRAY (audio bytes) as bytes; UTF8 columns stay strings.
  const rows = await parquetReadObjects({ file, utf8: false });
  return { metadata, rows };
}

export interface TarMember {
  name: string;
  body: Buffer;
  header: tar.Header;
}

export async function readTar(bytes: Uint8Array): Promise<TarMember[]> {
  const extract = tar.extract();
  const members: TarMember[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
      members.push({ name: entry.header.name, header: entry.header, body: Buffer.concat(chunks) });
    }
  })();
  Readable.from([Buffer.from(bytes)]).pipe(extract);
  await done;
  return members;
}

/**
 * `mebibytes` MiB of 5-second clips, each made when asked for and dropped once written, so the
 * records never sit in memory together.
 */
export async function* speechStream(mebibytes: number): AsyncGenerator<SpeechRecord> {
  const template = wav(5, 1);
  for (let produced = 0, i = 0; produced < mebibytes * 1024 * 1024; i++) {
    const audio = new Uint8Array(template);
    new DataView(audio.buffer).setUint32(44, i, true); // every clip distinct
    produced += audio.byteLength;
    yield { ...speechRecord(i, 0), audio, durationSeconds: 5 };
  }
}

/** Peak RSS growth over what the process had when `work` began, sampled every 5 ms. */
export async function peakRssGrowth<T>(work: (sample: () => void) => Promise<T>): Promise<{ growth: number; result: T }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 5);
  try {
    const result = await work(sample);
    sample();
    return { growth: peak - base, result };
  } finally {
    clearInterval(timer);
  }
}

/** The names Hugging Face expects for `count` shards, written out independently of naming.ts. */
export function expectedNames(split: string, count: number, extension: 'parquet' | 'tar'): string[] {
  const pad = (n: number) => String(n).padStart(5, '0');
  return Array.from({ length: count }, (_, i) => `data/${split}-${pad(i)}-of-${pad(count)}.${extension}`);
}

/**
 * 200 MiB of speech into shards of one format with peak RSS growing by less than 150 MiB. Call
 * it from a test file of its own, so the process starts with a clean baseline.
 */
export function memoryBoundTest(format: 'parquet' | 'webdataset'): void {
  const name = format === 'parquet' ? 'Parquet' : 'WebDataset';
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shards-memory-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  it(`streams 200 MiB of speech into ${name} shards with peak RSS growing by less than 150 MiB`, async () => {
    const { growth, result: files } = await peakRssGrowth((sample) =>
      writeShards(speechStream(200), { dir, split: 'train', modality: 'speech', format, targetBytes: 64 * 1024 * 1024 }, sample),
    );
    expect(files.reduce((sum, f) => sum + f.bytes, 0)).toBeGreaterThan(200 * 1024 * 1024);
    expect(files.length).toBe(4);
    expect(growth).toBeLessThan(150 * 1024 * 1024);
  }, 120_000);
}
