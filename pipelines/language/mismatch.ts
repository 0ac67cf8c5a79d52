import type { LanguageIdResult } from './identify.js';
import { isModelled, sameLanguage } from './macrolanguages.js';
import { expectedScripts, NO_SCRIPT, UNKNOWN_SCRIPT } from './scripts.js';
import type { LanguageTag } from './tags.js';

/**
 * How far the detected language must be ahead of the declared one before the sample is
 * flagged. On the everyday sentences in test/fixtures/language/ (single-language nodes, text in the node's
 * language or a contact language), 0.1 flags 203 of 205 contact-language texts and 1 of 59
 * own-language texts; the top-vs-runner-up margin would have missed a tenth of them, because
 * English text often has German close behind it while the node's language is far away.
 */
export const LANGUAGE_MISMATCH_MIN_LEAD = 0.1;

/** A script must cover at least half the letters before it counts as the text's script. */
export const SCRIPT_MISMATCH_MIN_RATIO = 0.5;

/**
 * The detected language's lead over the declared one, in franc's normalised units. When the
 * declared language is not among the listed alternatives it scored at most the last of them,
 * so the lead is at least that far. Without alternatives the script alone decided (see
 * `identifyLanguage`) and the result's own score is all there is.
 */
function leadOverDeclared(declared: string, result: LanguageIdResult): number {
  if (result.alternatives.length === 0) return result.score;
  const alternative = result.alternatives.find((candidate) => sameLanguage(candidate.code, declared));
  const declaredScore = alternative?.score ?? result.alternatives[result.alternatives.length - 1]?.score ?? 0;
  return 1 - declaredScore;
}

/**
 * Why a sample should go to validators with a language flag, or null. Never a reason to
 * reject: short, mixed or unusual text is common and people judge it better.
 */
export function languageMismatch(declared: LanguageTag, result: LanguageIdResult): null | 'language' | 'script' {
  const { script, scriptRatio } = result;
  if (
    script !== NO_SCRIPT &&
    script !== UNKNOWN_SCRIPT &&
    scriptRatio >= SCRIPT_MISMATCH_MIN_RATIO &&
    !expectedScripts(declared).includes(script)
  ) {
    return 'script';
  }
  if (
    result.code !== 'und' &&
    !sameLanguage(result.code, declared.iso639_3) &&
    // franc cannot answer with a language it has no model of, so for such a language every
    // sample would "look like" its nearest modelled neighbour; only the script can be checked,
    // until the node's learned model knows the language.
    (isModelled(declared.iso639_3) || result.learned?.codes.includes(declared.iso639_3) === true) &&
    leadOverDeclared(declared.iso639_3, result) >= LANGUAGE_MISMATCH_MIN_LEAD
  ) {
    return 'language';
  }
  return null;
}
