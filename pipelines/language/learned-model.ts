import { createHash } from 'node:crypto';
import { z } from 'zod';
import { forEachNgram, modelCodePoints, ngramWeight, type NgramShape } from './ngrams.js';

/**
 * A language model learned from a node's own text (`tributary langid train`): a linear
 * classifier over hashed character n-grams (ngrams.ts), softmax over the node's languages.
 * Scoring is plain arithmetic over the weights (no TensorFlow at run time: a text costs a few
 * thousand additions); train.ts fits the weights with TensorFlow.js.
 */
export const LEARNED_MODEL_FORMAT = 'tributary-langid-ngram/1';

/** Code points read per text, as the base reads at most 2048 code units. */
export const LEARNED_MAX_CHARS = 2048;

const label = z.object({
  /** The language as the node declared it (`sw-CD`, `sr-Latn`, `kab`). */
  tag: z.string().min(1),
  /** Its ISO 639-3 code. */
  code: z.string().min(2),
  /** Scripts (ISO 15924) of its training text: the model answers only for text in one of them. */
  scripts: z.array(z.string()).min(1),
  examples: z.number().int().nonnegative(),
  /**
   * For a language franc has no model of, written in a script franc compares trigrams in: its
   * franc-style profile (franc-ranker.ts `trigramProfile`), so the base can weigh it too.
   */
  profile: z.object({ script: z.string(), trigrams: z.string().max(4000) }).optional(),
});
export type LearnedLabel = z.infer<typeof label>;

const accuracy = z.object({ sentences: z.number(), short: z.number(), n: z.number().int() });

export const learnedModelMeta = z.object({
  format: z.literal(LEARNED_MODEL_FORMAT),
  /** `ngram-` + the first 12 hex digits of the sha256 of weights and settings; recorded with every result. */
  version: z.string().regex(/^ngram-[0-9a-f]{12}$/),
  createdAt: z.string(),
  orders: z.array(z.number().int().min(1).max(8)).min(1),
  /** Whole words are features too (ngrams.ts `NgramShape.words`). */
  words: z.boolean().optional(),
  buckets: z.number().int().min(2).max(1 << 22).refine((n) => (n & (n - 1)) === 0, 'a power of two'),
  /**
   * How weights.bin holds the weights: float32, or int8 with one float32 scale per label (a
   * quarter of the size, for the model shipped with Tributary; see `quantized`).
   */
  encoding: z.enum(['float32', 'int8']).default('float32'),
  labels: z.array(label).min(1),
  /** How the model's answer is weighed against the base (identify.ts), fitted on held-out text. */
  combination: z.object({
    /** Weight of the model's log-probabilities against the base's scores. */
    modelWeight: z.number().nonnegative(),
    /**
     * Softmax temperature that makes the combined confidence calibrated on the held-out text;
     * null when there was too little of it, and the base's calibration curve is used instead.
     */
    temperature: z.number().positive().nullable(),
  }),
  training: z.object({
    examples: z.number().int(),
    heldOut: z.number().int(),
    /** The pass over the training text whose weights were kept (lowest held-out loss); 0 is the start as it was. */
    epoch: z.number().int(),
    /** The version of the model training started from (`TrainOptions.start`), if any. */
    startedFrom: z.string().optional(),
    seconds: z.number(),
    /** Top-1 on the held-out part, among the model's languages: the base alone, the model alone, both. */
    accuracy: z.object({ base: accuracy, model: accuracy, combined: accuracy }),
  }),
});
export type LearnedModelMeta = z.infer<typeof learnedModelMeta>;

export interface LearnedModel {
  meta: LearnedModelMeta;
  /** `buckets × labels`, row-major: the weight of each n-gram bucket for each label. */
  weights: Float32Array;
  bias: Float32Array;
}

/**
 * Natural-log probabilities of each label (in `meta.labels` order) for `text`. `out` may be
 * passed to avoid an allocation per call.
 */
export function learnedLogProbabilities(
  model: Pick<LearnedModel, 'weights' | 'bias'> & { meta: NgramShape },
  text: string,
  out: Float64Array = new Float64Array(model.bias.length),
): Float64Array {
  const { weights, bias } = model;
  const labels = bias.length;
  out.fill(0);
  const count = forEachNgram(modelCodePoints(text, LEARNED_MAX_CHARS), model.meta, (bucket) => {
    const row = bucket * labels;
    for (let l = 0; l < labels; l++) out[l]! += weights[row + l]!;
  });
  // Weighed by length as in training (`ngramWeight`), then log-softmax.
  const scale = ngramWeight(count);
  let max = -Infinity;
  for (let l = 0; l < labels; l++) {
    out[l] = out[l]! * scale + bias[l]!;
    if (out[l]! > max) max = out[l]!;
  }
  let sum = 0;
  for (let l = 0; l < labels; l++) sum += Math.exp(out[l]! - max);
  const logSum = max + Math.log(sum);
  for (let l = 0; l < labels; l++) out[l] = out[l]! - logSum;
  return out;
}

