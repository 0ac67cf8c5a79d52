import { EbmlReader, type ElementHeader, ID, isMatroska, StopReading } from '../webm-opus.js';
import type { HeaderFacts } from './facts.js';

const TIMECODE_SCALE = 0x2ad7b1;
const DURATION = 0x4489;
const SAMPLING_FREQUENCY = 0xb5;
const TRACK_TYPE_AUDIO = 2;
const DEFAULT_TIMECODE_SCALE = 1_000_000;
/** Matroska's defaults when a track leaves them out. */
const DEFAULT_RATE = 8000;
const DEFAULT_CHANNELS = 1;

/**
 * What browsers record into WebM: Opus, which the fast path (../webm-opus.ts) counts packet by
 * packet, and PCM. Other codecs are refused rather than decoded: their blocks are not counted
 * here, and a few bytes of Vorbis, FLAC or AAC can decode to far more audio than they look.
 */
const ACCEPTED_CODECS = [/^A_OPUS$/, /^A_PCM\//];

/**
 * WebM/Matroska: the segment's Info states the duration (absent in what MediaRecorder writes),
 * and each audio track its rate and channels.
 */
export function readMatroska(bytes: Uint8Array): HeaderFacts {
  const reader = new EbmlReader(bytes);
  const facts: HeaderFacts = { sampleRates: [] };
  if (!isMatroska(reader)) return facts;
  try {
    const segment = reader.findTopLevel(ID.Segment);
    const end = Math.min(segment.end ?? bytes.length, bytes.length);
    for (let position = segment.start; position < end; ) {
      const element = reader.header(position);
      if (element.id === ID.Info) readInfo(reader, element, facts);
      else if (element.id === ID.Tracks) readTracks(reader, element, facts);
      position = element.id === ID.Cluster ? reader.skipCluster(element) : reader.requireEnd(element);
    }
  } catch (error) {
    // Cut short or damaged: keep what was read; the decoder stops at the same place.
    if (!(error instanceof StopReading)) throw error;
  }
  return facts;
}

function readInfo(reader: EbmlReader, info: ElementHeader, facts: HeaderFacts): void {
  let scale = DEFAULT_TIMECODE_SCALE;
  let duration: number | undefined;
  for (const field of reader.children(info)) {
    if (field.id === TIMECODE_SCALE) scale = reader.uint(field);
    else if (field.id === DURATION) duration = reader.float(field);
  }
  if (duration !== undefined) facts.seconds = Math.max(facts.seconds ?? 0, (duration * scale) / 1e9);
}

function readTracks(reader: EbmlReader, tracks: ElementHeader, facts: HeaderFacts): void {
  for (const entry of reader.children(tracks)) {
    if (entry.id !== ID.TrackEntry) continue;
    let type = 0;
    let number = 0;
    let codec = '';
    let rate = DEFAULT_RATE;
    let channels = DEFAULT_CHANNELS;
    for (const field of reader.children(entry)) {
      if (field.id === ID.TrackType) type = reader.uint(field);
      else if (field.id === ID.TrackNumber) number = reader.uint(field);
      else if (field.id === ID.CodecID) codec = reader.string(field);
      else if (field.id === ID.Audio) {
        for (const setting of reader.children(field)) {
          if (setting.id === SAMPLING_FREQUENCY) rate = reader.float(setting);
          else if (setting.id === ID.AudioChannels) channels = reader.uint(setting);
        }
      }
    }
    if (type !== TRACK_TYPE_AUDIO && !(type === 0 && codec.startsWith('A_'))) continue;
    if (!ACCEPTED_CODECS.some((accepted) => accepted.test(codec))) {
      facts.problem = `This WebM file holds ${codec || 'unnamed'} audio, which we do not take; record again in the app, or send WebM with Opus, Ogg, FLAC, WAV, MP3 or M4A.`;
    } else if (number === 0) {
      // The Opus fast path passes over such a track, and the general decoder would not count it.
      facts.problem = 'The WebM file has an audio track without a number; record again.';
    }
    facts.sampleRates.push(rate);
    facts.channels = Math.max(facts.channels ?? 0, channels);
  }
}
