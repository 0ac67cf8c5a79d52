import type { ShardFormat, Split } from './types.js';

/** Shards sit in `data/` under the release dir, as Hugging Face expects. */
export const DATA_DIR = 'data';

export function shardExtension(format: ShardFormat): 'parquet' | 'tar' {
  return format === 'parquet' ? 'parquet' : 'tar';
}

const pad = (n: number) => String(n).padStart(5, '0');

/** Hugging Face's name for shard `index` of `count`: `data/train-00000-of-00003.parquet`. */
export function shardName(split: Split, index: number, count: number, format: ShardFormat): string {
  return `${DATA_DIR}/${split}-${pad(index)}-of-${pad(count)}.${shardExtension(format)}`;
}

/**
 * Where shard `index` is written before the count is known. A dot file with a `.partial`
 * suffix: never a final name, and ignored by Hugging Face's and WebDataset's file globs should a
 * crashed build leave one behind.
 */
export function partialShardName(split: Split, index: number, format: ShardFormat): string {
  return `${DATA_DIR}/.${split}-${pad(index)}.${shardExtension(format)}.partial`;
}

/** Matches final shard file names of `split` in `format` (file name only, no folder). */
export function isShardOf(fileName: string, split: Split, format: ShardFormat): boolean {
  return new RegExp(`^${split}-\\d{5,}-of-\\d{5,}\\.${shardExtension(format)}$`).test(fileName);
}
