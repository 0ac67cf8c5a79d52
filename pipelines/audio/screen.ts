import type { AudioFacts } from './facts.js';

/** Stable codes: the API answers with them and the app translates them (`errors:<code>`). */
export const AUDIO_PROBLEMS = [
  'AudioUndecodable',
  'AudioTooShort',
  'AudioTooLong',
  'AudioSilent',
  'AudioClipped',
] as const;
export type AudioProblem = (typeof AUDIO_PROBLEMS)[number];

/** Per-node thresholds (node config `audio`). */
export interface ScreeningRules {
  minSpeechSeconds: number;
  maxSeconds: number;
  /** A clip whose loudest sample is below this is silent. */
  silentPeakDbfs: number;
  /** Above this share of full-scale samples a clip is refused as clipped. */
  maxClippingRatio: number;
  /** Below this SNR a clip is kept but marked for validators. */
  lowSnrDb: number;
  /** Above this share of non-speech a clip is kept but marked for validators. */
  maxSilenceRatio: number;
}

export const DEFAULT_SCREENING: ScreeningRules = {
  minSpeechSeconds: 1,
  maxSeconds: 15,
  silentPeakDbfs: -45,
  maxClippingRatio: 0.01,
  lowSnrDb: 15,
  maxSilenceRatio: 0.6,
};

export type Screening =
  | { ok: true; flags: string[] }
  | { ok: false; problem: AudioProblem; reason: string };

/**
 * Refuses clips no validator should have to hear, each with a reason a person can act on, and
 * marks borderline ones so validators see why they might be doubtful. Order matters: the most
 * fundamental problem is the one reported.
 */
export function screen(facts: AudioFacts, rules: ScreeningRules): Screening {
  if (facts.durationSeconds > rules.maxSeconds) {
    return refuse('AudioTooLong', `The recording is ${facts.durationSeconds.toFixed(1)} s long; keep it under ${rules.maxSeconds} s — read just the sentence.`);
  }
  if (facts.durationSeconds === 0) {
    return refuse('AudioTooShort', 'The recording holds no sound at all; record again.');
  }
  const silent = refuse('AudioSilent', 'We could not hear any speech; check the microphone and speak closer to it.');
  if (facts.peakDbfs < rules.silentPeakDbfs) return silent;
  if (facts.clippingRatio > rules.maxClippingRatio) {
    return refuse('AudioClipped', 'The recording is distorted because it is too loud; move back from the microphone or speak more softly.');
  }
  if (facts.speechSeconds === 0) return silent;
  if (facts.speechSeconds < rules.minSpeechSeconds) {
    return refuse('AudioTooShort', `We heard only ${facts.speechSeconds.toFixed(1)} s of speech; read the whole sentence.`);
  }
  const flags: string[] = [];
  if (facts.snrDb < rules.lowSnrDb) flags.push('low-snr');
  if (1 - facts.speechRatio > rules.maxSilenceRatio) flags.push('much-silence');
  if (facts.clippingRatio > rules.maxClippingRatio / 10) flags.push('some-clipping');
  if (facts.originalSampleRate < 16000) flags.push('narrowband');
  return { ok: true, flags };
}

function refuse(problem: AudioProblem, reason: string): Screening {
  return { ok: false, problem, reason };
}
