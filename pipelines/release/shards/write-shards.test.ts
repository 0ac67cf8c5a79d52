import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShardError } from './errors.js';
import { SHARD_FORMAT_VERSION } from './parquet-schema.js';
import { expectedNames, readBytes, readParquet, recordedKeys, sha256, speechRecord, stream, textRecord } from '../../../test/fixtures/shards.js';
import type { ShardFile, SpeechRecord, TextRecord } from './types.js';
import { writeShards } from './write-shards.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shards-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const dataFiles = async () => (await readdir(join(dir, 'data'))).sort();

async function expectDigestsMatch(files: ShardFile[]): Promise<void> {
  for (const file of files) {
    const bytes = await readBytes(join(dir, file.name));
    expect(file.bytes).toBe(bytes.byteLength);
    expect(file.sha256).toBe(sha256(bytes));
  }
}

describe('parquet speech shards', () => {
  it('round-trips every record, audio byte for byte, with the Audio struct and 100-row row groups', async () => {
    const records = Array.from({ length: 250 }, (_, i) => speechRecord(i, 0.25 + (i % 4) * 0.05));
    const keys = recordedKeys();
    const files = await writeShards(stream(records), { dir, split: 'train', modality: 'speech', format: 'parquet', onRecord: keys.onRecord });

    expect(files.map((f) => f.name)).toEqual(['data/train-00000-of-00001.parquet']);
    expect(await dataFiles()).toEqual(['train-00000-of-00001.parquet']);
    const [file] = files as [ShardFile];
    expect(file).toMatchObject({ split: 'train', records: 250 });
    expect(keys.byShard).toEqual([records.map((r) => r.key)]);
    await expectDigestsMatch(files);

    const { metadata, rows } = await readParquet(await readBytes(join(dir, file.name)));
    expect(metadata.row_groups.map((g) => Number(g.num_rows))).toEqual([100, 100, 50]);
    expect(rows).toHaveLength(250);
    rows.forEach((row, i) => {
      const record = records[i]!;
      const { bytes, ...audio } = row.audio as { bytes: Uint8Array; path: string };
      // Buffer.equals: a deep toEqual over every byte of 250 clips takes seconds.
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(bytes).equals(record.audio)).toBe(true);
      expect({ ...row, audio }).toEqual({
        key: record.key,
        audio: { path: `${record.key}.wav` },
        sentence: record.sentence,
        language: 'sw',
        speaker_id: record.speakerId,
        duration: record.durationSeconds,
        age_band: record.ageBand,
        gender: record.gender,
        variant: record.variant,
        accent: record.accent,
      });
    });
  });

  it('declares audio as struct<bytes: binary, path: string> and carries shard and Hugging Face metadata', async () => {
    const files = await writeShards(stream([speechRecord(1)]), { dir, split: 'dev', modality: 'speech', format: 'parquet' });
    const { metadata } = await readParquet(await readBytes(join(dir, files[0]!.name)));

    const schema = Object.fromEntries(metadata.schema.slice(1).map((e) => [e.name, e]));
    expect(metadata.schema.slice(1).map((e) => e.name)).toEqual([
      'key', 'audio', 'bytes', 'path', 'sentence', 'language', 'speaker_id', 'duration', 'age_band', 'gender', 'variant', 'accent',
    ]);
    expect(schema.audio).toMatchObject({ num_children: 2 });
    expect(schema.audio?.type).toBeUndefined();
    expect(schema.bytes).toMatchObject({ type: 'BYTE_ARRAY' });
    expect(schema.bytes?.converted_type).toBeUndefined();
    expect(schema.path).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
    expect(schema.duration).toMatchObject({ type: 'DOUBLE' });
    for (const name of ['key', 'sentence', 'language', 'speaker_id', 'age_band', 'gender', 'variant', 'accent']) {
      expect(schema[name]).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
    }

    const kv = Object.fromEntries((metadata.key_value_metadata ?? []).map((e) => [e.key, e.value ?? '']));
    expect(JSON.parse(kv['tributary.shard']!)).toEqual({ version: SHARD_FORMAT_VERSION, split: 'dev', modality: 'speech', format: 'parquet' });
    const features = JSON.parse(kv.huggingface!).info.features;
    expect(features.audio).toEqual({ sampling_rate: 16_000, _type: 'Audio' });
    expect(Object.keys(features)).toEqual(metadata.schema.slice(1).filter((e) => e.name !== 'bytes' && e.name !== 'path').map((e) => e.name));

    // Audio is stored as written (see parquet-shard-writer.ts); text columns are Snappy.
    const chunks = metadata.row_groups[0]!.columns.map((c) => [c.meta_data!.path_in_schema.join('.'), c.meta_data!.codec]);
    expect(Object.fromEntries(chunks)).toMatchObject({ 'audio.bytes': 'UNCOMPRESSED', sentence: 'SNAPPY' });
  });

  it('splits by targetBytes and names shards -of- the final count', async () => {
    const records = Array.from({ length: 60 }, (_, i) => speechRecord(i, 0.5)); // ~16 kB each
    const targetBytes = 200_000;
    const keys = recordedKeys();
    const files = await writeShards(stream(records), { dir, split: 'train', modality: 'speech', format: 'parquet', targetBytes, rowGroupSize: 5, onRecord: keys.onRecord });

    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(files.map((f) => f.name)).toEqual(expectedNames('train', files.length, 'parquet'));
    expect(await dataFiles()).toEqual(files.map((f) => f.name.slice('data/'.length)));
    expect(keys.byShard.flat()).toEqual(records.map((r) => r.key));
    await expectDigestsMatch(files);

    for (const [index, file] of files.entries()) {
      expect(file.bytes).toBeLessThanOrEqual(targetBytes);
      const { metadata, rows } = await readParquet(await readBytes(join(dir, file.name)));
      expect(rows.map((r) => r.key)).toEqual(keys.byShard[index]);
      expect(Number(metadata.num_rows)).toBe(file.records);
      expect(metadata.row_groups.every((g) => Number(g.num_rows) <= 5)).toBe(true);
    }
    // Shards are filled: all but the last would have passed the target with one more record.
    for (const file of files.slice(0, -1)) expect(file.bytes).toBeGreaterThan(targetBytes - 2 * 16_100 - 8_000);
  });

  it('puts a record larger than targetBytes in a shard of its own', async () => {
    const records = [speechRecord(0, 0.1), speechRecord(1, 2), speechRecord(2, 0.1)];
    const files = await writeShards(stream(records), { dir, split: 'test', modality: 'speech', format: 'parquet', targetBytes: 20_000 });
    expect(files.map((f) => f.records)).toEqual([1, 1, 1]);
    expect(files[1]!.bytes).toBeGreaterThan(20_000);
  });

  it('gives the same bytes for the same records', async () => {
    const records = Array.from({ length: 30 }, (_, i) => speechRecord(i, 0.1));
    const first = await writeShards(stream(records), { dir: join(dir, 'a'), split: 'train', modality: 'speech', format: 'parquet' });
    const second = await writeShards(stream(records), { dir: join(dir, 'b'), split: 'train', modality: 'speech', format: 'parquet' });
    expect(second.map((f) => f.sha256)).toEqual(first.map((f) => f.sha256));
  });
});

