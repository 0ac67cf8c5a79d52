import { ascii, type HeaderFacts, viewOf } from './facts.js';
import { AAC_CHANNELS, AAC_MAX_FRAME_SAMPLES, AAC_RATES, aacOutputChannels } from './mpeg.js';

interface Box {
  type: string;
  /** Where the box's contents start and end (cut to the bytes there are). */
  start: number;
  end: number;
}

/** Object types in an esds that carry MP3 rather than AAC. */
const MP3_OBJECT_TYPES = new Set([0x69, 0x6b]);
const MP3_FRAME_SAMPLES = 1152;
const AAC_FRAME_SAMPLES = 1024;

/**
 * M4A/MP4 (ISO BMFF). The decoder decodes every sample its sample table (or, in a fragmented
 * file, its track runs) lists, and with the moov box at the end it decodes them all in one go,
 * so the count of samples there is what bounds it. Only AAC (and MP3) in an `mp4a` entry is
 * taken: that is what phones and Safari record.
 */
export function readMp4(bytes: Uint8Array): HeaderFacts {
  const facts: HeaderFacts = { sampleRates: [] };
  let frames = 0;
  let frameSamples = AAC_FRAME_SAMPLES;
  for (const top of boxes(bytes, 0, bytes.length)) {
    if (top.type === 'moov') {
      for (const trak of children(bytes, top, 'trak')) {
        const track = readSoundTrack(bytes, trak);
        if (track === null) continue;
        if (track.problem !== undefined) facts.problem = track.problem;
        if (track.rate !== undefined) facts.sampleRates.push(track.rate);
        if (track.channels !== undefined) facts.channels = Math.max(facts.channels ?? 0, track.channels);
        if (track.seconds !== undefined) facts.seconds = Math.max(facts.seconds ?? 0, track.seconds);
        frames = Math.max(frames, track.frames);
        if (track.mp3) frameSamples = MP3_FRAME_SAMPLES;
      }
    } else if (top.type === 'moof') {
      for (const traf of children(bytes, top, 'traf')) {
        for (const trun of children(bytes, traf, 'trun')) frames += u32(bytes, trun.start + 4) ?? 0;
      }
    }
  }
  const rate = facts.sampleRates[0];
  if (frames > 0 && rate) {
    facts.seconds = Math.max(facts.seconds ?? 0, (frames * frameSamples) / rate);
    const maxFrameSamples = frameSamples === MP3_FRAME_SAMPLES ? MP3_FRAME_SAMPLES : AAC_MAX_FRAME_SAMPLES;
    facts.samples = frames * maxFrameSamples * aacOutputChannels(facts.channels ?? 1);
  }
  return facts;
}

interface SoundTrack {
  rate?: number;
  channels?: number;
  seconds?: number;
  /** Samples (coded frames) in the sample table. */
  frames: number;
  mp3: boolean;
  problem?: string;
}

function readSoundTrack(bytes: Uint8Array, trak: Box): SoundTrack | null {
  const mdia = child(bytes, trak, 'mdia');
  const hdlr = mdia && child(bytes, mdia, 'hdlr');
  if (!hdlr || ascii(bytes, hdlr.start + 8, 4) !== 'soun') return null;
  const track: SoundTrack = { frames: 0, mp3: false, seconds: mediaSeconds(bytes, child(bytes, mdia, 'mdhd')) };
  const stbl = path(bytes, mdia, ['minf', 'stbl']);
  const sizes = stbl && (child(bytes, stbl, 'stsz') ?? child(bytes, stbl, 'stz2'));
  if (sizes) track.frames = u32(bytes, sizes.start + 8) ?? 0;
  const stsd = stbl && child(bytes, stbl, 'stsd');
  // The sample entries follow the version, flags and entry count.
  const entry = stsd && boxes(bytes, stsd.start + 8, stsd.end).next().value;
  if (!entry) return track;
  if (entry.type !== 'mp4a') {
    return { ...track, problem: `This M4A file holds ${entry.type.trim()} audio, which we do not take; send AAC (M4A), MP3, FLAC, WAV, Ogg or WebM.` };
  }
  return { ...track, ...readMp4aEntry(bytes, entry) };
}

/** An `mp4a` sample entry: channels and rate of its own, and the decoder's truth in the esds. */
function readMp4aEntry(bytes: Uint8Array, entry: Box): Partial<SoundTrack> {
  const version = u16(bytes, entry.start + 8) ?? 0;
  const entryChannels = u16(bytes, entry.start + 16);
  const entryRate = u16(bytes, entry.start + 24);
  // QuickTime sound entries of version 1 and 2 are longer before their child boxes.
  const childrenStart = entry.start + (version === 1 ? 44 : version === 2 ? 64 : 28);
  const inner = { type: 'mp4a', start: childrenStart, end: entry.end };
  const esds = child(bytes, inner, 'esds') ?? path(bytes, inner, ['wave', 'esds']);
  const config = esds ? decoderConfig(bytes, esds) : null;
  if (config && MP3_OBJECT_TYPES.has(config.objectType)) return { rate: entryRate, channels: entryChannels, mp3: true };
  if (!config?.audioSpecificConfig) return { rate: entryRate, channels: entryChannels };
  return readAudioSpecificConfig(config.audioSpecificConfig);
}

