/**
 * Measures the two Parquet writers installed here on speech shards: MB/s of audio bytes written
 * and peak RSS, each variant in its own process so one's heap does not colour another's figure.
 *
 *   npx tsx test/bench/parquet-writers.ts [mebibytes=300]
 *
 * Variants: `input-only` (making the records, nothing written: the floor), `write-shards` (the
 * production path, hyparquet-writer via writeShards), `hyparquet-writer` and `parquetjs` (the bare
 * libraries on the same schema and 100-row row groups, audio uncompressed), and each library with
 * Snappy on the audio. The figures are quoted at the top of
 * pipelines/release/shards/parquet-shard-writer.ts. Run on its own, not by `npm run bench`: it
 * measures a choice already made, not Tributary against a baseline.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import parquetjs from '@dsnp/parquetjs';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { ulid } from 'ulid';
import { shardMetadata, SPEECH_SCHEMA, speechColumns } from '../../pipelines/release/shards/parquet-schema.js';
import { toShardRow } from '../../pipelines/release/shards/rows.js';
import { ShardFileSink } from '../../pipelines/release/shards/shard-file-sink.js';
import type { SpeechRecord, SpeechRow } from '../../pipelines/release/shards/types.js';
import { writeShards } from '../../pipelines/release/shards/write-shards.js';

const VARIANTS = [
  'input-only',
  'write-shards',
  'hyparquet-writer',
  'hyparquet-writer-snappy-audio',
  'parquetjs',
  'parquetjs-snappy-audio',
] as const;
type Variant = (typeof VARIANTS)[number];
type AudioCodec = 'UNCOMPRESSED' | 'SNAPPY';

const CLIP_SECONDS = 5;
const ROWS_PER_GROUP = 100;

/** Speech-like 16 kHz mono 16-bit WAV: a voiced harmonic series under a syllable envelope, plus a noise floor. */
function syntheticWav(seed: number): Uint8Array {
  const n = 16_000 * CLIP_SECONDS;
  const bytes = new Uint8Array(44 + n * 2);
  const view = new DataView(bytes.buffer);
  const ascii = (o: number, t: string) => {
    for (let i = 0; i < t.length; i++) bytes[o + i] = t.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + n * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, 16_000, true);
  view.setUint32(28, 32_000, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, n * 2, true);
  let rng = seed * 2654435761 || 1;
  const f0 = 110 + (seed % 7) * 15;
  for (let i = 0; i < n; i++) {
    rng ^= rng << 13;
    rng ^= rng >>> 17;
    rng ^= rng << 5;
    const t = i / 16_000;
    const envelope = Math.max(0, Math.sin(Math.PI * 3 * t)) ** 2;
    let s = 0;
    for (let h = 1; h <= 6; h++) s += Math.sin(2 * Math.PI * f0 * h * t * (1 + 0.01 * Math.sin(5 * t))) / h;
    const noise = ((rng >>> 0) / 2 ** 32 - 0.5) * 0.02;
    view.setInt16(44 + i * 2, Math.round(Math.max(-1, Math.min(1, 0.3 * envelope * s + noise)) * 32767), true);
  }
  return bytes;
}

function* records(totalBytes: number): Generator<SpeechRecord> {
  const templates = Array.from({ length: 16 }, (_, i) => syntheticWav(i + 1));
  let produced = 0;
  for (let i = 0; produced < totalBytes; i++) {
    // A fresh buffer per record, as a blob-store read gives, stamped so no two clips are equal
    // (a writer that dictionary-encodes repeats would otherwise look better than it is).
    const audio = new Uint8Array(templates[i % templates.length]!);
    new DataView(audio.buffer).setUint32(44, i, true);
    produced += audio.byteLength;
    yield {
      key: ulid(),
      audio,
      sentence: `Sentence number ${i}, read aloud for the benchmark.`,
      language: 'sw',
      speakerId: `speaker-${i % 40}`,
      durationSeconds: CLIP_SECONDS,
      ageBand: i % 3 ? '30-39' : null,
      gender: i % 2 ? 'female' : 'male',
      variant: null,
      accent: i % 5 ? null : 'coastal',
    };
  }
}

async function* asAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

async function runWriteShards(dir: string, totalBytes: number): Promise<number> {
  let audioBytes = 0;
  const counted = (async function* () {
    for (const record of records(totalBytes)) {
      audioBytes += record.audio.byteLength;
      yield record;
    }
  })();
  await writeShards(counted, { dir, split: 'train', modality: 'speech', format: 'parquet' });
  return audioBytes;
}

