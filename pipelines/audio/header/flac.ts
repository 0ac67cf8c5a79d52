import { ascii, type HeaderFacts, skipId3, viewOf } from './facts.js';

/**
 * Native FLAC: STREAMINFO states rate, channels and length, but the decoder follows each frame's
 * own header, which may state 8 channels and 65 535 samples where STREAMINFO says stereo. So the
 * frames are counted as well (see `flacFrameSamples`).
 */
export function readFlac(bytes: Uint8Array): HeaderFacts {
  const start = skipId3(bytes);
  if (ascii(bytes, start, 4) !== 'fLaC') return { sampleRates: [] };
  let info: HeaderFacts = { sampleRates: [] };
  let position = start + 4;
  for (let last = false; !last; ) {
    if (position + 4 > bytes.length) return info;
    last = (bytes[position]! & 0x80) !== 0;
    const type = bytes[position]! & 0x7f;
    const length = (bytes[position + 1]! << 16) | (bytes[position + 2]! << 8) | bytes[position + 3]!;
    if (type === 0 && length >= 34) info = readStreamInfo(bytes, position + 4);
    position += 4 + length;
  }
  return { ...info, samples: flacFrameSamples(bytes, position) };
}

/** STREAMINFO (RFC 9639 §8.2): what the encoder says about the whole stream. */
export function readStreamInfo(bytes: Uint8Array, at: number): HeaderFacts {
  if (at + 18 > bytes.length) return { sampleRates: [] };
  const b = (i: number) => bytes[at + i]!;
  const rate = (b(10) << 12) | (b(11) << 4) | (b(12) >> 4);
  const channels = ((b(12) >> 1) & 0x07) + 1;
  const totalSamples = (b(13) & 0x0f) * 2 ** 32 + viewOf(bytes).getUint32(at + 14);
  // Zero total samples means "not known" (an encoder that streamed).
  const seconds = totalSamples > 0 && rate > 0 ? totalSamples / rate : undefined;
  return { sampleRates: [rate], channels, seconds };
}

const BLOCK_SIZE_CODE_RESERVED = 0;
const RATE_CODE_INVALID = 15;
const LAST_CHANNEL_ASSIGNMENT = 10;

/**
 * Sample values over all channels that the FLAC frames from `from` on decode to. Every frame
 * header whose CRC-8 holds is counted, wherever it is: the decoder will not decode a frame
 * without one, so this is an upper bound whatever the bytes between headers are (a stray match
 * inside frame data only adds to it).
 */
export function flacFrameSamples(bytes: Uint8Array, from: number): number {
  let samples = 0;
  for (let at = bytes.indexOf(0xff, from); at >= 0 && at + 1 < bytes.length; at = bytes.indexOf(0xff, at + 1)) {
    if ((bytes[at + 1]! & 0xfe) !== 0xf8) continue;
    const frame = frameHeader(bytes, at);
    if (frame !== null) samples += frame.blockSize * frame.channels;
  }
  return samples;
}

/** A frame header (RFC 9639 §9.1) at `at`, or null where there is none. */
function frameHeader(bytes: Uint8Array, at: number): { blockSize: number; channels: number } | null {
  const blockCode = bytes[at + 2]! >> 4;
  const rateCode = bytes[at + 2]! & 0x0f;
  const assignment = bytes[at + 3]! >> 4;
  if (blockCode === BLOCK_SIZE_CODE_RESERVED || rateCode === RATE_CODE_INVALID || assignment > LAST_CHANNEL_ASSIGNMENT) return null;
  // The frame or sample number, coded like UTF-8 in one to seven bytes.
  const lead = bytes[at + 4];
  if (lead === undefined) return null;
  const numberLength = lead < 0x80 ? 1 : lead < 0xc0 ? 0 : Math.clz32(~(lead << 24));
  if (numberLength === 0 || numberLength > 7) return null;
  let position = at + 4 + numberLength;
  let blockSize: number;
  if (blockCode === 6) blockSize = (bytes[position++] ?? 0) + 1;
  else if (blockCode === 7) blockSize = (((bytes[position++] ?? 0) << 8) | (bytes[position++] ?? 0)) + 1;
  else if (blockCode === 1) blockSize = 192;
  else if (blockCode <= 5) blockSize = 576 << (blockCode - 2);
  else blockSize = 256 << (blockCode - 8);
  if (rateCode === 12) position += 1;
  else if (rateCode === 13 || rateCode === 14) position += 2;
  if (position >= bytes.length || crc8(bytes, at, position) !== bytes[position]) return null;
  return { blockSize, channels: assignment < 8 ? assignment + 1 : 2 };
}

const CRC8_TABLE = Uint8Array.from({ length: 256 }, (_, byte) => {
  let crc = byte;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  return crc;
});

function crc8(bytes: Uint8Array, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++) crc = CRC8_TABLE[crc ^ bytes[i]!]!;
  return crc;
}
