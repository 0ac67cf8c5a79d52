import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { SPEECH_LOG_MEL, type LogMelSettings } from '../audio/log-mel.js';
import { defineError } from '../errors.js';
import { seededRandom } from './seeded-random.js';
import { tensorflow } from './tensorflow.js';
import {
  SPEECH_MODEL_FILE,
  SPEECH_MODEL_FORMAT,
  speechFeatures,
  speechModelVersion,
  type SpeechFeatures,
  type SpeechModelMeta,
} from './speech-model.js';

/**
 * Fits a small spoken-language model (speech-model.ts) with TensorFlow.js: two dense layers
 * applied to every position's 110 ms of log-mel frames (a syllable or so), averaged over the
 * clip, then a softmax over the languages. Trained on random 1.5 s windows of each clip, it
 * scores whole clips of any length. (Convolutions over the frames would say the same more
 * directly, but TensorFlow.js's CPU backend takes 20 times longer to fit them.)
 */
export interface SpeechTrainingClip {
  /** BCP-47 tag the model answers with, and its ISO 639-3 code. */
  tag: string;
  code: string;
  /** Mono samples at `features.sampleRate` (16 kHz, as the node stores clips). */
  mono: Float32Array;
}

export interface SpeechTrainingProgress {
  epoch: number;
  epochs: number;
  loss: number;
  heldOutAccuracy: number;
}

export interface SpeechTrainingOptions {
  epochs?: number;
  /** Held-out share of the clips, which picks the epoch to keep and reports accuracy. */
  heldOutShare?: number;
  batchSize?: number;
  features?: LogMelSettings;
  onProgress?: (progress: SpeechTrainingProgress) => void;
}

export interface TrainedSpeechModel {
  /** What the node records with each result (speech-model.ts `speechModelVersion`). */
  version: string;
  meta: SpeechModelMeta;
  /** The folder's files by name: model.json and weights.bin. */
  files: Map<string, Uint8Array>;
}

export const MIN_CLIPS_PER_LANGUAGE = 10;

/** Too few clips to learn from: the message says which languages had how many. */
export const SpeechTrainingDataError = defineError('NotEnoughTrainingSpeech', 'There are not enough validated clips to train a spoken-language model.');
/** Positions in a training window: 1.5 s at the context step below. */
const WINDOW_POSITIONS = 50;
const HIDDEN = 64;
/** Frames −5…+5 in steps of 2 around every third frame (30 ms). */
export const SPEECH_CONTEXT = { offsets: [-5, -3, -1, 1, 3, 5], step: 3 };

function buildModel(tf: typeof TF, bins: number, labels: number): TF.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [null, bins], units: HIDDEN, activation: 'relu', kernelInitializer: init(1) }));
  model.add(tf.layers.dense({ units: HIDDEN, activation: 'relu', kernelInitializer: init(2) }));
  model.add(tf.layers.globalAveragePooling1d());
  model.add(tf.layers.dense({ units: labels, activation: 'softmax', kernelInitializer: init(3) }));
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy' });
  return model;
}

/** A window of `WINDOW_POSITIONS` positions from a clip, repeating a shorter clip to fill it. */
function window(features: SpeechFeatures, start: number, out: Float32Array, at: number): void {
  const { bins, frames, values } = features;
  for (let f = 0; f < WINDOW_POSITIONS; f++) {
    const source = ((start + f) % frames) * bins;
    out.set(values.subarray(source, source + bins), at + f * bins);
  }
}

