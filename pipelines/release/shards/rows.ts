import { InvalidShardKeyError, InvalidShardRecordError } from './errors.js';
import type { Modality, ShardRow, SpeechRecord, SpeechRow, TextRecord, TextRow } from './types.js';

/** Canonical ULID: 26 upper-case Crockford base-32 characters, first one at most 7. */
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

export function isShardKey(key: string): boolean {
  return ULID.test(key);
}

/** The sample rate the node normalises speech to, declared to readers in the shard metadata. */
export const SAMPLE_RATE = 16_000;

/**
 * Checks a record and renames its fields to the snake_case columns every format shares.
 * Throws rather than writing a shard that a trainer would trip over later.
 */
export function toShardRow(record: SpeechRecord | TextRecord, modality: Modality): ShardRow {
  const key = String(record.key);
  if (!isShardKey(key)) throw new InvalidShardKeyError(key);
  return modality === 'speech' ? speechRow(key, record) : textRow(key, record);
}

function speechRow(key: string, record: SpeechRecord | TextRecord): SpeechRow {
  if (!('audio' in record) || !(record.audio instanceof Uint8Array)) {
    throw new InvalidShardRecordError(key, 'a speech shard needs audio bytes');
  }
  const problem = wavProblem(record.audio);
  if (problem) throw new InvalidShardRecordError(key, problem);
  if (!Number.isFinite(record.durationSeconds) || record.durationSeconds < 0) {
    throw new InvalidShardRecordError(key, `duration ${record.durationSeconds} is not a non-negative number`);
  }
  return {
    key,
    audio: record.audio,
    sentence: requiredText(key, 'sentence', record.sentence),
    language: requiredText(key, 'language', record.language),
    speaker_id: requiredText(key, 'speakerId', record.speakerId),
    duration: record.durationSeconds,
    age_band: optionalText(key, 'ageBand', record.ageBand),
    gender: optionalText(key, 'gender', record.gender),
    variant: optionalText(key, 'variant', record.variant),
    accent: optionalText(key, 'accent', record.accent),
  };
}

function textRow(key: string, record: SpeechRecord | TextRecord): TextRow {
  if (!('text' in record)) throw new InvalidShardRecordError(key, 'a text shard needs text');
  return {
    key,
    text: requiredText(key, 'text', record.text),
    language: requiredText(key, 'language', record.language),
    speaker_id: requiredText(key, 'speakerId', record.speakerId),
    age_band: optionalText(key, 'ageBand', record.ageBand),
    gender: optionalText(key, 'gender', record.gender),
    variant: optionalText(key, 'variant', record.variant),
    accent: optionalText(key, 'accent', record.accent),
  };
}

export function isSpeechRow(row: ShardRow): row is SpeechRow {
  return 'audio' in row;
}

/**
 * The row's fields other than its key and payload (audio or text), as WebDataset's `.json`
 * member. `duration` always carries a decimal point: Python reads `5` as an int and `5.0` as a
 * float, and Hugging Face's WebDataset loader refuses shards whose first records disagree.
 */
export function attributesJson(row: ShardRow): string {
  const fields = isSpeechRow(row)
    ? Object.entries(row).filter(([name]) => name !== 'key' && name !== 'audio')
    : Object.entries(row).filter(([name]) => name !== 'key' && name !== 'text');
  const encode = (name: string, value: unknown) =>
    name === 'duration' && Number.isInteger(value) ? (value as number).toFixed(1) : JSON.stringify(value);
  return `{${fields.map(([name, value]) => `${JSON.stringify(name)}:${encode(name, value)}`).join(',')}}`;
}

function requiredText(key: string, field: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidShardRecordError(key, `${field} must be a string`);
  return value;
}

function optionalText(key: string, field: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return requiredText(key, field, value);
}

/**
 * Why `bytes` is not a 16 kHz mono 16-bit PCM WAV file, or null if it is. Reads only the RIFF
 * header and chunk headers, so it costs nothing next to writing the bytes.
 */
export function wavProblem(bytes: Uint8Array): string | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.byteLength < 44 || ascii(0) !== 'RIFF' || ascii(8) !== 'WAVE') return 'audio is not a RIFF/WAVE file';
  let offset = 12;
  let format = false;
  while (offset + 8 <= bytes.byteLength) {
    const id = ascii(offset);
    const size = view.getUint32(offset + 4, true);
    if (id === 'fmt ') {
      if (size < 16 || offset + 24 > bytes.byteLength) return 'audio has a truncated fmt chunk';
      const audioFormat = view.getUint16(offset + 8, true);
      const channels = view.getUint16(offset + 10, true);
      const rate = view.getUint32(offset + 12, true);
      const bits = view.getUint16(offset + 22, true);
      if (audioFormat !== 1 || channels !== 1 || rate !== SAMPLE_RATE || bits !== 16) {
        return `audio is ${channels}-channel ${rate} Hz ${bits}-bit (format ${audioFormat}), not mono ${SAMPLE_RATE} Hz 16-bit PCM`;
      }
      format = true;
    } else if (id === 'data') {
      if (!format) return 'audio has no fmt chunk before its data';
      if (offset + 8 + size > bytes.byteLength) return 'audio data chunk is truncated';
      return null;
    }
    offset += 8 + size + (size % 2);
  }
  return 'audio has no data chunk';
}
