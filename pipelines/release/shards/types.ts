export type Split = 'train' | 'dev' | 'test';
export type Modality = 'text' | 'speech';
export type ShardFormat = 'parquet' | 'webdataset';

export interface SpeechRecord {
  key: string;
  /** A complete 16 kHz mono 16-bit PCM WAV file. */
  audio: Uint8Array;
  sentence: string;
  language: string;
  speakerId: string;
  durationSeconds: number;
  ageBand: string | null;
  gender: string | null;
  variant: string | null;
  accent: string | null;
}

export interface TextRecord {
  key: string;
  text: string;
  language: string;
  speakerId: string;
  ageBand: string | null;
  gender: string | null;
  variant: string | null;
  accent: string | null;
}

export interface ShardFile {
  /** Relative to the release dir, e.g. 'data/train-00000-of-00003.parquet'. */
  name: string;
  split: Split;
  /** Hex sha256 of the file's bytes, computed while writing. */
  sha256: string;
  bytes: number;
  records: number;
}

export interface ShardOptions {
  /** Release build dir; shards go in dir/data/. */
  dir: string;
  split: Split;
  modality: Modality;
  format: ShardFormat;
  /**
   * Start a new shard when adding the next record would take the current one past this many
   * bytes (a shard holding a single larger record is the only exception). Default 256 MiB.
   */
  targetBytes?: number;
  /** Parquet only: rows per row group. Default 100 for speech, 10 000 for text. */
  rowGroupSize?: number;
  /**
   * Told of each record once it is in a shard: its key and the shard's number in the split (its
   * name comes with the count, at the end). The writer keeps no list of keys: a release of
   * millions of records would hold them all in memory.
   */
  onRecord?: (key: string, shard: number) => void;
}

export interface ShardProgress {
  records: number;
  /** Bytes written to shard files so far. */
  bytes: number;
}

/** One record as it is stored, with the column names every format shares (snake_case). */
export interface SpeechRow {
  key: string;
  audio: Uint8Array;
  sentence: string;
  language: string;
  speaker_id: string;
  duration: number;
  age_band: string | null;
  gender: string | null;
  variant: string | null;
  accent: string | null;
}

export interface TextRow {
  key: string;
  text: string;
  language: string;
  speaker_id: string;
  age_band: string | null;
  gender: string | null;
  variant: string | null;
  accent: string | null;
}

export type ShardRow = SpeechRow | TextRow;

/** What every format's writer does with one shard file. */
export interface ShardWriter {
  /** Bytes the finished shard would have if `row` were appended now (an upper estimate). */
  sizeWith(row: ShardRow): number;
  append(row: ShardRow): Promise<void>;
  /** Bytes handed to the file so far. */
  readonly bytesWritten: number;
  close(): Promise<{ sha256: string; bytes: number }>;
  /** Stops and deletes the file. */
  discard(): Promise<void>;
}