function heldOutByHash(clip: SpeechTrainingClip, index: number, share: number): boolean {
  const digest = createHash('sha256').update(`${index}:${clip.tag}:${clip.mono.length}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < share;
}

export async function trainSpeechLanguageModel(clips: SpeechTrainingClip[], options: SpeechTrainingOptions = {}): Promise<TrainedSpeechModel> {
  const settings = options.features ?? SPEECH_LOG_MEL;
  const epochs = options.epochs ?? 30;
  const batchSize = options.batchSize ?? 32;
  const started = performance.now();
  const tf = await tensorflow();

  const labels = [...new Map(clips.map((clip) => [clip.tag, { tag: clip.tag, code: clip.code }])).values()].sort((a, b) => a.tag.localeCompare(b.tag));
  const labelIndex = new Map(labels.map((label, i) => [label.tag, i]));
  const examples = clips
    .map((clip, index) => ({ label: labelIndex.get(clip.tag)!, features: speechFeatures(clip.mono, { features: settings, context: SPEECH_CONTEXT }), heldOut: heldOutByHash(clip, index, options.heldOutShare ?? 0.2) }))
    .filter((example) => example.features.frames > 0);
  const counts = labels.map((_, l) => examples.filter((example) => example.label === l).length);
  const short = labels.filter((_, l) => counts[l]! < MIN_CLIPS_PER_LANGUAGE);
  if (labels.length < 2 || short.length > 0) {
    throw new SpeechTrainingDataError(
      labels.length < 2
        ? 'A spoken-language model needs clips in at least two languages.'
        : `Each language needs at least ${MIN_CLIPS_PER_LANGUAGE} clips with speech; too few for ${short.map((label) => `${label.tag} (${counts[labelIndex.get(label.tag)!]})`).join(', ')}.`,
    );
  }
  const train = examples.filter((example) => !example.heldOut);
  const heldOut = examples.filter((example) => example.heldOut);
  const bins = settings.melBins * SPEECH_CONTEXT.offsets.length;
  const model = buildModel(tf, bins, labels.length);
  const next = seededRandom(0x5eed);

  /** Accuracy and mean cross-entropy on the held-out clips, each scored whole. */
  const judgeHeldOut = () => {
    if (heldOut.length === 0) return { accuracy: 1, loss: 0 };
    let right = 0;
    let loss = 0;
    for (const example of heldOut) {
      const probabilities = tf.tidy(() => {
        const input = tf.tensor3d(example.features.values, [1, example.features.frames, bins]);
        return (model.predict(input) as TF.Tensor).dataSync();
      });
      if (probabilities.indexOf(Math.max(...probabilities)) === example.label) right++;
      loss -= Math.log(Math.max(1e-7, probabilities[example.label]!));
    }
    return { accuracy: right / heldOut.length, loss: loss / heldOut.length };
  };

  // The epoch kept is the one with the lowest held-out loss: accuracy stops telling epochs
  // apart long before the probabilities stop improving.
  let best = { loss: Infinity, accuracy: 0, epoch: 0, weights: [] as TF.Tensor[] };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    // A fresh random window of every clip, in a fresh order.
    const order = train.map((example) => ({ example, key: next() })).sort((a, b) => a.key - b.key);
    const xs = new Float32Array(order.length * WINDOW_POSITIONS * bins);
    order.forEach(({ example }, i) => window(example.features, Math.floor(next() * example.features.frames), xs, i * WINDOW_POSITIONS * bins));
    const x = tf.tensor3d(xs, [order.length, WINDOW_POSITIONS, bins]);
    const y = tf.oneHot(tf.tensor1d(order.map(({ example }) => example.label), 'int32'), labels.length);
    const history = await model.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
    tf.dispose([x, y]);
    const judged = judgeHeldOut();
    if (judged.loss < best.loss) {
      tf.dispose(best.weights);
      best = { ...judged, epoch, weights: model.getWeights().map((weight) => weight.clone()) };
    }
    options.onProgress?.({ epoch, epochs, loss: Number(history.history.loss?.[0] ?? NaN), heldOutAccuracy: judged.accuracy });
  }
  model.setWeights(best.weights);
  tf.dispose(best.weights);

  const meta: SpeechModelMeta = {
    format: SPEECH_MODEL_FORMAT,
    labels,
    features: settings,
    context: SPEECH_CONTEXT,
    training: {
      clips: train.length,
      heldOut: heldOut.length,
      heldOutAccuracy: Number(best.accuracy.toFixed(4)),
      epochs: best.epoch,
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    },
  };
  const files = await modelFiles(tf, model, meta);
  model.dispose();
  return { version: speechModelVersion(files.get(SPEECH_MODEL_FILE)!, [files.get('weights.bin')!]), meta, files };
}

/** model.json and weights.bin as TensorFlow.js writes them, with the metadata inside model.json. */
async function modelFiles(tf: typeof TF, model: TF.LayersModel, meta: SpeechModelMeta): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)));
      const json: TF.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: { tributary: meta },
      };
      files.set(SPEECH_MODEL_FILE, new TextEncoder().encode(JSON.stringify(json)));
      files.set('weights.bin', weights);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return files;
}

/** Writes a trained model's folder, whole or not at all (files go to a sibling folder first). */
export async function writeSpeechModel(dir: string, trained: TrainedSpeechModel): Promise<void> {
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  for (const [name, bytes] of trained.files) await writeFile(join(partial, name), bytes);
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
}
