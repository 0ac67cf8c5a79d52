import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { defineError } from '../errors.js';
import { SHORT_TEXT_CHARS } from './calibration.js';
import { createLanguageIdentifier, type IdentifyOptions, type LanguageIdentifier, type LanguageIdResult } from './identify.js';
import {
  LEARNED_MAX_CHARS,
  LEARNED_MODEL_FORMAT,
  learnedLogProbabilities,
  learnedModelVersion,
  type LearnedLabel,
  type LearnedModel,
  type LearnedModelMeta,
} from './learned-model.js';
import { francScript, trigramProfile } from './franc-ranker.js';
import { isModelled, sameLanguage } from './macrolanguages.js';
import { forEachNgram, modelCodePoints, ngramWeight, type NgramShape } from './ngrams.js';
import { countScripts } from './scripts.js';
import { parseLanguageTag } from './tags.js';
import { seededRandom } from './seeded-random.js';
import { tensorflow } from './tensorflow.js';

/** One text in a known language: a validated sample or an accepted prompt. */
export interface TrainingExample {
  text: string;
  /** BCP-47 tag as the node declares the language. */
  tag: string;
}

export interface TrainingProgress {
  epoch: number;
  epochs: number;
  /** Batches done in this epoch, of `steps`. */
  step: number;
  steps: number;
  /** Mean cross-entropy of the epoch so far. */
  loss: number;
}

export interface TrainOptions {
  /** The base the model is weighed with, as the node will run it (candidates, contact languages). */
  base: Omit<IdentifyOptions, 'learned'>;
  epochs?: number;
  /** Default: the largest power of two ≤ 2^18 that keeps the weights under 16 MB. */
  buckets?: number;
  orders?: number[];
  /** Whole words as features too (ngrams.ts); default true. */
  words?: boolean;
  batchSize?: number;
  learningRate?: number;
  /**
   * A model to start from (the shipped one, base-model.ts): each language it knows begins with
   * its weights, so a node's few hundred texts refine what it learned from many rather than
   * start from nothing. Its n-gram orders, buckets and words are kept; unused when it knows none of
   * the languages. Held-out text decides whether any pass beats the start as it was.
   */
  start?: LearnedModel;
  /** Share of each language's texts kept aside to choose the epoch and fit the combination. */
  heldOutShare?: number;
  onProgress?: (progress: TrainingProgress) => void;
  /** Clock for `createdAt` and the duration; tests pass a fixed one. */
  now?: () => Date;
}

/** Why training cannot start, in words an operator can act on. */
export const TrainingDataError = defineError('NotEnoughTrainingText', 'There is not enough validated text to train a language model.');

const DEFAULT_ORDERS = [1, 2, 3, 4, 5];
/** Fewest optimiser steps a training run takes, however little text there is. */
const MIN_UPDATES = 300;
/** Passes without a better held-out loss before training stops early. */
const PATIENCE = 2;
const MAX_WEIGHT_BYTES = 16 * 1024 * 1024;
/** Fewer texts than this in a language and it is left out (named in the error if none is left). */
export const MIN_EXAMPLES_PER_LANGUAGE = 20;
/** A script counts as a language's when this share of its texts is mainly written in it. */
const SCRIPT_SHARE = 0.05;

interface Example {
  text: string;
  label: number;
  short: boolean;
}

/** A text's n-gram buckets. Worked out per batch, not kept: a node's texts can be many. */
type Encode = (text: string) => Int32Array;

/**
 * Fits a learned model (learned-model.ts) on a node's own text with TensorFlow.js: a linear
 * layer over hashed n-grams (`ngramWeight`), softmax cross-entropy, Adam. A tenth of each
 * language's texts (chosen by hash, so the same data always splits the same way) is held out:
 * it picks the best epoch, fits how much the model counts against the base and the temperature
 * that makes the confidence honest, and gives the accuracies recorded in the model.
 */