describe('parquet text shards', () => {
  it('round-trips text records with the text schema', async () => {
    const records = Array.from({ length: 25_000 }, (_, i) => textRecord(i));
    const files = await writeShards(stream(records), { dir, split: 'train', modality: 'text', format: 'parquet' });
    expect(files).toHaveLength(1);
    await expectDigestsMatch(files);

    const { metadata, rows } = await readParquet(await readBytes(join(dir, files[0]!.name)));
    expect(metadata.schema.slice(1).map((e) => e.name)).toEqual(['key', 'text', 'language', 'speaker_id', 'age_band', 'gender', 'variant', 'accent']);
    expect(metadata.row_groups.map((g) => Number(g.num_rows))).toEqual([10_000, 10_000, 5_000]);
    expect(rows).toEqual(
      records.map((r) => ({
        key: r.key,
        text: r.text,
        language: r.language,
        speaker_id: r.speakerId,
        age_band: r.ageBand,
        gender: r.gender,
        variant: r.variant,
        accent: r.accent,
      })),
    );
    const kv = Object.fromEntries((metadata.key_value_metadata ?? []).map((e) => [e.key, e.value ?? '']));
    expect(JSON.parse(kv['tributary.shard']!)).toMatchObject({ modality: 'text', split: 'train' });
  });
});

