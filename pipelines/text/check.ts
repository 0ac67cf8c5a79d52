import { firstScriptOutside } from '../language/scripts.js';
import type { LanguageTag } from '../language/tags.js';
import { normalizeText } from './normalize.js';
import { sentenceRulesFor } from './rules/index.js';
import type { SentenceRules } from './rules/index.js';

/** Stable codes; they double as i18n keys (`errors:TextTooLong`). */
/** Stable codes: the API answers with them and the app translates them (`errors:<code>`). */
export const TEXT_PROBLEMS = [
  'TextEmpty',
  'TextTooLong',
  'TextTooShort',
  'TextControlCharacters',
  'SentenceHasDigits',
  'SentenceHasSymbols',
  'SentenceTooManyWords',
  'SentenceWrongScript',
  'SentenceHasUrl',
] as const;
export type TextProblem = (typeof TEXT_PROBLEMS)[number];

export type TextCheck = { ok: true; text: string } | { ok: false; problem: TextProblem; detail: string };

// C0 and C1 controls and DEL, except tab, line feed and carriage return (CRLF is an ordinary
// line ending, which normalisation turns into \n), and lone surrogates: none of these is text,
// and normalising would silently hide that the input was corrupt.
const controlCharacter = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\p{Cs}]/u;
const url =
  /(?:\b[a-z][a-z0-9+.-]*:\/\/|\bwww\.)\S+|[^\s@]+@[^\s@]+\.[^\s@]+|\b[a-z0-9-]+\.(?:com|org|net|edu|gov|info|io)\b/iu;
const digit = /\p{N}+/u;
// Emoji and pictographs have no reading in any language.
const pictograph = /\p{Extended_Pictographic}/u;
const word = /[\p{L}\p{M}\p{N}\u200C\u200D]+(?:['’ʼ\-‐][\p{L}\p{M}\p{N}\u200C\u200D]+)*/gu;

const scriptNames = new Intl.DisplayNames(['en'], { type: 'script', fallback: 'code' });

function fail(problem: TextProblem, detail: string): TextCheck {
  return { ok: false, problem, detail };
}

function codePointLength(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    length++;
  }
  return length;
}

function describeCodePoint(character: string): string {
  const hex = (character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return `U+${hex}`;
}

function controlCharacterProblem(input: string): TextCheck | null {
  const found = controlCharacter.exec(input)?.[0];
  if (found === undefined) return null;
  return fail(
    'TextControlCharacters',
    `The text contains an invisible control character (${describeCodePoint(found)}), usually left over from copying out of another program. Remove it and send the text again.`,
  );
}

function languageName(tag: LanguageTag): string {
  return tag.name.replace(/ \((?:macrolanguage|individual language)\)$/, '');
}

function firstForbiddenSymbol(text: string, rules: SentenceRules): string | undefined {
  for (const character of text) {
    if (rules.forbiddenSymbols.includes(character)) return character;
  }
  return pictograph.exec(text)?.[0];
}

function applyReplacements(text: string, rules: SentenceRules): string {
  let result = text;
  for (const [from, to] of rules.replacements) result = result.replaceAll(from, to);
  return result;
}

/** Checks a prompt, a sentence volunteers will read aloud, against its language's rules. */
export function checkSentence(input: string, tag: LanguageTag): TextCheck {
  const control = controlCharacterProblem(input);
  if (control) return control;

  const rules = sentenceRulesFor(tag);
  const text = normalizeText(applyReplacements(input, rules));
  if (text === '') return fail('TextEmpty', 'The sentence is empty. Write a sentence to be read aloud.');

  const length = codePointLength(text);
  if (length > rules.maxChars) {
    return fail(
      'TextTooLong',
      `The sentence is ${length} characters long; sentences to read aloud may have at most ${rules.maxChars}. Split it into shorter sentences.`,
    );
  }
  if (length < rules.minChars) {
    return fail(
      'TextTooShort',
      `The sentence is ${length} characters long; it needs at least ${rules.minChars} to make a useful recording.`,
    );
  }

  const address = url.exec(text)?.[0];
  if (address !== undefined) {
    return fail(
      'SentenceHasUrl',
      `The sentence contains a web or email address ("${address}"), which people read aloud in different ways. Remove it.`,
    );
  }

  const symbol = firstForbiddenSymbol(text, rules);
  if (symbol !== undefined) {
    return fail(
      'SentenceHasSymbols',
      `The sentence contains "${symbol}", which has no single way to be read aloud. Remove it or write it out in words.`,
    );
  }

  const number = rules.allowDigits ? undefined : digit.exec(text)?.[0];
  if (number !== undefined) {
    return fail(
      'SentenceHasDigits',
      `The sentence contains the number "${number}". Write numbers out in words, the way they should be read.`,
    );
  }

  const foreignScript = firstScriptOutside(text, rules.allowedScripts);
  if (foreignScript !== null) {
    const allowed = rules.allowedScripts.map((code) => scriptNames.of(code) ?? code).join(' or ');
    return fail(
      'SentenceWrongScript',
      `The sentence contains letters in ${scriptNames.of(foreignScript) ?? foreignScript} script, but ${languageName(tag)} sentences here are written in ${allowed} script. Remove or transliterate those words.`,
    );
  }

  if (rules.maxWords !== null) {
    const words = text.match(word)?.length ?? 0;
    if (words > rules.maxWords) {
      return fail(
        'SentenceTooManyWords',
        `The sentence has ${words} words; sentences to read aloud may have at most ${rules.maxWords}. Split it into shorter sentences.`,
      );
    }
  }

  return { ok: true, text };
}

/** Checks a free-text contribution: any content, but real text of bounded size. */
export function checkTextSample(input: string, limits: { maxChars: number; minChars?: number }): TextCheck {
  const control = controlCharacterProblem(input);
  if (control) return control;

  const text = normalizeText(input, { keepNewlines: true });
  if (text === '') return fail('TextEmpty', 'The text is empty or only whitespace. Write something before sending it.');

  const length = codePointLength(text);
  if (length > limits.maxChars) {
    return fail(
      'TextTooLong',
      `The text is ${length} characters long; the limit is ${limits.maxChars}. Split it into shorter parts and send them one by one.`,
    );
  }
  const minChars = limits.minChars ?? 1;
  if (length < minChars) {
    return fail('TextTooShort', `The text is ${length} characters long; it needs at least ${minChars}.`);
  }
  return { ok: true, text };
}