export async function trainLanguageModel(examples: readonly TrainingExample[], options: TrainOptions): Promise<LearnedModel> {
  const now = options.now ?? (() => new Date());
  const started = now().getTime();
  await tensorflow();
  // A tenth of the texts, but at least a quarter (up to 100 texts) of a small set: choosing the
  // epoch and the combination on a handful of texts would be choosing by chance.
  const heldOutShare = options.heldOutShare ?? Math.max(0.1, Math.min(0.25, 100 / Math.max(1, examples.length)));
  const { labels, train, heldOut } = prepare(examples, heldOutShare);
  const columns = options.start ? startColumns(options.start, labels) : [];
  const start = columns.some((column) => column >= 0) ? options.start : undefined;
  const orders = start?.meta.orders ?? options.orders ?? DEFAULT_ORDERS;
  const buckets = start?.meta.buckets ?? options.buckets ?? defaultBuckets(labels.length);
  const words = start ? start.meta.words === true : (options.words ?? true);
  const shape: NgramShape = { orders, buckets, words };
  const encode: Encode = (text) => {
    const found: number[] = [];
    forEachNgram(modelCodePoints(text, LEARNED_MAX_CHARS), shape, (bucket) => found.push(bucket));
    return Int32Array.from(found);
  };

  // Small data gets smaller batches and more passes, so that every model sees enough updates.
  const batchSize = options.batchSize ?? Math.min(64, Math.max(8, Math.ceil(train.length / 50)));
  const minEpochs = Math.ceil(MIN_UPDATES / Math.ceil(train.length / batchSize));
  const epochs = Math.max(options.epochs ?? 8, minEpochs);
  // From a start, smaller steps for the languages it knows: their weights are already near a good
  // answer. A language it does not know starts from nothing, and takes the steps of training from
  // nothing. (At the smaller steps it was still learning when training stopped: the bench's
  // Assamese and Odia learned from a shipped model without them took the whole set's short
  // texts from 94.2% to 93.9%; at the larger steps they leave it at 94.2%.)
  const rates = Float32Array.from(labels, (_, l) => options.learningRate ?? (start && columns[l]! >= 0 ? WARM_LEARNING_RATE : COLD_LEARNING_RATE));
  const optimizer = new SparseAdam(buckets, labels.length, rates);
  if (start) optimizer.startFrom(start, columns);
  const random = seededRandom(hashSeed(examples.length, labels.map((l) => l.tag).join(',')));
  let best: { loss: number; epoch: number; weights: Float32Array; bias: Float32Array } | null = null;
  // Epoch 0 is the start as it was: training must beat it on held-out text to replace it.
  if (start && heldOut.length > 0) {
    best = { loss: modelAccuracy(optimizer, shape, heldOut).loss, epoch: 0, weights: optimizer.weights.slice(), bias: optimizer.bias.slice() };
  }
  const steps = Math.ceil(train.length / batchSize);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    shuffle(train, random);
    let lossSum = 0;
    for (let step = 0; step < steps; step++) {
      lossSum += optimizer.step(train.slice(step * batchSize, (step + 1) * batchSize), encode);
      options.onProgress?.({ epoch, epochs, step: step + 1, steps, loss: lossSum / (step + 1) });
      // Yield now and then so that a progress bar redraws and signals are handled.
      if (step % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
    }
    // Early stopping on the held-out cross-entropy (smoother than accuracy on a small set).
    const loss = heldOut.length > 0 ? modelAccuracy(optimizer, shape, heldOut).loss : -epoch;
    if (!best || loss <= best.loss) best = { loss, epoch, weights: optimizer.weights.slice(), bias: optimizer.bias.slice() };
    // Two passes without a better held-out loss: more would only fit the training text closer.
    else if (epoch - best.epoch >= PATIENCE && epoch >= minEpochs) break;
  }

  // A start kept as it was has the priors it was made with; anything trained here gets even ones.
  const bias = best!.epoch === 0 ? best!.bias : evenPriors(best!.bias, labels);
  const draft: LearnedModel = {
    meta: {
      format: LEARNED_MODEL_FORMAT,
      version: 'ngram-000000000000',
      createdAt: now().toISOString(),
      orders,
      ...(words ? { words } : {}),
      encoding: 'float32',
      buckets,
      labels,
      combination: { modelWeight: 1, temperature: null },
      training: {
        examples: train.length,
        heldOut: heldOut.length,
        epoch: best!.epoch,
        ...(start ? { startedFrom: start.meta.version } : {}),
        seconds: 0,
        accuracy: { base: none(), model: none(), combined: none() },
      },
    },
    weights: best!.weights,
    bias,
  };
  const fitted = fitCombination(draft, heldOut, options.base, encode);
  const meta: LearnedModelMeta = { ...draft.meta, combination: fitted.combination };
  meta.training = { ...meta.training, seconds: Math.round((now().getTime() - started) / 100) / 10, accuracy: fitted.accuracy };
  meta.version = learnedModelVersion(meta, draft.weights, draft.bias);
  return { meta, weights: draft.weights, bias: draft.bias };
}