/** AudioSpecificConfig (ISO 14496-3 §1.6.2.1): object type, rate, channel configuration. */
function readAudioSpecificConfig(asc: Uint8Array): Partial<SoundTrack> {
  let bit = 0;
  const read = (count: number) => {
    let value = 0;
    for (let i = 0; i < count; i++, bit++) value = value * 2 + (((asc[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1);
    return value;
  };
  if (read(5) === 31) read(6);
  const rateIndex = read(4);
  const rate = rateIndex === 15 ? read(24) : AAC_RATES[rateIndex];
  const channels = AAC_CHANNELS[read(4)];
  if (rate === undefined) return { problem: 'The M4A file states a sample rate no recorder uses; record again.' };
  if (!channels) return { rate, problem: 'The M4A file uses a channel layout we do not read; record again in mono or stereo.' };
  return { rate, channels };
}

/**
 * The esds box's descriptors: an ES descriptor (tag 3) holding a decoder configuration (tag 4,
 * with the object type) holding the decoder-specific info (tag 5, the AudioSpecificConfig).
 */
function decoderConfig(bytes: Uint8Array, esds: Box): { objectType: number; audioSpecificConfig?: Uint8Array } {
  let objectType = 0;
  let position = esds.start + 4;
  while (position + 2 <= esds.end) {
    const tag = bytes[position++]!;
    let length = 0;
    for (let i = 0; i < 4 && position < esds.end; i++) {
      const byte = bytes[position++]!;
      length = length * 128 + (byte & 0x7f);
      if (!(byte & 0x80)) break;
    }
    if (tag === 3) {
      // ES_ID, then flags for optional fields before the nested descriptors.
      const flags = bytes[position + 2] ?? 0;
      position += 3;
      if (flags & 0x80) position += 2;
      if (flags & 0x40) position += 1 + (bytes[position] ?? 0);
      if (flags & 0x20) position += 2;
    } else if (tag === 4) {
      objectType = bytes[position] ?? 0;
      position += 13;
    } else if (tag === 5) {
      return { objectType, audioSpecificConfig: bytes.subarray(position, Math.min(position + length, esds.end)) };
    } else {
      position += length;
    }
  }
  return { objectType };
}

function mediaSeconds(bytes: Uint8Array, mdhd: Box | undefined): number | undefined {
  if (!mdhd) return undefined;
  const long = bytes[mdhd.start] === 1;
  const timescale = u32(bytes, mdhd.start + (long ? 20 : 12));
  const high = long ? u32(bytes, mdhd.start + 24) : 0;
  const low = u32(bytes, mdhd.start + (long ? 28 : 16));
  if (!timescale || high === undefined || low === undefined) return undefined;
  // All ones: the duration is not known.
  if (low === 0xffffffff && (!long || high === 0xffffffff)) return undefined;
  return (high * 2 ** 32 + low) / timescale;
}

/** The boxes between `from` and `to`; a box cut short is read as far as it goes. */
function* boxes(bytes: Uint8Array, from: number, to: number): Generator<Box> {
  for (let position = from; position + 8 <= to; ) {
    let size = u32(bytes, position)!;
    let start = position + 8;
    if (size === 1) {
      if (position + 16 > to) return;
      size = u32(bytes, position + 8)! * 2 ** 32 + u32(bytes, position + 12)!;
      start = position + 16;
    } else if (size === 0) {
      size = to - position;
    }
    if (size < start - position) return;
    yield { type: ascii(bytes, position + 4, 4), start, end: Math.min(position + size, to) };
    position += size;
  }
}

function* children(bytes: Uint8Array, parent: Box, type: string): Generator<Box> {
  for (const box of boxes(bytes, parent.start, parent.end)) if (box.type === type) yield box;
}

const child = (bytes: Uint8Array, parent: Box, type: string): Box | undefined => children(bytes, parent, type).next().value;

function path(bytes: Uint8Array, from: Box, types: string[]): Box | undefined {
  let box: Box | undefined = from;
  for (const type of types) box = box && child(bytes, box, type);
  return box;
}

const u32 = (bytes: Uint8Array, at: number) => (at + 4 <= bytes.length ? viewOf(bytes).getUint32(at) : undefined);
const u16 = (bytes: Uint8Array, at: number) => (at + 2 <= bytes.length ? viewOf(bytes).getUint16(at) : undefined);
