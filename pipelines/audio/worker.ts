// Piscina worker: one clip at a time per thread, so the HTTP event loop never decodes audio.
import { analyseClip, type ClipAnalysis } from './analyse.js';
import type { ScreeningRules } from './screen.js';

export interface AnalysisTask {
  bytes: Uint8Array;
  rules: ScreeningRules;
}

export default function analyse({ bytes, rules }: AnalysisTask): Promise<ClipAnalysis> {
  return analyseClip(bytes, rules);
}