const none = () => ({ sentences: 0, short: 0, n: 0 });

/**
 * The bias without the training text's language shares (logit adjustment): softmax training
 * learns each language's share of the texts into its bias, and those shares tell how much text
 * translators or a node's volunteers happened to write in each language, not which language the
 * next text is in. Taking them out makes every candidate start level, so a language with little
 * training text is not outvoted by a neighbour with much. For the shipped model (Bengali 124
 * texts, Assamese 604, most languages 10,000) it lifted the bench's evaluation texts, equal
 * numbers per language, from 97.0%/91.5% to 98.0%/92.6%; half the adjustment or twice it did worse.
 */
function evenPriors(bias: Float32Array, labels: readonly LearnedLabel[]): Float32Array {
  const total = labels.reduce((sum, label) => sum + label.examples, 0);
  return Float32Array.from(bias, (value, l) => value - Math.log(labels[l]!.examples / total));
}

function defaultBuckets(labels: number): number {
  let buckets = 1 << 18;
  while (buckets > 1024 && buckets * labels * 4 > MAX_WEIGHT_BYTES) buckets >>= 1;
  return buckets;
}

function prepare(examples: readonly TrainingExample[], heldOutShare: number) {
  const byTag = new Map<string, Set<string>>();
  for (const { text, tag } of examples) {
    const clean = text.trim();
    if (!clean) continue;
    const texts = byTag.get(tag) ?? new Set<string>();
    texts.add(clean);
    byTag.set(tag, texts);
  }
  const labels: LearnedLabel[] = [];
  const train: Array<{ text: string; label: number; short: boolean }> = [];
  const heldOut: Array<{ text: string; label: number; short: boolean }> = [];
  const tooFew: string[] = [];
  for (const tag of [...byTag.keys()].sort()) {
    // Sorted, so that the same texts in any order make the same model.
    const texts = [...byTag.get(tag)!].sort();
    const parsed = parseLanguageTag(tag);
    if (!parsed) throw new TrainingDataError(`"${tag}" is not a BCP-47 language tag.`);
    if (texts.length < MIN_EXAMPLES_PER_LANGUAGE) {
      tooFew.push(`${tag} (${texts.length})`);
      continue;
    }
    const label = labels.length;
    const scriptCounts = new Map<string, number>();
    for (const text of texts) {
      const { script } = countScripts(text);
      scriptCounts.set(script, (scriptCounts.get(script) ?? 0) + 1);
    }
    const scripts = [...scriptCounts.entries()].filter(([script, n]) => n >= SCRIPT_SHARE * texts.length && !script.startsWith('Z')).map(([script]) => script);
    if (scripts.length === 0) throw new TrainingDataError(`The ${tag} texts have no letters.`);
    const trainTexts: string[] = [];
    for (const text of texts) {
      const held = hashFraction(`held-out\u0000${tag}\u0000${text}`) < heldOutShare;
      (held ? heldOut : train).push({ text, label, short: text.length < SHORT_TEXT_CHARS });
      if (!held) trainTexts.push(text);
    }
    const profile = isModelled(parsed.iso639_3) ? undefined : profileOf(trainTexts);
    labels.push({ tag: parsed.tag, code: parsed.iso639_3, scripts: scripts.sort(), examples: texts.length, ...(profile ? { profile } : {}) });
  }
  if (labels.length === 0) {
    throw new TrainingDataError(
      `No language has the ${MIN_EXAMPLES_PER_LANGUAGE} texts training needs${tooFew.length ? ` (found: ${tooFew.join(', ')})` : ''}.`,
    );
  }
  return { labels, train, heldOut };
}

