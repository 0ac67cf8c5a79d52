import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectedNames, readBytes, readTar, recordedKeys, sha256, speechRecord, stream, textRecord } from '../../../test/fixtures/shards.js';
import { writeShards } from './write-shards.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shards-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('webdataset shards', () => {
  it('writes <key>.wav + <key>.json per speech record in a ustar archive', async () => {
    const records = Array.from({ length: 20 }, (_, i) => speechRecord(i, 0.2 + i * 0.01));
    const keys = recordedKeys();
    const files = await writeShards(stream(records), { dir, split: 'train', modality: 'speech', format: 'webdataset', onRecord: keys.onRecord });
    expect(files.map((f) => f.name)).toEqual(['data/train-00000-of-00001.tar']);

    const bytes = await readBytes(join(dir, files[0]!.name));
    expect(files[0]).toMatchObject({ bytes: bytes.byteLength, sha256: sha256(bytes), records: 20 });
    expect(keys.byShard).toEqual([records.map((r) => r.key)]);
    expect(Buffer.from(bytes.subarray(257, 265)).toString('latin1')).toBe('ustar\u000000');

    const members = await readTar(bytes);
    expect(members.map((m) => m.name)).toEqual(records.flatMap((r) => [`${r.key}.wav`, `${r.key}.json`]));
    records.forEach((record, i) => {
      const wav = members[2 * i]!;
      const json = members[2 * i + 1]!;
      expect(wav.body.equals(record.audio)).toBe(true);
      expect(wav.header).toMatchObject({ type: 'file', mode: 0o644, uid: 0, gid: 0 });
      expect(JSON.parse(json.body.toString('utf8'))).toEqual({
        sentence: record.sentence,
        language: record.language,
        speaker_id: record.speakerId,
        duration: record.durationSeconds,
        age_band: record.ageBand,
        gender: record.gender,
        variant: record.variant,
        accent: record.accent,
      });
    });
  });

  it('writes whole-second durations as floats, so Python reads the same type for every record', async () => {
    const files = await writeShards(stream([speechRecord(0, 1)]), { dir, split: 'dev', modality: 'speech', format: 'webdataset' });
    const [, json] = await readTar(await readBytes(join(dir, files[0]!.name)));
    expect(json!.body.toString('utf8')).toContain('"duration":1.0,');
  });

  it('writes <key>.txt + <key>.json per text record', async () => {
    const records = Array.from({ length: 50 }, (_, i) => textRecord(i));
    const files = await writeShards(stream(records), { dir, split: 'test', modality: 'text', format: 'webdataset' });
    const members = await readTar(await readBytes(join(dir, files[0]!.name)));
    expect(members.map((m) => m.name)).toEqual(records.flatMap((r) => [`${r.key}.txt`, `${r.key}.json`]));
    expect(members[0]!.body.toString('utf8')).toBe(records[0]!.text);
    expect(JSON.parse(members[1]!.body.toString('utf8'))).toEqual({
      language: 'yo',
      speaker_id: records[0]!.speakerId,
      age_band: null,
      gender: records[0]!.gender,
      variant: null,
      accent: records[0]!.accent,
    });
  });

  it('splits by targetBytes exactly and keeps each record whole in one shard', async () => {
    const records = Array.from({ length: 30 }, (_, i) => speechRecord(i, 0.3));
    const targetBytes = 60_000;
    const keys = recordedKeys();
    const files = await writeShards(stream(records), { dir, split: 'train', modality: 'speech', format: 'webdataset', targetBytes, onRecord: keys.onRecord });
    expect(files.length).toBeGreaterThan(3);
    expect(files.map((f) => f.name)).toEqual(expectedNames('train', files.length, 'tar'));
    expect((await readdir(join(dir, 'data'))).sort()).toEqual(files.map((f) => f.name.slice(5)));
    for (const [index, file] of files.entries()) {
      const bytes = await readBytes(join(dir, file.name));
      expect(file.bytes).toBe(bytes.byteLength);
      expect(file.bytes).toBeLessThanOrEqual(targetBytes);
      expect(file.sha256).toBe(sha256(bytes));
      const members = (await readTar(bytes)).map((m) => m.name.split('.')[0]);
      expect(members).toEqual(keys.byShard[index]!.flatMap((k) => [k, k]));
    }
    expect(keys.byShard.flat()).toEqual(records.map((r) => r.key));
  });

  it('refuses keys with a dot, which WebDataset would split into a different sample', async () => {
    const record = { ...textRecord(0), key: '01J0000000000000000000.ABC' };
    await expect(writeShards(stream([record]), { dir, split: 'train', modality: 'text', format: 'webdataset' })).rejects.toMatchObject({
      code: 'InvalidShardKey',
    });
    expect(await readdir(join(dir, 'data'))).toEqual([]);
  });
});
