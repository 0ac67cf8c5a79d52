import { decodeChunked } from 'audio-decode';
import audioType from 'audio-type';
import { probeHeader, tooMuchAudio } from './header/index.js';
import { MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, sampleBudget } from './limits.js';
import { decodeWebmOpus } from './webm-opus.js';

export interface DecodedClip {
  channels: Float32Array[];
  sampleRate: number;
  format: string;
}

export type DecodeOutcome =
  | { ok: true; clip: DecodedClip }
  | { ok: false; problem: 'AudioUndecodable' | 'AudioTooLong'; reason: string };

const HEAD_BYTES = 64 * 1024;

/**
 * How much the decoder is handed at a time. One call decodes all it is handed at once, and a
 * kilobyte of Vorbis (Ogg) or ADTS AAC silence decodes to hundreds of kilobytes, so those get
 * small pieces and the cap below stops a bomb after little more than the budget. The others get
 * large ones: what FLAC, Opus, MP4 and WAV decode to is counted from their frames and tables
 * before decoding (./header), MP3 cannot be that dense, and several demuxers re-copy all they
 * hold on every call until a header is complete, which small pieces would make quadratic.
 */
const chunkBytes = (type: string) => (type === 'oga' || type === 'aac' ? 1024 : 64 * 1024);

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

const isRiffWave = (b: Uint8Array) =>
  b.length >= 12 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WAVE';

/** The container family from the first bytes, or undefined for something that is not audio. */
export function detectAudioType(bytes: Uint8Array): string | undefined {
  // audio-type reads `bytes.buffer` from its start, ignoring the view's offset (a pooled Buffer,
  // as multer gives for small uploads, starts mid-buffer): give it bytes of their own.
  const head = bytes.byteOffset === 0 ? bytes : bytes.slice(0, HEAD_BYTES);
  // audio-type wants some sample data after a WAV header; an empty WAV is still a WAV.
  return audioType(head) ?? (isRiffWave(bytes) ? 'wav' : undefined);
}

export const UNRECOGNISED_REASON =
  'This is not an audio file we can read; record again or send WAV, FLAC, Ogg, WebM, MP3 or M4A.';

const undecodable = (reason: string): DecodeOutcome => ({ ok: false, problem: 'AudioUndecodable', reason });
const tooLong = (maxSeconds: number): DecodeOutcome => ({
  ok: false,
  problem: 'AudioTooLong',
  reason: `The recording is longer than ${maxSeconds} s; read just the sentence.`,
});

const unusualRate = (rate: number) =>
  undecodable(`The file says its sample rate is ${rate} Hz, which no recorder uses; record again.`);

/**
 * Decodes what browsers record and common files, in-process (WebAssembly). First the headers
 * are read (./header) and a file whose headers state an absurd rate, channel count or length is
 * refused without decoding. Then decoding is incremental and stops as soon as the audio passes
 * `maxSeconds`, or its samples pass what `maxSeconds` allows at the highest accepted rate
 * (`sampleBudget`), whatever rate the decoder reports: a small file that claims hours of audio
 * (a lying header, a decompression bomb) never allocates much more than that.
 */
export async function decodeClip(bytes: Uint8Array, options: { maxSeconds: number }): Promise<DecodeOutcome> {
  if (bytes.length === 0) return undecodable('The file is empty; record again.');
  const type = detectAudioType(bytes);
  if (!type) return undecodable(UNRECOGNISED_REASON);
  try {
    const header = probeHeader(bytes, type, options);
    if (header === null) return undecodable(UNRECOGNISED_REASON);
    if (!header.ok) return header;
    if (type === 'webm' || type === 'mkv') {
      const fast = await decodeWebmOpus(bytes, options);
      if (fast) return { ok: true, clip: { ...fast, format: 'webm/opus' } };
    }
    const budget = sampleBudget(options.maxSeconds);
    const channels: Float32Array[][] = [];
    let sampleRate = 0;
    let length = 0;
    let samples = 0;
    for await (const part of decodeChunked(chunksOf(bytes, chunkBytes(type)), type as Parameters<typeof decodeChunked>[1])) {
      if (!part.channelData.length || !part.channelData[0]!.length) continue;
      // Checked on every part: a FLAC frame or a chained Ogg stream may change them part-way.
      const { channelData, sampleRate: partRate } = part;
      if (channelData.length > MAX_CHANNELS) return undecodable(`The file has ${channelData.length} channels; record again in mono or stereo.`);
      if (partRate && (partRate < MIN_SAMPLE_RATE || partRate > MAX_SAMPLE_RATE)) return unusualRate(partRate);
      sampleRate ||= partRate;
      channelData.forEach((data, i) => (channels[i] ??= []).push(data));
      length += channelData[0]!.length;
      samples += channelData.length * channelData[0]!.length;
      if (length > options.maxSeconds * sampleRate) return tooLong(options.maxSeconds);
      // The hard cap: counted in samples, so a rate the decoder gets wrong cannot stretch it.
      if (samples > budget) return undecodable(tooMuchAudio(options.maxSeconds));
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