/** For each label, the start model's column of the same language (its tag, else its code), or -1. */
function startColumns(start: LearnedModel, labels: readonly LearnedLabel[]): number[] {
  return labels.map((label) => {
    const byTag = start.meta.labels.findIndex((l) => l.tag === label.tag);
    if (byTag >= 0) return byTag;
    const byCode = start.meta.labels.filter((l) => l.code === label.code);
    return byCode.length === 1 ? start.meta.labels.indexOf(byCode[0]!) : -1;
  });
}

/**
 * Weights and Adam's moments, kept as plain arrays. A batch touches a few thousand of the
 * buckets: each step sums the rows of its texts' n-grams into logits, lets TensorFlow compute
 * the loss and its gradient with respect to the logits and the bias, carries that gradient back
 * to the rows it came from, and updates just those rows ("lazy" Adam, as TensorFlow's own sparse
 * optimisers do). A dense step would update `buckets × labels` numbers every batch.
 */
class SparseAdam {
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly biasM: Float32Array;
  private readonly biasV: Float32Array;
  private t = 0;

  constructor(
    buckets: number,
    private readonly labels: number,
    /** Each label's learning rate. */
    private readonly rates: Float32Array,
  ) {
    this.weights = new Float32Array(buckets * labels);
    this.m = new Float32Array(buckets * labels);
    this.v = new Float32Array(buckets * labels);
    this.bias = new Float32Array(labels);
    this.biasM = new Float32Array(labels);
    this.biasV = new Float32Array(labels);
  }

  /** Copies `start`'s weights and bias of column `columns[l]` into label `l` (same buckets). */
  startFrom(start: LearnedModel, columns: readonly number[]): void {
    const from = start.meta.labels.length;
    const buckets = this.weights.length / this.labels;
    columns.forEach((column, label) => {
      if (column < 0) return;
      for (let bucket = 0; bucket < buckets; bucket++) this.weights[bucket * this.labels + label] = start.weights[bucket * from + column]!;
      this.bias[label] = start.bias[column]!;
    });
  }

