import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { z } from 'zod';
import { logMelSettings, logMelSpectrogram, type LogMelSettings } from '../audio/log-mel.js';
import { resample } from '../audio/resample.js';
import { tensorflow } from './tensorflow.js';

/**
 * Spoken language ID with a TensorFlow.js layers model kept in a local folder: the folder
 * TensorFlow.js saves (`model.json` + weight files), so a model trained elsewhere (Keras, then
 * `tensorflowjs_converter --metadata`) can be used too, if it reads the features below.
 *
 * The model takes `[batch, positions, melBins × context.length]`: the log-mel frames
 * (pipelines/audio/log-mel.ts) of the clip's speech, each bin minus its mean over the clip, and
 * at every `step`-th frame the frames at the `context` offsets side by side (a window of speech
 * around it, as Kaldi's spliced features). It answers one probability per label. What it needs
 * besides its weights sits in model.json's `userDefinedMetadata.tributary`.
 */
export const SPEECH_MODEL_FORMAT = 'tributary-speech-lid/1';
export const SPEECH_MODEL_FILE = 'model.json';

/** Frames this far (dB) below the clip's loudest are silence or breath, left out of the features. */
const SPEECH_FRAME_RANGE_DB = 40;
/** At most this many frames are scored (30 s at the usual 10 ms hop); a longer clip is cut. */
const MAX_FRAMES = 3000;

export const speechModelMeta = z.object({
  format: z.literal(SPEECH_MODEL_FORMAT),
  /** BCP-47 tags and ISO 639-3 codes of the model's outputs, in output order. */
  labels: z.array(z.object({ tag: z.string().min(1), code: z.string().min(2) })).min(2),
  features: logMelSettings,
  /** Frame offsets set side by side at each position, and frames between positions. */
  context: z.object({ offsets: z.array(z.number().int().min(-50).max(50)).min(1).max(31), step: z.number().int().min(1).max(10) }),
  /** How it was trained, when speech-train.ts made it: for people reading the folder. */
  training: z
    .object({
      clips: z.number().int(),
      heldOut: z.number().int(),
      heldOutAccuracy: z.number(),
      epochs: z.number().int(),
      seconds: z.number(),
    })
    .optional(),
});
export type SpeechModelMeta = z.infer<typeof speechModelMeta>;

const modelJson = z.object({
  format: z.literal('layers-model', { error: 'a TensorFlow.js layers model (format "layers-model")' }).optional(),
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(z.object({ paths: z.array(z.string().regex(/^[^/\\]+$/, 'a file beside model.json')), weights: z.array(z.unknown()) })),
  userDefinedMetadata: z.object({ tributary: speechModelMeta }, { error: 'userDefinedMetadata.tributary is missing' }),
});

/** What a clip's speech looks like to the model; `frames` is 0 when there is no speech in it. */
export interface SpeechFeatures {
  frames: number;
  bins: number;
  values: Float32Array;
}

/** The model's probabilities for one clip, labels in the model's order. */
export interface SpeechLanguageScores {
  model: string;
  labels: { tag: string; code: string }[];
  probabilities: number[];
}

/** What the model reads for `mono`: its speech frames (`speechFrames`) with their context. */
export function speechFeatures(mono: Float32Array, meta: Pick<SpeechModelMeta, 'features' | 'context'>): SpeechFeatures {
  return withContext(speechFrames(mono, meta.features), meta.context);
}

/** The frames at `offsets` around every `step`-th frame, side by side; offsets past an end repeat the end frame. */
export function withContext(frames: SpeechFeatures, context: SpeechModelMeta['context']): SpeechFeatures {
  const { offsets, step } = context;
  const positions = Math.ceil(frames.frames / step);
  const bins = frames.bins * offsets.length;
  const values = new Float32Array(positions * bins);
  for (let p = 0; p < positions; p++) {
    const centre = p * step;
    offsets.forEach((offset, o) => {
      const frame = Math.min(frames.frames - 1, Math.max(0, centre + offset));
      values.set(frames.values.subarray(frame * frames.bins, (frame + 1) * frames.bins), p * bins + o * frames.bins);
    });
  }
  return { frames: positions, bins, values };
}

/** What the analysis worker reports: the model's scores, or why it could not score. */
export type SpeechScoring = { scores: SpeechLanguageScores | null } | { unavailable: string };

