import { ascii, type HeaderFacts, skipId3, viewOf } from './facts.js';

// Field values of the frame header's version, layer and channel-mode bits.
const MPEG_1 = 3;
const VERSION_RESERVED = 1;
const LAYER_I = 3;
const LAYER_III = 1;
const MONO = 3;

const MP3_RATES: Record<number, readonly number[]> = {
  [MPEG_1]: [44100, 48000, 32000],
  2: [22050, 24000, 16000], // MPEG-2
  0: [11025, 12000, 8000], // MPEG-2.5
};

/**
 * MP3: the first frame header (rates and channels come from fixed tables, so they are always
 * sane) and, where an encoder wrote one, the Xing/Info or VBRI frame that states the length.
 * Without one nothing states it, and the decoder's caps are what hold.
 */
export function readMp3(bytes: Uint8Array): HeaderFacts {
  const at = skipId3(bytes);
  const b1 = bytes[at + 1];
  const b2 = bytes[at + 2];
  const b3 = bytes[at + 3];
  if (bytes[at] !== 0xff || b1 === undefined || b2 === undefined || b3 === undefined || (b1 & 0xe0) !== 0xe0) return { sampleRates: [] };
  const version = (b1 >> 3) & 0x03;
  const layer = (b1 >> 1) & 0x03;
  const rate = MP3_RATES[version]?.[(b2 >> 2) & 0x03];
  if (version === VERSION_RESERVED || layer === 0 || rate === undefined) return { sampleRates: [] };
  const channels = b3 >> 6 === MONO ? 1 : 2;
  const samplesPerFrame = layer === LAYER_I ? 384 : layer === LAYER_III && version !== MPEG_1 ? 576 : 1152;
  const frames = statedFrames(bytes, at, version, channels);
  return {
    sampleRates: [rate],
    channels,
    ...(frames === undefined ? {} : { seconds: (frames * samplesPerFrame) / rate, samples: frames * samplesPerFrame * channels }),
  };
}

/** The frame count of a Xing/Info frame (after the side information) or a VBRI frame. */
function statedFrames(bytes: Uint8Array, frame: number, version: number, channels: number): number | undefined {
  const view = viewOf(bytes);
  const sideInfo = version === MPEG_1 ? (channels === 1 ? 17 : 32) : channels === 1 ? 9 : 17;
  const xing = frame + 4 + sideInfo;
  const tag = ascii(bytes, xing, 4);
  if ((tag === 'Xing' || tag === 'Info') && xing + 12 <= bytes.length && view.getUint32(xing + 4) & 0x01) {
    return view.getUint32(xing + 8);
  }
  const vbri = frame + 36;
  if (ascii(bytes, vbri, 4) === 'VBRI' && vbri + 18 <= bytes.length) return view.getUint32(vbri + 14);
  return undefined;
}

export const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
/** Channel configurations 1–7 (ISO 14496-3 §1.6.3.5); 0 defers to an in-band table we do not read. */
export const AAC_CHANNELS = [0, 1, 2, 3, 4, 5, 6, 8];
/** Output samples per AAC frame per channel, at most: 1024, doubled by SBR (HE-AAC). */
export const AAC_MAX_FRAME_SAMPLES = 2048;
/** Parametric stereo (HE-AAC v2) decodes a mono stream to two channels. */
export const aacOutputChannels = (channels: number) => Math.max(2, channels);

/**
 * AAC in ADTS frames, walked from one to the next: each states its rate, channels and size.
 * The walk stops at the first thing that is not a frame header.
 */
export function readAdts(bytes: Uint8Array): HeaderFacts {
  const rates = new Set<number>();
  let channels = 0;
  let samples = 0;
  let seconds = 0;
  let position = skipId3(bytes);
  while (position + 7 <= bytes.length && bytes[position] === 0xff && (bytes[position + 1]! & 0xf6) === 0xf0) {
    const rateIndex = (bytes[position + 2]! >> 2) & 0x0f;
    const channelConfig = ((bytes[position + 2]! & 0x01) << 2) | (bytes[position + 3]! >> 6);
    const length = ((bytes[position + 3]! & 0x03) << 11) | (bytes[position + 4]! << 3) | (bytes[position + 5]! >> 5);
    const blocks = (bytes[position + 6]! & 0x03) + 1;
    const rate = AAC_RATES[rateIndex];
    if (rate === undefined) return { sampleRates: [...rates], problem: 'The AAC file states a sample rate no recorder uses; record again.' };
    if (channelConfig === 0) return { sampleRates: [...rates], problem: 'The AAC file uses a channel layout we do not read; record again in mono or stereo.' };
    if (length < 7) break;
    rates.add(rate);
    channels = Math.max(channels, AAC_CHANNELS[channelConfig]!);
    samples += blocks * AAC_MAX_FRAME_SAMPLES * aacOutputChannels(AAC_CHANNELS[channelConfig]!);
    seconds += (blocks * 1024) / rate;
    position += length;
  }
  return { sampleRates: [...rates], ...(channels ? { channels, samples, seconds } : {}) };
}
