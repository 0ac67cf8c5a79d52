import { sameLanguage } from './macrolanguages.js';
import type { SpeechLanguageScores } from './speech-model.js';
import type { LanguageTag } from './tags.js';

/**
 * What spoken-language ID made of a clip, next to the language the speaker declared. Like text
 * LID it never refuses a clip: a mismatch only flags it for validators. Without a model (or
 * for a language the model was not trained on) the declared language stands, and the result
 * says why with `reason`.
 */
export interface SpeechLanguageId {
  /** ISO 639-3 code the model heard; `und` when it could not judge (see `reason`). */
  code: string;
  bcp47: string;
  /** The model's probability for `code` among the node's languages; 0 with `und`. */
  confidence: number;
  /** ISO 15924 for unwritten content: speech has no script. */
  script: 'Zxxx';
  /** `speech-<12 hex>`, or `none` when the node has no speech model. */
  model: string;
  mismatch: 'language' | null;
  reason: SpeechUndeterminedReason | null;
  alternatives: { code: string; bcp47: string; confidence: number }[];
}

export type SpeechUndeterminedReason =
  /** The node has no speech model (`lid.speechModel` in node.json). */
  | 'NoSpeechModel'
  /** The node's speech model could not be loaded; the node's log says why. */
  | 'SpeechModelUnavailable'
  /** The model was not trained on the declared language, so it cannot say whether this is it. */
  | 'LanguageNotInModel'
  /** No frame of the clip carries speech the model can hear. */
  | 'NoSpeech';

/**
 * How far the heard language's probability must be ahead of the declared one's before the clip
 * is flagged. Measured on the 50 held-out espeak-ng clips of test/language/speech-lid.test.ts,
 * each declared as each of the three languages: 0 of the 50 declared rightly are flagged, and
 * 99 of the 100 declared wrongly (leads 0.44–1.0, most above 0.8).
 */
export const SPEECH_MISMATCH_MIN_LEAD = 0.5;

export const NO_SPEECH_MODEL = 'none';

export function speechUndetermined(reason: SpeechUndeterminedReason, model = NO_SPEECH_MODEL): SpeechLanguageId {
  return { code: 'und', bcp47: 'und', confidence: 0, script: 'Zxxx', model, mismatch: null, reason, alternatives: [] };
}

/**
 * Judges the model's scores for a clip declared as `declared`, among `candidates` (ISO 639-3:
 * the node's languages and contact languages, as for text): the model's other languages are
 * left out and the rest renormalised, so a model shared by many nodes answers for this one.
 */
export function identifySpeechLanguage(
  declared: LanguageTag,
  scores: SpeechLanguageScores | null,
  candidates: readonly string[],
  model: string,
): SpeechLanguageId {
  if (!scores) return speechUndetermined('NoSpeech', model);
  const ranked = scores.labels
    .map((label, i) => ({ ...label, p: scores.probabilities[i] ?? 0 }))
    .filter((label) => candidates.some((code) => sameLanguage(label.code, code)));
  const declaredLabels = ranked.filter((label) => sameLanguage(label.code, declared.iso639_3));
  if (declaredLabels.length === 0) return speechUndetermined('LanguageNotInModel', model);

  const total = ranked.reduce((sum, label) => sum + label.p, 0) || 1;
  ranked.sort((a, b) => b.p - a.p);
  const best = ranked[0]!;
  const declaredP = Math.max(...declaredLabels.map((label) => label.p));
  const heardOther = !sameLanguage(best.code, declared.iso639_3);
  const round = (p: number) => Number((p / total).toFixed(4));
  return {
    code: best.code,
    bcp47: best.tag,
    confidence: round(best.p),
    script: 'Zxxx',
    model,
    mismatch: heardOther && (best.p - declaredP) / total >= SPEECH_MISMATCH_MIN_LEAD ? 'language' : null,
    reason: null,
    alternatives: ranked.slice(1).map((label) => ({ code: label.code, bcp47: label.tag, confidence: round(label.p) })),
  };
}
