// Piscina worker: one clip at a time per thread, so the HTTP event loop never decodes audio.
import { readFile } from 'node:fs/promises';
import { analyseClip, type ClipAnalysis } from './analyse.js';
import type { ScreeningRules } from './screen.js';

/** A clip in memory, or a file the worker reads itself so the main thread never copies it. */
export type ClipSource = { bytes: Uint8Array } | { path: string };

export interface AnalysisTask {
  source: ClipSource;
  rules: ScreeningRules;
}

export default async function analyse({ source, rules }: AnalysisTask): Promise<ClipAnalysis> {
  const bytes = 'bytes' in source ? source.bytes : new Uint8Array(await readFile(source.path));
  return analyseClip(bytes, rules);
}
