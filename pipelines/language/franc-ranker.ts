import { data } from 'franc-all/data.js';
import { expressions } from 'franc-all/expressions.js';
import { codePointTable } from './code-point-table.js';

/** `[ISO 639-3 code, score]`, best first, as franc's `francAll` returns them. */
export type RankedLanguages = Array<[string, number]>;

export type FrancRanker = (value: string) => RankedLanguages;

/**
 * A language franc has no model of, profiled the way franc's own models are (trigramProfile)
 * from text a node knows to be in it, so that the ranker can weigh it with franc's languages.
 */
export interface ExtraProfile {
  code: string;
  /** franc's name of the script whose models it joins (`Latin`, `Cyrillic`; see `francScript`). */
  script: string;
  /** Trigrams, most frequent first, joined by `|` as in franc's data. */
  trigrams: string;
}

// franc's constants: it reads at most 2048 code units and charges 300 for a trigram the
// language's model lacks.
const MAX_LENGTH = 2048;
const MAX_DIFFERENCE = 300;

// Which of franc's expressions match a character depends only on franc's data, so the table is
// shared by every ranker. A character can match several (Han is both `cmn` and `jpn`); each
// distinct combination gets a number.
const scriptNames = Object.keys(expressions);
const patterns = Object.values(expressions).map((pattern) => new RegExp(pattern.source, 'g'));
const combinations: number[][] = [];
const combinationIds = new Map<string, number>();
const classify = codePointTable((char) => {
  const matching: number[] = [];
  patterns.forEach((pattern, index) => {
    pattern.lastIndex = 0;
    // No expression matches one character more than once (checked by the tests).
    if (pattern.test(char)) matching.push(index);
  });
  const key = matching.join(',');
  let id = combinationIds.get(key);
  if (id === undefined) {
    id = combinations.length;
    combinations.push(matching);
    combinationIds.set(key, id);
  }
  return id;
});

/**
 * franc-all's decision compiled once for a fixed set of allowed languages (franc's `only`, except
 * that an empty set allows nothing rather than everything).
 * Same data, same arithmetic, same tie order, so the answers are franc's (a test compares them
 * on thousands of texts), at a fraction of the cost: franc filters its ~400 models and runs 36
 * regular expressions over the text on every call, and looks each trigram up once per language;
 * here the models of the allowed languages are merged into one map (trigram → weight in each
 * language) and the script of each character is looked up in a table.
 */
export function createFrancRanker(only: readonly string[], minLength: number, extra: readonly ExtraProfile[] = []): FrancRanker {
  const allowed = new Set(only);
  const scripts = scriptNames.map((name) => compileScript(name, allowed, extra));
  const counts = new Int32Array(scriptNames.length);

  return (input) => {
    if (!input || input.length < minLength) return undetermined();
    const value = input.slice(0, MAX_LENGTH);
    const top = topScript(value, counts);
    const script = scripts[top]!;
    if (script.kind === 'single') {
      return counts[top] === 0 || !allowed.has(script.code) ? undetermined() : [[script.code, 1]];
    }
    if (script.languages.length === 0) return undetermined();
    return normalize(value, distances(trigramCounts(value), script));
  };
}

/** franc's script decision: the index of the expression with most characters (counts filled in). */
function topScript(value: string, counts: Int32Array): number {
  counts.fill(0);
  for (let i = 0; i < value.length; i++) {
    // A surrogate pair is one code point (and two steps); a lone surrogate stands for itself.
    const codePoint = value.codePointAt(i)!;
    if (codePoint > 0xffff) i++;
    for (const script of combinations[classify(codePoint)]!) counts[script]!++;
  }
  // franc keeps the first script with the highest count, starting below zero: a text with no
  // script at all lands on the first expression with a count of 0.
  let top = 0;
  for (let script = 1; script < counts.length; script++) if (counts[script]! > counts[top]!) top = script;
  return top;
}

/**
 * The script franc would read `text` in, by its own name, and whether franc compares trigrams
 * there (`modelled`) or decides by the script alone (Bengali, Thai: one language each).
 */
export function francScript(text: string): { script: string; modelled: boolean } {
  const script = scriptNames[topScript(text.slice(0, MAX_LENGTH), new Int32Array(scriptNames.length))]!;
  return { script, modelled: script in (data as Record<string, unknown>) };
}