describe('parquet text shards, split', () => {
  it('keeps every shard under targetBytes (text is estimated before compression, so shards run small)', async () => {
    const records = Array.from({ length: 3_000 }, (_, i) => textRecord(i));
    const keys = recordedKeys();
    const files = await writeShards(stream(records), { dir, split: 'dev', modality: 'text', format: 'parquet', targetBytes: 100_000, rowGroupSize: 500, onRecord: keys.onRecord });
    expect(files.length).toBeGreaterThan(1);
    expect(files.map((f) => f.name)).toEqual(expectedNames('dev', files.length, 'parquet'));
    await expectDigestsMatch(files);
    for (const [index, file] of files.entries()) {
      expect(file.bytes).toBeLessThanOrEqual(100_000);
      const { rows } = await readParquet(await readBytes(join(dir, file.name)));
      expect(rows.map((r) => r.key)).toEqual(keys.byShard[index]);
      expect(file.records).toBe(keys.byShard[index]!.length);
    }
    expect(keys.byShard.flat()).toEqual(records.map((r) => r.key));
  });
});

describe('writeShards', () => {
  it('writes nothing for an empty input', async () => {
    const files = await writeShards(stream<TextRecord>([]), { dir, split: 'dev', modality: 'text', format: 'parquet' });
    expect(files).toEqual([]);
    expect(await dataFiles()).toEqual([]);
  });

  it('reports progress per record, ending at the total written', async () => {
    const progress: Array<{ records: number; bytes: number }> = [];
    const files = await writeShards(
      stream(Array.from({ length: 12 }, (_, i) => speechRecord(i, 0.1))),
      { dir, split: 'train', modality: 'speech', format: 'parquet', rowGroupSize: 5 },
      (p) => progress.push(p),
    );
    expect(progress.map((p) => p.records).slice(0, 12)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(progress.at(-1)).toEqual({ records: 12, bytes: files[0]!.bytes });
    const bytes = progress.map((p) => p.bytes);
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
  });

  it('refuses a key that is not a ULID', async () => {
    const record = { ...speechRecord(0), key: 'clip.001' };
    await expect(writeShards(stream([record]), { dir, split: 'train', modality: 'speech', format: 'parquet' })).rejects.toMatchObject({
      code: 'InvalidShardKey',
    });
  });

  it('refuses records of the other modality and audio that is not 16 kHz mono 16-bit WAV', async () => {
    const options = { dir, split: 'train', modality: 'speech', format: 'parquet' } as const;
    await expect(writeShards(stream([textRecord(0)]), options)).rejects.toMatchObject({ code: 'InvalidShardRecord' });
    const stereo = speechRecord(0);
    new DataView(stereo.audio.buffer).setUint16(22, 2, true);
    await expect(writeShards(stream([stereo]), options)).rejects.toThrow(/not mono 16000 Hz 16-bit PCM/);
    const notWav: SpeechRecord = { ...speechRecord(1), audio: new Uint8Array(100) };
    await expect(writeShards(stream([notWav]), options)).rejects.toThrow(/RIFF/);
    await expect(writeShards(stream([speechRecord(2)]), { ...options, modality: 'text' })).rejects.toBeInstanceOf(ShardError);
  });

  it('refuses bad options', async () => {
    const base = { dir, split: 'train', modality: 'text', format: 'parquet' } as const;
    await expect(writeShards(stream([]), { ...base, targetBytes: 0 })).rejects.toMatchObject({ code: 'InvalidShardOptions' });
    await expect(writeShards(stream([]), { ...base, rowGroupSize: 1.5 })).rejects.toMatchObject({ code: 'InvalidShardOptions' });
  });

  it('leaves no file behind when the records fail part-way', async () => {
    async function* failing() {
      for (let i = 0; i < 40; i++) yield speechRecord(i, 0.5);
      throw new Error('database went away');
    }
    await expect(
      writeShards(failing(), { dir, split: 'train', modality: 'speech', format: 'parquet', targetBytes: 100_000, rowGroupSize: 3 }),
    ).rejects.toThrow('database went away');
    expect(await dataFiles()).toEqual([]);
  });

  it('never overwrites the shards of a split already written', async () => {
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data', 'train-00000-of-00001.parquet'), 'earlier release');
    await expect(writeShards(stream([textRecord(0)]), { dir, split: 'train', modality: 'text', format: 'parquet' })).rejects.toMatchObject({
      code: 'ShardsExist',
    });
    // Other splits, and other formats of the same split, are separate files.
    await writeShards(stream([textRecord(0)]), { dir, split: 'test', modality: 'text', format: 'parquet' });
    await writeShards(stream([textRecord(0)]), { dir, split: 'train', modality: 'text', format: 'webdataset' });
    expect(await dataFiles()).toEqual(['test-00000-of-00001.parquet', 'train-00000-of-00001.parquet', 'train-00000-of-00001.tar']);
  });
});
