import { asyncBufferFromFile, parquetMetadataAsync, type FileMetaData } from 'hyparquet';
import { ShardFormatUnsupportedError } from './errors.js';

/**
 * What a Tributary Parquet shard says about itself in its footer (pipelines/release/shards/
 * parquet-schema.ts): `tributary.shard` (format version, split, modality) and `huggingface` (the
 * `datasets` features). Only the footer is read.
 */
export type Feature = { kind: 'value'; dtype: string } | { kind: 'audio'; samplingRate: number };
export type Features = Array<{ name: string; feature: Feature }>;

export interface ShardLayout {
  version: number;
  split: string;
  modality: 'speech' | 'text';
  format: string;
}

export async function readShardFooter(path: string): Promise<{ metadata: FileMetaData; layout: ShardLayout; features: Features }> {
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
  const value = (key: string) => metadata.key_value_metadata?.find((entry) => entry.key === key)?.value;
  const layout = parseJson(path, 'tributary.shard', value('tributary.shard')) as Partial<ShardLayout>;
  if (typeof layout.version !== 'number' || typeof layout.split !== 'string' || (layout.modality !== 'speech' && layout.modality !== 'text')) {
    throw new ShardFormatUnsupportedError(`${path}: the tributary.shard metadata does not say its version, split and modality`);
  }
  const hf = parseJson(path, 'huggingface', value('huggingface')) as { info?: { features?: Record<string, unknown> } };
  return {
    metadata,
    layout: { version: layout.version, split: layout.split, modality: layout.modality, format: String(layout.format) },
    features: toFeatures(path, hf.info?.features ?? {}),
  };
}

function parseJson(path: string, key: string, text: string | undefined): unknown {
  if (text === undefined) throw new ShardFormatUnsupportedError(`${path} has no ${key} metadata: not a Tributary shard`);
  try {
    return JSON.parse(text);
  } catch {
    throw new ShardFormatUnsupportedError(`${path}: the ${key} metadata is not JSON`);
  }
}

/** `datasets` features (`{_type: 'Value', dtype}`, `{_type: 'Audio', sampling_rate}`) in column order. */
function toFeatures(path: string, features: Record<string, unknown>): Features {
  return Object.entries(features).map(([name, raw]) => {
    const feature = raw as { _type?: unknown; dtype?: unknown; sampling_rate?: unknown };
    if (feature._type === 'Value' && typeof feature.dtype === 'string' && /^\w+$/.test(feature.dtype)) {
      return { name, feature: { kind: 'value', dtype: feature.dtype } };
    }
    if (feature._type === 'Audio' && Number.isSafeInteger(feature.sampling_rate)) {
      return { name, feature: { kind: 'audio', samplingRate: feature.sampling_rate as number } };
    }
    throw new ShardFormatUnsupportedError(`${path}: column ${name} has a feature this version cannot describe (${JSON.stringify(raw)})`);
  });
}