  /** One batch: returns its mean cross-entropy. */
  step(batch: readonly Example[], encode: Encode): number {
    const labels = this.labels;
    // Each text is a list of (bucket, share) entries. The linear layer is done by hand (a sum of
    // rows per text), TensorFlow computes the loss and its gradient with respect to the logits,
    // and the chain rule back to the rows is by hand again: work in proportion to the n-grams
    // read. (A dense input costs texts × the batch's distinct buckets, and TensorFlow's gather
    // gradient on the CPU backend loops over every row for every entry.)
    const entries: number[] = [];
    const shares: number[] = [];
    const owners: number[] = [];
    const targets = new Int32Array(batch.length);
    const logits = new Float32Array(batch.length * labels);
    batch.forEach((example, row) => {
      const buckets = encode(example.text);
      const share = ngramWeight(buckets.length);
      for (const bucket of buckets) {
        entries.push(bucket);
        shares.push(share);
        owners.push(row);
        const from = bucket * labels;
        const to = row * labels;
        for (let l = 0; l < labels; l++) logits[to + l]! += share * this.weights[from + l]!;
      }
      targets[row] = example.label;
    });

    const { loss, gradLogits, gradBias } = tf.tidy(() => {
      const y = tf.oneHot(tf.tensor1d(targets, 'int32'), labels);
      const lossOf = (z: tf.Tensor, b: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, tf.add(z, b)) as tf.Scalar;
      const { value, grads } = tf.valueAndGrads(lossOf)([tf.tensor2d(logits, [batch.length, labels]), tf.tensor1d(this.bias)]);
      return { loss: value.dataSync()[0]!, gradLogits: grads[0]!.dataSync() as Float32Array, gradBias: grads[1]!.dataSync() as Float32Array };
    });
    // d loss / d row = Σ over the row's entries of share × d loss / d logits of its text.
    const gradRows = new Map<number, Float32Array>();
    for (let i = 0; i < entries.length; i++) {
      let grad = gradRows.get(entries[i]!);
      if (!grad) gradRows.set(entries[i]!, (grad = new Float32Array(labels)));
      const from = owners[i]! * labels;
      const share = shares[i]!;
      for (let l = 0; l < labels; l++) grad[l]! += share * gradLogits[from + l]!;
    }

    this.t++;
    const correction1 = 1 - BETA1 ** this.t;
    const correction2 = 1 - BETA2 ** this.t;
    const step = Math.sqrt(correction2) / correction1;
    const rates = this.rates;
    for (const [bucket, grad] of gradRows) {
      for (let l = 0; l < labels; l++) this.update(this.weights, this.m, this.v, bucket * labels + l, grad[l]!, rates[l]! * step);
    }
    for (let l = 0; l < labels; l++) this.update(this.bias, this.biasM, this.biasV, l, gradBias[l]!, rates[l]! * step);
    return loss;
  }

  private update(values: Float32Array, m: Float32Array, v: Float32Array, at: number, gradient: number, rate: number): void {
    m[at] = BETA1 * m[at]! + (1 - BETA1) * gradient;
    v[at] = BETA2 * v[at]! + (1 - BETA2) * gradient * gradient;
    values[at]! -= (rate * m[at]!) / (Math.sqrt(v[at]!) + EPSILON);
  }
}

const COLD_LEARNING_RATE = 0.1;
const WARM_LEARNING_RATE = 0.02;
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-7;

interface Tally {
  sentences: { right: number; total: number };
  short: { right: number; total: number };
}
const tally = (): Tally => ({ sentences: { right: 0, total: 0 }, short: { right: 0, total: 0 } });
function count(t: Tally, short: boolean, right: boolean): void {
  const bucket = short ? t.short : t.sentences;
  bucket.total++;
  if (right) bucket.right++;
}
const share = (part: { right: number; total: number }) => (part.total > 0 ? Math.round((part.right / part.total) * 10000) / 10000 : 0);
const summary = (t: Tally) => ({ sentences: share(t.sentences), short: share(t.short), n: t.sentences.total + t.short.total });

/** Top-1 tally and mean cross-entropy of the model alone on `set`, scored as a node scores. */
function modelAccuracy(model: Pick<LearnedModel, 'weights' | 'bias'>, shape: NgramShape, set: readonly Example[]) {
  const t = tally();
  const scored = { ...model, meta: shape };
  const logProbabilities = new Float64Array(model.bias.length);
  let loss = 0;
  for (const example of set) {
    learnedLogProbabilities(scored, example.text, logProbabilities);
    let top = 0;
    for (let l = 1; l < logProbabilities.length; l++) if (logProbabilities[l]! > logProbabilities[top]!) top = l;
    loss -= logProbabilities[example.label]!;
    count(t, example.short, top === example.label);
  }
  return { tally: t, loss: loss / Math.max(1, set.length) };
}

// How much the model counts against the base, in franc's score units per nat of log-probability
// (franc's scores span 0–1: from 100 on, franc only breaks the model's near-ties).
const MODEL_WEIGHTS = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 20, 100, 1000];
// Multiples of the model weight (scores spread with it).
const TEMPERATURES = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10];
/**
 * Fewer held-out texts than this and the temperature is not fitted: the confidence then comes
 * from the base's calibration curve over the combined margin (identify.ts), as with no model.
 */
export const MIN_HELD_OUT_FOR_TEMPERATURE = 200;

