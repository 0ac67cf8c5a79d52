import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLanguageTag } from '../language/tags.js';
import type { LanguageTag } from '../language/tags.js';
import { checkSentence, checkTextSample } from './check.js';
import { normalizeText, textKey } from './normalize.js';

const tags: LanguageTag[] = ['sw', 'yo', 'pa-Arab', 'am', 'th', 'zh', 'ja'].map((input) => {
  const parsed = parseLanguageTag(input);
  if (!parsed) throw new Error(`test tag ${input} did not parse`);
  return parsed;
});

// Arbitrary UTF-16, lone surrogates included, plus whole code points from anywhere in Unicode.
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: fc.constantFrom(' ', '\u00A0', '\n', '\u200B', '\u200D', '\u0301', '\u0329', 'ẹ', 'a', '.', '’'), maxLength: 60 }),
);

describe('text checks on arbitrary input', () => {
  it('checkTextSample never throws, and what it accepts is already normal', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 1, max: 300 }), (input, maxChars) => {
        const check = checkTextSample(input, { maxChars });
        if (check.ok) {
          expect(check.text).not.toBe('');
          expect(normalizeText(check.text, { keepNewlines: true })).toBe(check.text);
          expect(checkTextSample(check.text, { maxChars })).toEqual(check);
        } else {
          expect(check.detail.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('checkSentence never throws, and what it accepts is already normal', () => {
    fc.assert(
      fc.property(anyText, fc.constantFrom(...tags), (input, tag) => {
        const check = checkSentence(input, tag);
        if (check.ok) {
          expect(normalizeText(check.text)).toBe(check.text);
          expect(checkSentence(check.text, tag)).toEqual(check);
        } else {
          expect(check.detail.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('normalizeText and textKey are idempotent', () => {
    fc.assert(
      fc.property(anyText, fc.boolean(), (input, keepNewlines) => {
        const once = normalizeText(input, { keepNewlines });
        expect(normalizeText(once, { keepNewlines })).toBe(once);
        const key = textKey(input);
        expect(textKey(key)).toBe(key);
      }),
      { numRuns: 2000 },
    );
  });
});
