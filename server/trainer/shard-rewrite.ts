import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { SHARD_FORMAT_VERSION, SPEECH_SCHEMA, TEXT_SCHEMA } from '../../pipelines/release/shards/parquet-schema.js';
import { DEFAULT_ROW_GROUP_SIZE, ParquetShardWriter } from '../../pipelines/release/shards/parquet-shard-writer.js';
import type { ShardRow, Split } from '../../pipelines/release/shards/types.js';
import { ShardFormatUnsupportedError } from './errors.js';
import { readShardFooter } from './shard-metadata.js';

const SPLITS: readonly string[] = ['train', 'dev', 'test'] satisfies Split[];

export interface RewrittenShard {
  sha256: string;
  bytes: number;
  records: number;
  /** Keys found and left out, in the order the shard held them. */
  dropped: string[];
}

/**
 * Writes `input` again as `output` without the records whose key is in `keys`, with the
 * release's own shard writer (pipelines/release/shards), so the new file has the same columns,
 * Audio struct and metadata as one the node would write. Streams: one row group is read, one
 * written, at a time. `output` must not exist; it is removed if anything fails.
 */
export async function rewriteShardWithout(input: string, output: string, keys: ReadonlySet<string>): Promise<RewrittenShard> {
  const { metadata, layout } = await readShardFooter(input);
  const expected = layout.modality === 'speech' ? SPEECH_SCHEMA : TEXT_SCHEMA;
  const columns = (schema: ReadonlyArray<{ name: string }>) => schema.map((element) => element.name).join(',');
  if (layout.version !== SHARD_FORMAT_VERSION || layout.format !== 'parquet' || !SPLITS.includes(layout.split)) {
    throw new ShardFormatUnsupportedError(`${input} is a version ${layout.version} ${layout.format} shard; this version rewrites version ${SHARD_FORMAT_VERSION} Parquet`);
  }
  // Rewriting must not lose or change a column: only the layout the writer writes is rewritten.
  if (columns(metadata.schema) !== columns(expected)) {
    throw new ShardFormatUnsupportedError(`${input} has columns ${columns(metadata.schema)}, not those of a ${layout.modality} shard`);
  }

  const file = await asyncBufferFromFile(input);
  const writer = await ParquetShardWriter.create(output, {
    split: layout.split as Split,
    modality: layout.modality,
    rowGroupSize: DEFAULT_ROW_GROUP_SIZE[layout.modality],
  });
  const dropped: string[] = [];
  let records = 0;
  try {
    let start = 0;
    for (const group of metadata.row_groups) {
      const end = start + Number(group.num_rows);
      // utf8: false keeps the audio bytes binary; the UTF8 columns still read as strings.
      const rows = (await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end, utf8: false })) as Array<Record<string, any>>;
      for (const row of rows) {
        if (keys.has(row.key)) {
          dropped.push(row.key);
          continue;
        }
        await writer.append(toShardRow(input, row, layout.modality));
        records++;
      }
      start = end;
    }
    const { sha256, bytes } = await writer.close();
    return { sha256, bytes, records, dropped };
  } catch (error) {
    await writer.discard().catch(() => undefined);
    throw error;
  }
}

function toShardRow(path: string, row: Record<string, any>, modality: 'speech' | 'text'): ShardRow {
  const demographics = { age_band: row.age_band ?? null, gender: row.gender ?? null, variant: row.variant ?? null, accent: row.accent ?? null };
  if (modality === 'text') return { key: row.key, text: row.text, language: row.language, speaker_id: row.speaker_id, ...demographics };
  // The writer names each clip `<key>.wav`; a shard that says otherwise would come out changed.
  if (!(row.audio?.bytes instanceof Uint8Array) || row.audio.path !== `${row.key}.wav`) {
    throw new ShardFormatUnsupportedError(`${path}: record ${row.key} does not hold its audio as {bytes, path: "<key>.wav"}`);
  }
  return {
    key: row.key,
    audio: row.audio.bytes,
    sentence: row.sentence,
    language: row.language,
    speaker_id: row.speaker_id,
    duration: row.duration,
    ...demographics,
  };
}