/**
 * Chooses the model weight with the most right answers on the held-out texts (the base and
 * the model together, as the node will run them; ties go to the weight nearest 1), then, given
 * enough texts, the temperature with the lowest Brier score of the confidence.
 */
function fitCombination(draft: LearnedModel, heldOut: readonly Example[], base: TrainOptions['base'], encode: Encode) {
  const labels = draft.meta.labels;
  const candidates = base.candidates.length > 0 ? base.candidates : labels.map((l) => l.tag);
  const identifierWith = (combination: LearnedModelMeta['combination']): LanguageIdentifier =>
    createLanguageIdentifier({ ...base, candidates, learned: { ...draft, meta: { ...draft.meta, combination } } });
  // Variants share a code (sw, sw-CD): right means the label's own tag.
  const isRight = (result: LanguageIdResult, label: number) =>
    result.code !== 'und' && sameLanguage(result.code, labels[label]!.code) && tagMatches(result.bcp47, labels[label]!.tag, labels);
  const tallyOf = (identify: (text: string) => LanguageIdResult) => {
    const t = tally();
    for (const example of heldOut) count(t, example.short, isRight(identify(example.text), example.label));
    return t;
  };

  const baseTally = tallyOf(createLanguageIdentifier({ ...base, candidates }));
  const modelTally = modelAccuracy(draft, draft.meta, heldOut).tally;
  let chosen = { modelWeight: 1, tally: modelTally, right: -1 };
  const nearOne = (weight: number) => (weight === 0 ? Infinity : Math.abs(Math.log(weight)));
  if (heldOut.length > 0) {
    for (const modelWeight of MODEL_WEIGHTS) {
      const t = tallyOf(identifierWith({ modelWeight, temperature: null }));
      const right = t.sentences.right + t.short.right;
      if (right > chosen.right || (right === chosen.right && nearOne(modelWeight) < nearOne(chosen.modelWeight))) chosen = { modelWeight, tally: t, right };
    }
  }
  let temperature: number | null = null;
  if (heldOut.length >= MIN_HELD_OUT_FOR_TEMPERATURE) {
    let bestBrier = Infinity;
    for (const multiple of TEMPERATURES) {
      const candidate = multiple * Math.max(0.1, chosen.modelWeight);
      const identify = identifierWith({ modelWeight: chosen.modelWeight, temperature: candidate });
      let brier = 0;
      for (const example of heldOut) {
        const result = identify(example.text);
        brier += (result.confidence - (isRight(result, example.label) ? 1 : 0)) ** 2;
      }
      if (brier < bestBrier) {
        bestBrier = brier;
        temperature = candidate;
      }
    }
  }
  return {
    combination: { modelWeight: chosen.modelWeight, temperature },
    accuracy: { base: summary(baseTally), model: summary(modelTally), combined: summary(chosen.tally) },
  };
}

/** When two labels share a code (sw, sw-CD), the answer must name the right one. */
function tagMatches(answer: string, expected: string, labels: readonly LearnedLabel[]): boolean {
  const code = labels.find((l) => l.tag === expected)!.code;
  const siblings = labels.filter((l) => l.code === code);
  return siblings.length < 2 || answer === expected;
}

/**
 * A franc-style profile for a language franc does not know, when most of its texts are in a
 * script franc compares trigrams in (for one franc decides by script alone, such as Bengali,
 * the learned model does all the telling apart).
 */
function profileOf(texts: readonly string[]): LearnedLabel['profile'] {
  const scripts = new Map<string, number>();
  for (const text of texts) {
    const { script, modelled } = francScript(text);
    if (modelled) scripts.set(script, (scripts.get(script) ?? 0) + 1);
  }
  const [script, count] = [...scripts.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
  if (!script || count! < texts.length / 2) return undefined;
  return { script, trigrams: trigramProfile(texts) };
}

function hashFraction(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
}

function hashSeed(n: number, key: string): number {
  return createHash('sha256').update(`${n}\u0000${key}`).digest().readUInt32BE(0);
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