/** The version a model's content names: the same weights and settings always give the same one. */
export function learnedModelVersion(meta: Omit<LearnedModelMeta, 'version' | 'createdAt' | 'training'>, weights: Float32Array, bias: Float32Array): string {
  const digest = createHash('sha256').update(JSON.stringify({ orders: meta.orders, buckets: meta.buckets, labels: meta.labels, combination: meta.combination, ...(meta.words ? { words: true } : {}) }));
  if (meta.encoding === 'int8') digest.update('int8');
  digest.update(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength));
  digest.update(new Uint8Array(bias.buffer, bias.byteOffset, bias.byteLength));
  return `ngram-${digest.digest('hex').slice(0, 12)}`;
}

/**
 * The weights as stored, little-endian: float32 `buckets × labels` then `labels` biases; or, for
 * `encoding: 'int8'`, int8 `buckets × labels`, then `labels` float32 scales, then the biases.
 */
export function encodeWeights(model: Pick<LearnedModel, 'weights' | 'bias'> & { meta: Pick<LearnedModelMeta, 'encoding'> }): Buffer {
  const labels = model.bias.length;
  if (model.meta.encoding === 'int8') {
    const scales = int8Scales(model.weights, labels);
    const out = Buffer.alloc(model.weights.length + labels * 8);
    for (let i = 0; i < model.weights.length; i++) out.writeInt8(Math.round(model.weights[i]! / scales[i % labels]!), i);
    let at = model.weights.length;
    for (const scale of scales) at = out.writeFloatLE(scale, at);
    for (const value of model.bias) at = out.writeFloatLE(value, at);
    return out;
  }
  const out = Buffer.alloc((model.weights.length + labels) * 4);
  let at = 0;
  for (const value of model.weights) at = out.writeFloatLE(value, at);
  for (const value of model.bias) at = out.writeFloatLE(value, at);
  return out;
}

/** Per label, the step that maps its largest weight to ±127 (1 for a label with none). */
function int8Scales(weights: Float32Array, labels: number): Float32Array {
  const scales = new Float32Array(labels);
  for (let i = 0; i < weights.length; i++) scales[i % labels] = Math.max(scales[i % labels]!, Math.abs(weights[i]!));
  return scales.map((max) => (max > 0 ? max / 127 : 1));
}

/**
 * The model with its weights rounded to int8 steps as `encoding: 'int8'` stores them, and the
 * version of what it now computes. On the catalogue set this costs the shipped model no
 * measurable accuracy (test/bench/langid-base.ts prints both).
 */
export function quantized(model: LearnedModel): LearnedModel {
  const meta = { ...model.meta, encoding: 'int8' as const };
  const decoded = decodeLearnedModel(meta, encodeWeights({ ...model, meta }));
  decoded.meta.version = learnedModelVersion(decoded.meta, decoded.weights, decoded.bias);
  return decoded;
}

/** Reads a stored model; throws with a reason when the files do not belong together. */
export function decodeLearnedModel(metaJson: unknown, weightBytes: Buffer): LearnedModel {
  const meta = learnedModelMeta.parse(metaJson);
  const labels = meta.labels.length;
  const cells = meta.buckets * labels;
  const int8 = meta.encoding === 'int8';
  const expected = int8 ? cells + labels * 8 : (cells + labels) * 4;
  if (weightBytes.length !== expected) {
    throw new Error(`weights.bin has ${weightBytes.length} bytes; ${meta.buckets} buckets × ${labels} languages (${meta.encoding}) need ${expected}`);
  }
  const all = new Float32Array(cells + labels);
  if (int8) {
    const scales = Array.from({ length: labels }, (_, l) => weightBytes.readFloatLE(cells + l * 4));
    for (let i = 0; i < cells; i++) all[i] = weightBytes.readInt8(i) * scales[i % labels]!;
    for (let l = 0; l < labels; l++) all[cells + l] = weightBytes.readFloatLE(cells + (labels + l) * 4);
  } else {
    for (let i = 0; i < all.length; i++) all[i] = weightBytes.readFloatLE(i * 4);
  }
  return { meta, weights: all.subarray(0, cells), bias: all.subarray(cells) };
}
