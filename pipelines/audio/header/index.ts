import { MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, sampleBudget } from '../limits.js';
import { ascii, type HeaderFacts } from './facts.js';
import { readFlac } from './flac.js';
import { readMatroska } from './matroska.js';
import { readMp4 } from './mp4.js';
import { readAdts, readMp3 } from './mpeg.js';
import { readOgg } from './ogg.js';
import { readWav } from './wav.js';

export type { HeaderFacts } from './facts.js';

export type HeaderVerdict =
  | { ok: true; facts: HeaderFacts }
  | { ok: false; problem: 'AudioUndecodable' | 'AudioTooLong'; reason: string };

/**
 * What the headers of a file of this type (as `detectAudioType` names it) state, read without
 * decoding; null for a type we do not take. Other types audio-type knows (tracker modules, DSD,
 * AIFF, …) are refused: nobody records speech in them and their headers are not read here.
 */
export function readHeader(bytes: Uint8Array, type: string): HeaderFacts | null {
  switch (type) {
    case 'wav':
      return readWav(bytes);
    case 'flac':
      // audio-type calls FLAC in Ogg `flac` too.
      return ascii(bytes, 0, 4) === 'OggS' ? readOgg(bytes) : readFlac(bytes);
    case 'opus':
    case 'oga':
      return readOgg(bytes);
    case 'webm':
    case 'mkv':
      return readMatroska(bytes);
    case 'mp3':
      return readMp3(bytes);
    case 'aac':
      return readAdts(bytes);
    case 'm4a':
      return readMp4(bytes);
    default:
      return null;
  }
}

/**
 * Refuses what the headers state before anything is decoded: a sample rate or channel count
 * no recorder makes, a duration past the clip limit, or more audio than a clip may decode to.
 * `maxSeconds` is the limit decoding uses (the clip limit plus its headroom).
 */
export function checkHeader(facts: HeaderFacts, { maxSeconds }: { maxSeconds: number }): HeaderVerdict {
  const refuse = (reason: string, problem: 'AudioUndecodable' | 'AudioTooLong' = 'AudioUndecodable') =>
    ({ ok: false, problem, reason }) as const;
  if (facts.problem !== undefined) return refuse(facts.problem);
  const rate = facts.sampleRates.find((r) => !(r >= MIN_SAMPLE_RATE && r <= MAX_SAMPLE_RATE));
  if (rate !== undefined) return refuse(`The file says its sample rate is ${rate} Hz, which no recorder uses; record again.`);
  if (facts.channels === 0) return refuse('The file says it has no sound channels; record again.');
  if (facts.channels !== undefined && facts.channels > MAX_CHANNELS) {
    return refuse(`The file says it has ${facts.channels} channels; record again in mono or stereo.`);
  }
  if (facts.seconds !== undefined && facts.seconds > maxSeconds) {
    return refuse(`The file says it lasts ${facts.seconds.toFixed(1)} s, longer than ${maxSeconds} s; read just the sentence.`, 'AudioTooLong');
  }
  if (facts.samples !== undefined && facts.samples > sampleBudget(maxSeconds)) return refuse(tooMuchAudio(maxSeconds));
  return { ok: true, facts };
}

/** `readHeader` and `checkHeader` together: the probe `decodeClip` runs before decoding. */
export function probeHeader(bytes: Uint8Array, type: string, limits: { maxSeconds: number }): HeaderVerdict | null {
  const facts = readHeader(bytes, type);
  return facts === null ? null : checkHeader(facts, limits);
}

export const tooMuchAudio = (maxSeconds: number) =>
  `The file holds more audio than a ${maxSeconds} s recording can; record again in mono or stereo, at 48 kHz or less.`;