/** Log-mel frames of the speech in `mono`, mean-normalised per bin over the clip. */
export function speechFrames(mono: Float32Array, settings: LogMelSettings): SpeechFeatures {
  const spectrogram = logMelSpectrogram(mono, settings);
  const { bins, energyDb } = spectrogram;
  let loudest = -Infinity;
  for (const db of energyDb) if (db > loudest) loudest = db;
  const kept: number[] = [];
  for (let f = 0; f < spectrogram.frames && kept.length < MAX_FRAMES; f++) {
    if (energyDb[f]! >= loudest - SPEECH_FRAME_RANGE_DB) kept.push(f);
  }
  const values = new Float32Array(kept.length * bins);
  const mean = new Float64Array(bins);
  kept.forEach((frame, row) => {
    for (let b = 0; b < bins; b++) {
      const value = spectrogram.values[frame * bins + b]!;
      values[row * bins + b] = value;
      mean[b]! += value;
    }
  });
  for (let b = 0; b < bins; b++) mean[b]! /= Math.max(1, kept.length);
  for (let i = 0; i < values.length; i++) values[i]! -= mean[i % bins]!;
  return { frames: kept.length, bins, values };
}

/** A model folder read and checked, without TensorFlow: what it is and its bytes. */
export interface SpeechModelFiles {
  dir: string;
  version: string;
  meta: SpeechModelMeta;
  json: TF.io.ModelJSON;
  weights: Buffer[];
}

/**
 * Reads the model in `dir` (synchronously: a node checks its model as it starts, and the
 * analysis threads read it once); throws with a reason a person can act on when it is not one.
 */
export function readSpeechModel(dir: string): SpeechModelFiles {
  const path = join(dir, SPEECH_MODEL_FILE);
  const text = readFileSync(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not JSON`);
  }
  const parsed = modelJson.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${path} is not a speech language model: ${[issue.path.join('.'), issue.message].filter(Boolean).join(' ')}`);
  }
  const weights = parsed.data.weightsManifest.flatMap((group) => group.paths.map((file) => readFileSync(join(dir, file))));
  const meta = parsed.data.userDefinedMetadata.tributary;
  return { dir, version: speechModelVersion(text, weights), meta, json: json as TF.io.ModelJSON, weights };
}

/** `speech-` + 12 hex digits of the sha256 of model.json and its weight files, in manifest order. */
export function speechModelVersion(modelJson: string | Uint8Array, weights: readonly Uint8Array[]): string {
  const digest = createHash('sha256').update(modelJson);
  for (const bytes of weights) digest.update(bytes);
  return `speech-${digest.digest('hex').slice(0, 12)}`;
}

export class SpeechLanguageModel {
  private constructor(
    /** `speech-` + 12 hex digits of the sha256 of model.json and its weights: recorded with every result. */
    readonly version: string,
    readonly meta: SpeechModelMeta,
    private readonly model: TF.LayersModel,
    private readonly tf: typeof TF,
  ) {}

  /** Loads the model in `dir`; throws with a reason a person can act on when it is not one. */
  static async load(dir: string): Promise<SpeechLanguageModel> {
    const files = readSpeechModel(dir);
    const tf = await tensorflow();
    const artifacts = await tf.io.getModelArtifactsForJSON(files.json, async (manifest) => [
      manifest.flatMap((group) => group.weights),
      files.weights.map((bytes) => new Uint8Array(bytes).buffer),
    ]);
    const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const outputs = (model.outputs[0]?.shape ?? []).at(-1);
    if (outputs !== files.meta.labels.length) {
      model.dispose();
      throw new Error(`the model in ${dir} has ${outputs} outputs but names ${files.meta.labels.length} languages`);
    }
    return new SpeechLanguageModel(files.version, files.meta, model, tf);
  }

  /** Probabilities of each label for mono samples at `sampleRate`; null without speech in them. */
  score(mono: Float32Array, sampleRate: number): SpeechLanguageScores | null {
    const rate = this.meta.features.sampleRate;
    const features = speechFeatures(rate === sampleRate ? mono : resample(mono, sampleRate, rate), this.meta);
    if (features.frames === 0) return null;
    const { tf } = this;
    const probabilities = tf.tidy(() => {
      const input = tf.tensor3d(features.values, [1, features.frames, features.bins]);
      return (this.model.predict(input) as TF.Tensor).dataSync();
    });
    return { model: this.version, labels: this.meta.labels, probabilities: Array.from(probabilities) };
  }

  dispose(): void {
    this.model.dispose();
  }
}