/** franc's profile of a language from texts in it: its 300 most frequent trigrams, most frequent first. */
export function trigramProfile(texts: readonly string[], size = 300): string {
  const counts = new Map<number, number>();
  for (const text of texts) for (const [trigram, count] of trigramCounts(text.slice(0, MAX_LENGTH))) counts.set(trigram, (counts.get(trigram) ?? 0) + count);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, size)
    .map(([key]) => String.fromCharCode(Math.floor(key / 0x100000000), Math.floor(key / 0x10000) & 0xffff, key & 0xffff))
    .join('|');
}

interface ModelledScript {
  kind: 'modelled';
  /** Allowed languages of this script, in franc's order. */
  languages: string[];
  /** Trigram (as `trigramKey`) → its weight in each allowed language (-1 where the language lacks it). */
  weights: Map<number, Int16Array>;
}

type Script = ModelledScript | { kind: 'single'; code: string };

function compileScript(name: string, allowed: ReadonlySet<string>, extra: readonly ExtraProfile[]): Script {
  const francModels = (data as Record<string, Record<string, string>>)[name];
  if (!francModels) return { kind: 'single', code: name };
  const models: Record<string, string> = { ...francModels };
  for (const profile of extra) if (profile.script === name && !(profile.code in models)) models[profile.code] = profile.trigrams;
  const languages = Object.keys(models).filter((code) => allowed.has(code));
  const weights = new Map<number, Int16Array>();
  languages.forEach((code, index) => {
    // A model lists trigrams most frequent first; franc's weight is the (first) position.
    models[code]!.split('|').forEach((trigram, weight) => {
      const key = trigramKey(trigram, 0);
      let row = weights.get(key);
      if (!row) weights.set(key, (row = new Int16Array(languages.length).fill(-1)));
      if (row[index] === -1) row[index] = weight;
    });
  });
  return { kind: 'modelled', languages, weights };
}

const symbolsAndDigits = /[\u0021-\u0040]+/g;
const whitespace = /\s+/g;

/**
 * Three UTF-16 code units (franc slices by code unit) as one number, so that counting and
 * looking up trigrams allocates no strings.
 */
function trigramKey(text: string, at: number): number {
  return text.charCodeAt(at) * 0x100000000 + text.charCodeAt(at + 1) * 0x10000 + text.charCodeAt(at + 2);
}

/** franc's trigrams (trigram-utils): ASCII symbols and digits dropped, lower-cased, padded. */
function trigramCounts(value: string): Map<number, number> {
  const cleaned = ' ' + value.replace(symbolsAndDigits, ' ').replace(whitespace, ' ').trim().toLowerCase() + ' ';
  const counts = new Map<number, number>();
  for (let i = 0; i + 3 <= cleaned.length; i++) {
    const key = trigramKey(cleaned, i);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function distances(trigrams: Map<number, number>, script: ModelledScript): RankedLanguages {
  const totals = new Float64Array(script.languages.length);
  let unknown = 0;
  for (const [trigram, count] of trigrams) {
    const row = script.weights.get(trigram);
    if (!row) {
      unknown++;
      continue;
    }
    for (let language = 0; language < totals.length; language++) {
      const weight = row[language]!;
      // franc compares the text's count of a trigram with the trigram's position in the model.
      totals[language]! += weight < 0 ? MAX_DIFFERENCE : Math.abs(count - weight - 1);
    }
  }
  // A trigram no allowed model has costs every language the most.
  const ranked: RankedLanguages = script.languages.map((code, index) => [code, totals[index]! + unknown * MAX_DIFFERENCE]);
  return ranked.sort((a, b) => a[1] - b[1]);
}

/** franc's scores: 1 for the nearest language, less by the share of the remaining distance. */
function normalize(value: string, ranked: RankedLanguages): RankedLanguages {
  const min = ranked[0]![1];
  const max = value.length * MAX_DIFFERENCE - min;
  for (const entry of ranked) entry[1] = 1 - (entry[1] - min) / max || 0;
  return ranked;
}

function undetermined(): RankedLanguages {
  return [['und', 1]];
}
