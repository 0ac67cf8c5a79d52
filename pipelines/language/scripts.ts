import { codePointTable } from './code-point-table.js';
import type { LanguageTag } from './tags.js';
import { defaultScripts, detectableScripts, languageScripts, scriptAliases } from './writing-systems.js';

/** ISO 15924 code of the dominant script among letters; `ratio` is that script's share of letters. */
export interface ScriptDetection {
  script: string;
  ratio: number;
}

/** `ScriptDetection` plus the letter count, for callers that need both from one pass. */
export interface ScriptCounts extends ScriptDetection {
  letters: number;
  /**
   * Letters and combining marks: how long the text is as its readers count. Devanagari, Tamil,
   * Thai… write most vowels as marks, so `सहेजें` is 3 letters but 6 characters.
   */
  characters: number;
  /** The script with the most letters after `script`, and its share; null when there is none. */
  second: ScriptDetection | null;
}

/** No letters at all (digits, punctuation, emoji, empty). */
export const NO_SCRIPT = 'Zyyy';
/** Letters mostly in a script outside `detectableScripts`. */
export const UNKNOWN_SCRIPT = 'Zzzz';

const letterPattern = /^\p{L}$/u;
// Only letters count towards a script: combining marks, digits and punctuation are shared across
// scripts (Script=Inherited/Common) or, like Indic vowel signs, would double-count a syllable.
// Marks count towards a text's length (`characters`).
const scriptPatterns: readonly RegExp[] = detectableScripts.map((code) => new RegExp(`^\\p{sc=${code}}$`, 'u'));
const NOT_A_LETTER = detectableScripts.length;
const UNPLACED_LETTER = detectableScripts.length + 1;
const MARK = detectableScripts.length + 2;
const markPattern = /^\p{M}$/u;
// Each character's class, worked out with the patterns above on first sight: the index of its
// script in `detectableScripts`, or one of the markers (not a letter, a letter of no detectable
// script, a combining mark).
const classOf = codePointTable((char) => {
  if (markPattern.test(char)) return MARK;
  if (!letterPattern.test(char)) return NOT_A_LETTER;
  const script = scriptPatterns.findIndex((pattern) => pattern.test(char));
  return script === -1 ? UNPLACED_LETTER : script;
});
const counts = new Int32Array(detectableScripts.length + 3);

export function countScripts(text: string): ScriptCounts {
  counts.fill(0);
  for (let i = 0; i < text.length; i++) {
    // A surrogate pair is one code point (and two steps); a lone surrogate stands for itself.
    const codePoint = text.codePointAt(i)!;
    if (codePoint > 0xffff) i++;
    counts[classOf(codePoint)]!++;
  }
  const unplaced = counts[UNPLACED_LETTER]!;
  let letters = unplaced;
  let best = -1;
  let next = -1;
  for (let script = 0; script < NOT_A_LETTER; script++) {
    const count = counts[script]!;
    letters += count;
    if (count > (best === -1 ? 0 : counts[best]!)) {
      next = best;
      best = script;
    } else if (count > (next === -1 ? 0 : counts[next]!)) {
      next = script;
    }
  }
  const characters = letters + counts[MARK]!;
  if (letters === 0) return { script: NO_SCRIPT, ratio: 0, letters, characters, second: null };
  const bestCount = best === -1 ? 0 : counts[best]!;
  if (unplaced > bestCount) return { script: UNKNOWN_SCRIPT, ratio: unplaced / letters, letters, characters, second: null };
  const second = next === -1 ? null : { script: detectableScripts[next]!, ratio: counts[next]! / letters };
  return { script: detectableScripts[best]!, ratio: bestCount / letters, letters, characters, second };
}

export function detectScript(text: string): ScriptDetection {
  const { script, ratio } = countScripts(text);
  return { script, ratio };
}

function expandAliases(scripts: readonly string[]): string[] {
  return scripts.flatMap((script) => scriptAliases[script] ?? [script]);
}

/** The Unicode scripts text in this language is expected to use. */
export function expectedScripts(tag: LanguageTag): string[] {
  if (tag.script) return expandAliases([tag.script]);
  return expandAliases(languageScripts[tag.iso639_3] ?? defaultScripts);
}

// One compiled pattern per allowed-script set; the sets come from tags, so there are at most
// as many as there are script combinations in use.
const outsidePatterns = new Map<string, RegExp | null>();

// A letter that belongs to none of `scripts`; Common and Inherited letters (modifier letter
// apostrophe ʼ, ordinal ª) belong to every script. Null when a code is not a Unicode script
// (e.g. Maya), in which case no letter can be judged.
function outsidePattern(scripts: readonly string[]): RegExp | null {
  const key = scripts.join(',');
  let pattern = outsidePatterns.get(key);
  if (pattern === undefined) {
    const allowed = [...scripts, 'Zyyy', 'Zinh'].map((code) => `\\p{sc=${code}}`).join('');
    try {
      pattern = new RegExp(`[^\\P{L}${allowed}]`, 'u');
    } catch {
      pattern = null;
    }
    outsidePatterns.set(key, pattern);
  }
  return pattern;
}

/**
 * The script of the first letter not written in one of `scripts` (`Zzzz` when it is in a
 * script detection does not know), or null when every letter fits.
 */
export function firstScriptOutside(text: string, scripts: readonly string[]): string | null {
  const pattern = outsidePattern(scripts);
  if (!pattern) return null;
  const letter = pattern.exec(text)?.[0];
  if (letter === undefined) return null;
  return countScripts(letter).script;
}
