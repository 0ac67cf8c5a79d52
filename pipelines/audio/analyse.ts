import { createHash } from 'node:crypto';
import type { SpeechScoring } from '../language/speech-model.js';
import { decodeClip } from './decode.js';
import { audioFacts, type AudioFacts } from './facts.js';
import { clippingRatio, downmix, encodeWav } from './pcm.js';
import { resample } from './resample.js';
import { screen, type AudioProblem, type ScreeningRules } from './screen.js';

export const TARGET_SAMPLE_RATE = 16_000;
/** Recorded with every sample, so a release can say which analysis produced its facts. */
export const AUDIO_PIPELINE_VERSION = 'tributary-audio@1';

export type ClipAnalysis =
  | {
      ok: true;
      facts: AudioFacts;
      flags: string[];
      normalized: Uint8Array;
      sha256: string;
      pipeline: string;
      /** The spoken-language model's view, when the node has one (`scoreSpeech`). */
      language?: SpeechScoring;
    }
  | { ok: false; problem: AudioProblem; reason: string; facts?: AudioFacts };

/** A decoded clip as the node keeps and measures it: mono at `TARGET_SAMPLE_RATE`. */
export function toTargetMono(clip: { channels: Float32Array[]; sampleRate: number }): Float32Array {
  return resample(downmix(clip.channels), clip.sampleRate, TARGET_SAMPLE_RATE);
}

/**
 * The speech-intake stage: decode, keep the clipping measure from the original signal, downmix
 * to mono, resample to 16 kHz, measure, screen, and encode the normalised clip. A clip that
 * passes is scored by `scoreSpeech` (spoken-language ID) when given.
 */
export async function analyseClip(
  bytes: Uint8Array,
  rules: ScreeningRules,
  scoreSpeech?: (mono: Float32Array, sampleRate: number) => Promise<SpeechScoring>,
): Promise<ClipAnalysis> {
  // Decode a little past the limit so the refusal can state the real problem.
  const decoded = await decodeClip(bytes, { maxSeconds: rules.maxSeconds + 1 });
  if (!decoded.ok) return decoded;
  const { clip } = decoded;
  const mono = toTargetMono(clip);
  const facts = audioFacts(mono, TARGET_SAMPLE_RATE, {
    format: clip.format,
    sampleRate: clip.sampleRate,
    channels: clip.channels.length,
    clippingRatio: clippingRatio(clip.channels),
  });
  const verdict = screen(facts, rules);
  if (!verdict.ok) return { ...verdict, facts };
  return {
    ok: true,
    facts,
    flags: verdict.flags,
    normalized: encodeWav(mono, TARGET_SAMPLE_RATE),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    pipeline: AUDIO_PIPELINE_VERSION,
    ...(scoreSpeech ? { language: await scoreSpeech(mono, TARGET_SAMPLE_RATE) } : {}),
  };
}
