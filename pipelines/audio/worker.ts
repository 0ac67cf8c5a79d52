// Piscina worker: one clip at a time per thread, so the HTTP event loop never decodes audio.
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { analyseClip, type ClipAnalysis } from './analyse.js';
import { detectAudioType, UNRECOGNISED_REASON } from './decode.js';
import type { ScreeningRules } from './screen.js';
import { SpeechLanguageModel, type SpeechScoring } from '../language/speech-model.js';

/** A clip in memory, or a file the worker reads itself so the main thread never copies it. */
export type ClipSource = { bytes: Uint8Array } | { path: string };

export interface AnalysisTask {
  source: ClipSource;
  rules: ScreeningRules;
  /** Folder of the node's spoken-language model, when it has one. */
  speechModel?: string;
}

export interface AnalysisReport {
  analysis: ClipAnalysis;
  /** The thread that ran it, so the pool can retire that thread. */
  threadId: number;
  /**
   * What this thread's array buffers and WebAssembly memories hold afterwards. WebAssembly
   * memory never shrinks, so this is how the pool sees a thread that a large decode has grown.
   */
  externalBytes: number;
}

const HEAD_BYTES = 64 * 1024;

/** The first bytes of a file: enough to tell audio from anything else. */
async function head(path: string): Promise<Uint8Array> {
  const file = await open(path);
  try {
    const buffer = new Uint8Array(HEAD_BYTES);
    const { bytesRead } = await file.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** This thread's spoken-language model, loaded on first use and again when its model.json changes. */
let speechModel: { dir: string; signature: string; model: Promise<SpeechLanguageModel> } | undefined;

async function loadSpeechModel(dir: string): Promise<SpeechLanguageModel> {
  const info = await stat(join(dir, 'model.json'));
  const signature = `${info.ino}:${info.size}:${info.mtimeMs}`;
  if (speechModel?.dir !== dir || speechModel.signature !== signature) {
    void speechModel?.model.then((model) => model.dispose(), () => {});
    speechModel = { dir, signature, model: SpeechLanguageModel.load(dir) };
  }
  return speechModel.model;
}

function speechScorer(dir: string) {
  return async (mono: Float32Array, sampleRate: number): Promise<SpeechScoring> => {
    try {
      return { scores: (await loadSpeechModel(dir)).score(mono, sampleRate) };
    } catch (error) {
      speechModel = undefined;
      return { unavailable: error instanceof Error ? error.message : String(error) };
    }
  };
}

async function analyseSource({ source, rules, speechModel: dir }: AnalysisTask): Promise<ClipAnalysis> {
  if ('path' in source && !detectAudioType(await head(source.path))) {
    // Refuse what is not audio without reading all of it.
    return { ok: false, problem: 'AudioUndecodable', reason: UNRECOGNISED_REASON };
  }
  const bytes = 'bytes' in source ? source.bytes : await readFile(source.path);
  return analyseClip(bytes, rules, dir === undefined ? undefined : speechScorer(dir));
}

export default async function analyse(task: AnalysisTask): Promise<AnalysisReport> {
  const analysis = await analyseSource(task);
  return { analysis, threadId, externalBytes: process.memoryUsage().external };
}
