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
}

/** No letters at all (digits, punctuation, emoji, empty). */
export const NO_SCRIPT = 'Zyyy';
/** Letters mostly in a script outside `detectableScripts`. */
export const UNKNOWN_SCRIPT = 'Zzzz';

const letterPattern = /\p{L}/gu;
// Only letters count: combining marks, digits and punctuation are shared across scripts
// (Script=Inherited/Common) or, like Indic vowel signs, would double-count a syllable.
const scriptLetterPatterns: ReadonlyArray<readonly [string, RegExp]> = detectableScripts.map(
  (code) => [code, new RegExp(`(?=\\p{L})\\p{sc=${code}}`, 'gu')] as const,
);

function countMatches(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

export function countScripts(text: string): ScriptCounts {
  const letters = countMatches(text, letterPattern);
  if (letters === 0) return { script: NO_SCRIPT, ratio: 0, letters };

  let best = UNKNOWN_SCRIPT;
  let bestCount = 0;
  let counted = 0;
  for (const [code, pattern] of scriptLetterPatterns) {
    const count = countMatches(text, pattern);
    if (count > bestCount) {
      best = code;
      bestCount = count;
    }
    counted += count;
    // Most text is in one script: stop once every letter has been placed.
    if (counted === letters) break;
  }
  const unplaced = letters - counted;
  if (unplaced > bestCount) return { script: UNKNOWN_SCRIPT, ratio: unplaced / letters, letters };
  return { script: best, ratio: bestCount / letters, letters };
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
