import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidShardOptionsError, ShardsExistError } from './errors.js';
import { DATA_DIR, isShardOf, partialShardName, shardName } from './naming.js';
import { DEFAULT_ROW_GROUP_SIZE, ParquetShardWriter } from './parquet-shard-writer.js';
import { toShardRow } from './rows.js';
import type { ShardFile, ShardOptions, ShardProgress, ShardWriter, SpeechRecord, TextRecord } from './types.js';
import { WebDatasetShardWriter } from './webdataset-shard-writer.js';

export const DEFAULT_TARGET_BYTES = 256 * 1024 * 1024;

interface OpenShard {
  partial: string;
  writer: ShardWriter;
  records: number;
}

interface ClosedShard {
  partial: string;
  sha256: string;
  bytes: number;
  records: number;
}

/**
 * Writes one split of a release as shards under `options.dir`/data/, streaming: records are read
 * one at a time and at most one Parquet row group (or one tar record) is held in memory. Each
 * shard is written under a partial name, hashed as it is written, and renamed to its Hugging
 * Face name (`data/train-00000-of-00003.parquet`) only once every shard of the split is complete.
 * On failure the split's files are deleted and the error is rethrown.
 */
export async function writeShards(
  records: AsyncIterable<SpeechRecord | TextRecord>,
  options: ShardOptions,
  onProgress?: (progress: ShardProgress) => void,
): Promise<ShardFile[]> {
  const { dir, split, modality, format } = options;
  const targetBytes = options.targetBytes ?? DEFAULT_TARGET_BYTES;
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE[modality];
  checkOptions(options, targetBytes, rowGroupSize);

  await mkdir(join(dir, DATA_DIR), { recursive: true });
  const existing = (await readdir(join(dir, DATA_DIR))).filter((name) => isShardOf(name, split, format));
  if (existing.length > 0) throw new ShardsExistError(existing.map((name) => `${DATA_DIR}/${name}`));

  const closed: ClosedShard[] = [];
  let current: OpenShard | undefined;
  const renamed: string[] = [];
  let written = 0;
  let bytesBefore = 0;

  const openShard = async (): Promise<OpenShard> => {
    const partial = partialShardName(split, closed.length, format);
    const path = join(dir, partial);
    const writer =
      format === 'parquet'
        ? await ParquetShardWriter.create(path, { split, modality, rowGroupSize })
        : await WebDatasetShardWriter.create(path);
    return { partial, writer, records: 0 };
  };

  const closeShard = async (shard: OpenShard): Promise<void> => {
    const { sha256, bytes } = await shard.writer.close().catch(async (error: unknown) => {
      await shard.writer.discard().catch(() => undefined);
      throw error;
    });
    closed.push({ partial: shard.partial, sha256, bytes, records: shard.records });
    bytesBefore += bytes;
  };

  try {
    for await (const record of records) {
      const row = toShardRow(record, modality);
      if (current && current.records > 0 && current.writer.sizeWith(row) > targetBytes) {
        const full = current;
        current = undefined;
        await closeShard(full);
      }
      current ??= await openShard();
      await current.writer.append(row);
      current.records++;
      options.onRecord?.(row.key, closed.length);
      written++;
      onProgress?.({ records: written, bytes: bytesBefore + current.writer.bytesWritten });
    }
    if (current) {
      const last = current;
      current = undefined;
      await closeShard(last);
      onProgress?.({ records: written, bytes: bytesBefore });
    }

    // Only now is the count known, and with it the final names.
    const files = closed.map(
      (shard, index): ShardFile => ({
        name: shardName(split, index, closed.length, format),
        split,
        sha256: shard.sha256,
        bytes: shard.bytes,
        records: shard.records,
      }),
    );
    for (const [index, file] of files.entries()) {
      await rename(join(dir, closed[index]!.partial), join(dir, file.name));
      renamed.push(file.name);
    }
    if (files.length > 0) await syncDir(join(dir, DATA_DIR));
    return files;
  } catch (error) {
    await current?.writer.discard().catch(() => undefined);
    for (const name of [...closed.map((shard) => shard.partial), ...renamed]) {
      await rm(join(dir, name), { force: true }).catch(() => undefined);
    }
    throw error;
  }
}

function checkOptions(options: ShardOptions, targetBytes: number, rowGroupSize: number): void {
  if (!['train', 'dev', 'test'].includes(options.split)) throw new InvalidShardOptionsError(`unknown split ${options.split}`);
  if (!['speech', 'text'].includes(options.modality)) throw new InvalidShardOptionsError(`unknown modality ${options.modality}`);
  if (!['parquet', 'webdataset'].includes(options.format)) throw new InvalidShardOptionsError(`unknown format ${options.format}`);
  if (!Number.isSafeInteger(targetBytes) || targetBytes <= 0) {
    throw new InvalidShardOptionsError(`targetBytes must be a positive integer, not ${targetBytes}`);
  }
  if (!Number.isSafeInteger(rowGroupSize) || rowGroupSize <= 0) {
    throw new InvalidShardOptionsError(`rowGroupSize must be a positive integer, not ${rowGroupSize}`);
  }
}

/** Makes the renames durable before the caller moves the release dir into place. */
async function syncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
