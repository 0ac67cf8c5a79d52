/**
 * What a file's headers state about the audio in it, read without decoding. Where a container
 * states nothing (an MP3 without a Xing frame has no duration) the field is left out, and the
 * decoder's own caps are what hold.
 */
export interface HeaderFacts {
  /** Every sample rate the headers state (a FLAC frame may state its own). */
  sampleRates: number[];
  /** The most channels any header states. */
  channels?: number;
  /** The longest duration any header states, in seconds. */
  seconds?: number;
  /**
   * Sample values over all channels that the decoder will produce, where the frames or sample
   * tables it follows say so (an upper bound where frame sizes vary).
   */
  samples?: number;
  /** Something in the file we do not take, as a reason a person can act on. */
  problem?: string;
}

export const viewOf = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

/** Where the audio starts after any ID3v2 tags (MP3, FLAC and AAC files may carry them). */
export function skipId3(bytes: Uint8Array): number {
  let position = 0;
  while (position + 10 <= bytes.length && ascii(bytes, position, 3) === 'ID3') {
    const size = ((bytes[position + 6]! & 0x7f) << 21) | ((bytes[position + 7]! & 0x7f) << 14) | ((bytes[position + 8]! & 0x7f) << 7) | (bytes[position + 9]! & 0x7f);
    const footer = bytes[position + 5]! & 0x10 ? 10 : 0;
    position += 10 + size + footer;
  }
  return position;
}
