import { decodeChunked } from 'audio-decode';
import audioType from 'audio-type';
import { decodeWebmOpus } from './webm-opus.js';

export interface DecodedClip {
  channels: Float32Array[];
  sampleRate: number;
  format: string;
}

export type DecodeOutcome =
  | { ok: true; clip: DecodedClip }
  | { ok: false; problem: 'AudioUndecodable' | 'AudioTooLong'; reason: string };

const CHUNK_BYTES = 64 * 1024;

async function* chunksOf(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) yield bytes.subarray(offset, offset + CHUNK_BYTES);
}

const isRiffWave = (b: Uint8Array) =>
  b.length >= 12 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WAVE';

/** The container family from the first bytes, or undefined for something that is not audio. */
export function detectAudioType(bytes: Uint8Array): string | undefined {
  // audio-type reads `bytes.buffer` from its start, ignoring the view's offset (a pooled Buffer,
  // as multer gives for small uploads, starts mid-buffer): give it bytes of their own.
  const head = bytes.byteOffset === 0 ? bytes : bytes.slice(0, CHUNK_BYTES);
  // audio-type wants some sample data after a WAV header; an empty WAV is still a WAV.
  return audioType(head) ?? (isRiffWave(bytes) ? 'wav' : undefined);
}

/** Rates recorders and files actually use; anything else is a damaged or hostile header. */
const MIN_SAMPLE_RATE = 8_000;
const MAX_SAMPLE_RATE = 192_000;

export const UNRECOGNISED_REASON =
  'This is not an audio file we can read; record again or send WAV, FLAC, Ogg, WebM, MP3 or M4A.';

const undecodable = (reason: string): DecodeOutcome => ({ ok: false, problem: 'AudioUndecodable', reason });
const tooLong = (maxSeconds: number): DecodeOutcome => ({
  ok: false,
  problem: 'AudioTooLong',
  reason: `The recording is longer than ${maxSeconds} s; read just the sentence.`,
});

/**
 * Decodes what browsers record and common files, in-process (WebAssembly). Decoding is
 * incremental and stops as soon as the audio passes `maxSeconds`, so a small file that claims
 * hours of audio (a lying header, a decompression bomb) never allocates more than that.
 */
export async function decodeClip(bytes: Uint8Array, options: { maxSeconds: number }): Promise<DecodeOutcome> {
  if (bytes.length === 0) return undecodable('The file is empty; record again.');
  const type = detectAudioType(bytes);
  if (!type) return undecodable(UNRECOGNISED_REASON);
  try {
    if (type === 'webm') {
      const fast = await decodeWebmOpus(bytes, options);
      if (fast) return { ok: true, clip: { ...fast, format: 'webm/opus' } };
    }
    const channels: Float32Array[][] = [];
    let sampleRate = 0;
    let length = 0;
    for await (const part of decodeChunked(chunksOf(bytes), type as Parameters<typeof decodeChunked>[1])) {
      if (!part.channelData.length || !part.channelData[0]!.length) continue;
      sampleRate ||= part.sampleRate;
      part.channelData.forEach((data, i) => (channels[i] ??= []).push(data));
      length += part.channelData[0]!.length;
      if (length > options.maxSeconds * sampleRate) return tooLong(options.maxSeconds);
    }
    if (sampleRate && (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE)) {
      return undecodable(`The file says its sample rate is ${sampleRate} Hz, which no recorder uses; record again.`);
    }
    const joined = channels.map((parts) => {
      const all = new Float32Array(length);
      let offset = 0;
      for (const p of parts) {
        all.set(p.subarray(0, length - offset), offset);
        offset += p.length;
      }
      return all;
    });
    return { ok: true, clip: { channels: joined.length ? joined : [new Float32Array(0)], sampleRate: sampleRate || 16000, format: type } };
  } catch (error) {
    if ((error as Error).name === 'AudioTooLongError') return tooLong(options.maxSeconds);
    return undecodable(`The ${type} file could not be decoded (${(error as Error).message}); record again.`);
  }
}
