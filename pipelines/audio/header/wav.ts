import { ascii, type HeaderFacts, viewOf } from './facts.js';

const FORMAT_EXTENSIBLE = 0xfffe;
const IMA_ADPCM = 0x11;
const MS_ADPCM = 0x02;

/**
 * RIFF/WAVE, walked chunk by chunk as the decoder walks it (no padding byte after odd sizes).
 * What the audio decodes to is computed from the bytes that are there, not from the data
 * chunk's size: a recorder that streams writes 0 or 0xFFFFFFFF there, and a size past the end
 * of the file only means the file was cut short.
 */
export function readWav(bytes: Uint8Array): HeaderFacts {
  const view = viewOf(bytes);
  let fmt: { tag: number; channels: number; rate: number; blockAlign: number; samplesPerBlock: number } | undefined;
  for (let position = 12; position + 8 <= bytes.length; ) {
    const id = ascii(bytes, position, 4);
    const size = view.getUint32(position + 4, true);
    const body = position + 8;
    if (id === 'fmt ' && body + 16 <= bytes.length) {
      let tag = view.getUint16(body, true);
      if (tag === FORMAT_EXTENSIBLE && body + 26 <= bytes.length) tag = view.getUint16(body + 24, true);
      const channels = view.getUint16(body + 2, true);
      const blockAlign = view.getUint16(body + 12, true);
      fmt = { tag, channels, rate: view.getUint32(body + 4, true), blockAlign, samplesPerBlock: 1 };
      if (tag === IMA_ADPCM || tag === MS_ADPCM) fmt.samplesPerBlock = adpcmSamplesPerBlock(view, body, fmt);
    } else if (id === 'data') {
      if (fmt === undefined) return { sampleRates: [], problem: 'The WAV file has no format header before its audio; record again.' };
      const present = size === 0 || size === 0xffffffff ? bytes.length - body : Math.min(size, bytes.length - body);
      return dataFacts(fmt, present);
    }
    position = body + size;
  }
  // The decoder would hold on to every byte waiting for a data chunk that never comes.
  return { sampleRates: fmt ? [fmt.rate] : [], problem: 'The WAV file holds no audio data; record again.' };
}

function dataFacts(fmt: { channels: number; rate: number; blockAlign: number; samplesPerBlock: number }, present: number): HeaderFacts {
  const { channels, rate, blockAlign, samplesPerBlock } = fmt;
  if (blockAlign === 0) return { sampleRates: [rate], channels, problem: 'The WAV header says its samples take no bytes; record again.' };
  // The decoder reads whole blocks (one frame of PCM, or one ADPCM block of many frames).
  const frames = Math.floor(present / blockAlign) * samplesPerBlock;
  return { sampleRates: [rate], channels, seconds: rate > 0 ? frames / rate : undefined, samples: frames * channels };
}

/** As the decoder reads it: from the fmt extension, else what a block of that size holds. */
function adpcmSamplesPerBlock(view: DataView, body: number, fmt: { tag: number; channels: number; blockAlign: number }): number {
  const stated = body + 20 <= view.byteLength && view.getUint16(body + 16, true) >= 2 ? view.getUint16(body + 18, true) : 0;
  if (stated > 0) return stated;
  const { channels, blockAlign } = fmt;
  if (channels === 0) return 0;
  return fmt.tag === IMA_ADPCM ? 1 + (blockAlign / channels - 4) * 2 : 2 + ((blockAlign - 7 * channels) * 2) / channels;
}
