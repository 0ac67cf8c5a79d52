import { describe, expect, it } from 'vitest';
import { parseLanguageTag } from '../../language/tags.js';
import type { LanguageTag } from '../../language/tags.js';
import { defaultRules } from './default.js';
import { sentenceRulesFor } from './index.js';

function tag(input: string): LanguageTag {
  const parsed = parseLanguageTag(input);
  if (!parsed) throw new Error(`test tag ${input} did not parse`);
  return parsed;
}

describe('sentenceRulesFor', () => {
  it('gives languages without their own file the Common Voice-like defaults', () => {
    const rules = sentenceRulesFor(tag('ha'));
    expect(rules).toMatchObject({ minChars: 3, maxChars: 125, maxWords: 14, allowDigits: false });
    expect(rules.allowedScripts).toEqual(['Latn']);
    expect(rules.forbiddenSymbols).toContain('@');
  });

  it('takes the allowed scripts from the language, or from the tag when it names one', () => {
    expect(sentenceRulesFor(tag('am')).allowedScripts).toEqual(['Ethi']);
    expect(sentenceRulesFor(tag('pa')).allowedScripts).toEqual(['Guru', 'Arab']);
    expect(sentenceRulesFor(tag('pa-Arab')).allowedScripts).toEqual(['Arab']);
  });

  it('gives Swahili and Yoruba their spelling folds, for macrolanguage and individual codes alike', () => {
    expect(sentenceRulesFor(tag('sw')).replacements).toContainEqual(['\u2019', "'"]);
    expect(sentenceRulesFor(tag('swh')).replacements).toEqual(sentenceRulesFor(tag('sw')).replacements);
    expect(sentenceRulesFor(tag('yo')).replacements).toEqual([['\u0329', '\u0323']]);
    expect(sentenceRulesFor(tag('en')).replacements).toEqual([]);
  });

  it('counts characters instead of words where words are not spaced', () => {
    expect(sentenceRulesFor(tag('th'))).toMatchObject({ maxWords: null, maxChars: 100 });
    expect(sentenceRulesFor(tag('zh-Hans'))).toMatchObject({ maxWords: null, maxChars: 50, allowedScripts: ['Hani'] });
    expect(sentenceRulesFor(tag('yue'))).toMatchObject({ maxWords: null });
    expect(sentenceRulesFor(tag('ja'))).toMatchObject({ maxWords: null, allowedScripts: ['Hani', 'Hira', 'Kana'] });
  });

  it('does not let a language file change the shared defaults', () => {
    sentenceRulesFor(tag('th'));
    expect(defaultRules.maxWords).toBe(14);
    expect(sentenceRulesFor(tag('en')).maxWords).toBe(14);
  });
});