async function runHyparquet(path: string, totalBytes: number, audioCodec: AudioCodec): Promise<number> {
  const sink = await ShardFileSink.create(path);
  class SinkWriter extends ByteWriter {
    async flush(): Promise<void> {
      await sink.write(new Uint8Array(this.buffer, 0, this.index));
      this.index = 0;
    }
    override finish(): Promise<void> {
      return this.flush();
    }
  }
  const writer = new ParquetWriter({
    writer: new SinkWriter(1 << 20),
    schema: SPEECH_SCHEMA,
    codec: 'SNAPPY',
    kvMetadata: shardMetadata({ split: 'train', modality: 'speech' }),
  });
  let group: SpeechRow[] = [];
  let audioBytes = 0;
  const flushGroup = async () => {
    const columnData = speechColumns(group).map((column) => (column.name === 'audio' ? { ...column, codec: audioCodec } : column));
    await writer.write({ rowGroupSize: group.length, columnData });
    group = [];
  };
  for (const record of records(totalBytes)) {
    audioBytes += record.audio.byteLength;
    group.push(toShardRow(record, 'speech') as SpeechRow);
    if (group.length === ROWS_PER_GROUP) await flushGroup();
  }
  if (group.length) await flushGroup();
  await writer.finish();
  await sink.close();
  return audioBytes;
}

async function runParquetjs(path: string, totalBytes: number, audioCodec: AudioCodec): Promise<number> {
  const sink = await ShardFileSink.create(path);
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      sink.write(chunk).then(() => callback(), callback);
    },
    final(callback) {
      sink.close().then(() => callback(), callback);
    },
  });
  const text = { type: 'UTF8', optional: true, compression: 'SNAPPY' } as const;
  const schema = new parquetjs.ParquetSchema({
    key: text,
    audio: {
      optional: true,
      fields: {
        bytes: { type: 'BYTE_ARRAY', optional: true, compression: audioCodec, statistics: false },
        path: text,
      },
    },
    sentence: text,
    language: text,
    speaker_id: text,
    duration: { type: 'DOUBLE', optional: true, compression: 'SNAPPY' },
    age_band: text,
    gender: text,
    variant: text,
    accent: text,
  });
  // parquetjs only calls write and end, but its type asks for a whole fs.WriteStream.
  const writer = await parquetjs.ParquetWriter.openStream(schema, out as unknown as WriteStream, { rowGroupSize: ROWS_PER_GROUP });
  let audioBytes = 0;
  for (const record of records(totalBytes)) {
    audioBytes += record.audio.byteLength;
    const row = toShardRow(record, 'speech') as SpeechRow;
    await writer.appendRow({
      ...row,
      audio: { bytes: Buffer.from(row.audio.buffer, row.audio.byteOffset, row.audio.byteLength), path: `${row.key}.wav` },
    });
  }
  await writer.close();
  return audioBytes;
}

async function run(variant: Variant, dir: string, totalBytes: number): Promise<number> {
  const path = join(dir, 'bench.parquet');
  const audioCodec: AudioCodec = variant.endsWith('snappy-audio') ? 'SNAPPY' : 'UNCOMPRESSED';
  if (variant === 'input-only') {
    let audioBytes = 0;
    for await (const record of asAsync(records(totalBytes))) audioBytes += record.audio.byteLength;
    return audioBytes;
  }
  if (variant === 'write-shards') return runWriteShards(dir, totalBytes);
  if (variant.startsWith('hyparquet')) return runHyparquet(path, totalBytes, audioCodec);
  return runParquetjs(path, totalBytes, audioCodec);
}

/** Total size of the files under `dir`. */
function duSync(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

async function child(variant: Variant, mebibytes: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shard-bench-'));
  const baseRss = process.memoryUsage().rss;
  let peakRss = baseRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 10);
  const started = performance.now();
  const audioBytes = await run(variant, dir, mebibytes * 1024 * 1024);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const fileBytes = duSync(dir);
  rmSync(dir, { recursive: true, force: true });
  const mib = (n: number) => n / 1024 / 1024;
  console.log(
    JSON.stringify({
      variant,
      audioMiB: +mib(audioBytes).toFixed(1),
      fileMiB: +mib(fileBytes).toFixed(1),
      seconds: +seconds.toFixed(2),
      audioMBps: +(audioBytes / 1e6 / seconds).toFixed(1),
      peakRssMiB: +mib(Math.max(peakRss, process.resourceUsage().maxRSS * 1024)).toFixed(0),
      startRssMiB: +mib(baseRss).toFixed(0),
    }),
  );
}

const [, self, first, second, third] = process.argv;
if (first === '--child') {
  await child(second as Variant, Number(third ?? 300));
} else {
  const mebibytes = Number(first ?? 300);
  for (const variant of VARIANTS) {
    const script = self ?? fileURLToPath(import.meta.url);
    const result = spawnSync(process.execPath, [...process.execArgv, script, '--child', variant, String(mebibytes)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    process.stdout.write(result.stdout);
  }
}
