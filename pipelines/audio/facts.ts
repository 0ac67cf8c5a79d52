import { detectSpeech, FRAME_SECONDS, frameLevels } from './vad.js';

/** What the node knows about a clip after decoding it; stored with every speech sample. */
export interface AudioFacts {
  format: string;
  originalSampleRate: number;
  originalChannels: number;
  durationSeconds: number;
  peakDbfs: number;
  rmsDbfs: number;
  /** Share of samples at full scale in the original decoded signal. */
  clippingRatio: number;
  /** Share of 20 ms frames that carry speech. */
  speechRatio: number;
  speechSeconds: number;
  /** Speech level over noise level, in dB; capped at 60 for digitally clean recordings. */
  snrDb: number;
  leadingSilenceSeconds: number;
  trailingSilenceSeconds: number;
}

const SNR_CAP_DB = 60;
const dbfs = (amplitudeSquared: number) =>
  amplitudeSquared > 0 ? Math.max(-120, 10 * Math.log10(amplitudeSquared)) : -120;
const round = (value: number, digits = 3) => Number(value.toFixed(digits));

function meanPowerDb(levels: Float64Array, mask: Uint8Array, wanted: number): number | null {
  let sum = 0;
  let count = 0;
  for (let f = 0; f < levels.length; f++) {
    if (mask[f] !== wanted) continue;
    sum += 10 ** (levels[f]! / 10);
    count++;
  }
  return count === 0 ? null : dbfs(sum / count);
}

export function audioFacts(
  mono: Float32Array,
  sampleRate: number,
  original: { format: string; sampleRate: number; channels: number; clippingRatio: number },
): AudioFacts {
  let peak = 0;
  let energy = 0;
  for (let i = 0; i < mono.length; i++) {
    const v = mono[i]!;
    const a = v < 0 ? -v : v;
    if (a > peak) peak = a;
    energy += v * v;
  }
  const levels = frameLevels(mono, sampleRate);
  const { speech, noiseDb } = detectSpeech(levels);
  const frames = speech.length;
  const first = speech.indexOf(1);
  const last = speech.lastIndexOf(1);
  const speechFrames = speech.reduce((n, v) => n + v, 0);
  const durationSeconds = mono.length / sampleRate;

  const speechPower = meanPowerDb(levels.db, speech, 1);
  const noisePower = meanPowerDb(levels.db, speech, 0) ?? noiseDb;
  const snrDb = speechPower === null ? 0 : Math.min(SNR_CAP_DB, speechPower - noisePower);

  return {
    format: original.format,
    originalSampleRate: original.sampleRate,
    originalChannels: original.channels,
    durationSeconds: round(durationSeconds),
    peakDbfs: round(dbfs(peak * peak), 2),
    rmsDbfs: round(dbfs(mono.length ? energy / mono.length : 0), 2),
    clippingRatio: round(original.clippingRatio, 6),
    speechRatio: round(frames ? speechFrames / frames : 0),
    speechSeconds: round(speechFrames * FRAME_SECONDS),
    snrDb: round(snrDb, 1),
    leadingSilenceSeconds: round(first < 0 ? durationSeconds : first * FRAME_SECONDS),
    trailingSilenceSeconds: round(last < 0 ? durationSeconds : Math.max(0, durationSeconds - (last + 1) * FRAME_SECONDS)),
  };
}
