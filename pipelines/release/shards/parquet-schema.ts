import type { ColumnSource, KeyValue, SchemaElement } from 'hyparquet-writer';
import { SAMPLE_RATE } from './rows.js';
import type { Modality, ShardOptions, SpeechRow, TextRow } from './types.js';

/**
 * Bumped when the layout of a shard changes (columns, types, metadata). Readers find it in the
 * `tributary.shard` key-value metadata of every Parquet shard, and the manifest records it.
 */
export const SHARD_FORMAT_VERSION = 1;

/**
 * Every column is OPTIONAL (nullable), although only the demographics may be null: Arrow and
 * Hugging Face `datasets` treat every field as nullable, and `datasets` only takes the Audio
 * feature from the `huggingface` metadata below when the file's Arrow field equals the one the
 * feature would make, nullability included. `toShardRow` guarantees the other values are set.
 */
const utf8 = (name: string): SchemaElement => ({
  name,
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  repetition_type: 'OPTIONAL',
});

const DEMOGRAPHICS = ['age_band', 'gender', 'variant', 'accent'] as const;

export const SPEECH_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: 10 },
  utf8('key'),
  // Hugging Face's Audio feature: struct<bytes: binary, path: string>.
  { name: 'audio', repetition_type: 'OPTIONAL', num_children: 2 },
  { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
  utf8('path'),
  utf8('sentence'),
  utf8('language'),
  utf8('speaker_id'),
  { name: 'duration', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  ...DEMOGRAPHICS.map(utf8),
];

export const TEXT_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: 8 },
  utf8('key'),
  utf8('text'),
  utf8('language'),
  utf8('speaker_id'),
  ...DEMOGRAPHICS.map(utf8),
];

/** Leaf columns per row group: what the footer holds one chunk record for. */
export function leafColumnCount(modality: Modality): number {
  const schema = modality === 'speech' ? SPEECH_SCHEMA : TEXT_SCHEMA;
  return schema.filter((element) => element.type !== undefined).length;
}

const string = { dtype: 'string', _type: 'Value' };

/**
 * `datasets` features, stored under the `huggingface` key as `datasets` itself does, so that
 * `load_dataset('parquet', ...)` decodes `audio` as Audio without needing the dataset card.
 */
function huggingFaceFeatures(modality: Modality): Record<string, unknown> {
  const demographics = Object.fromEntries(DEMOGRAPHICS.map((name) => [name, string]));
  return modality === 'speech'
    ? {
        key: string,
        audio: { sampling_rate: SAMPLE_RATE, _type: 'Audio' },
        sentence: string,
        language: string,
        speaker_id: string,
        duration: { dtype: 'float64', _type: 'Value' },
        ...demographics,
      }
    : { key: string, text: string, language: string, speaker_id: string, ...demographics };
}

export function shardMetadata(options: Pick<ShardOptions, 'split' | 'modality'>): KeyValue[] {
  return [
    {
      key: 'tributary.shard',
      value: JSON.stringify({
        version: SHARD_FORMAT_VERSION,
        split: options.split,
        modality: options.modality,
        format: 'parquet',
      }),
    },
    { key: 'huggingface', value: JSON.stringify({ info: { features: huggingFaceFeatures(options.modality) } }) },
  ];
}

/**
 * One row group's columns. Audio is stored PLAIN and UNCOMPRESSED: every clip is distinct (a
 * dictionary would only cost time), and see parquet-shard-writer.ts for why not Snappy. Min/max
 * statistics of audio bytes would be meaningless, so none are written.
 */
export function speechColumns(rows: SpeechRow[]): ColumnSource[] {
  return [
    { name: 'key', data: rows.map((r) => r.key) },
    {
      name: 'audio',
      data: rows.map((r) => ({ bytes: r.audio, path: `${r.key}.wav` })),
      codec: 'UNCOMPRESSED',
      encoding: 'PLAIN',
      statistics: false,
    },
    { name: 'sentence', data: rows.map((r) => r.sentence) },
    { name: 'language', data: rows.map((r) => r.language) },
    { name: 'speaker_id', data: rows.map((r) => r.speaker_id) },
    { name: 'duration', data: rows.map((r) => r.duration) },
    ...DEMOGRAPHICS.map((name) => ({ name, data: rows.map((r) => r[name]) })),
  ];
}

export function textColumns(rows: TextRow[]): ColumnSource[] {
  return [
    { name: 'key', data: rows.map((r) => r.key) },
    { name: 'text', data: rows.map((r) => r.text) },
    { name: 'language', data: rows.map((r) => r.language) },
    { name: 'speaker_id', data: rows.map((r) => r.speaker_id) },
    ...DEMOGRAPHICS.map((name) => ({ name, data: rows.map((r) => r[name]) })),
  ];
}
