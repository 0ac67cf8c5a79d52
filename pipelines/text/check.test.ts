import { describe, expect, it } from 'vitest';
import { parseLanguageTag } from '../language/tags.js';
import type { LanguageTag } from '../language/tags.js';
import { checkSentence, checkTextSample } from './check.js';
import type { TextCheck, TextProblem } from './check.js';

function tag(input: string): LanguageTag {
  const parsed = parseLanguageTag(input);
  if (!parsed) throw new Error(`test tag ${input} did not parse`);
  return parsed;
}

function problemOf(check: TextCheck): TextProblem | null {
  return check.ok ? null : check.problem;
}

const sw = tag('sw');

describe('checkSentence', () => {
  it('accepts an ordinary sentence and returns it normalised', () => {
    expect(checkSentence('  Daktari amesema  nipumzike kwa siku tatu. ', sw)).toEqual({
      ok: true,
      text: 'Daktari amesema nipumzike kwa siku tatu.',
    });
  });

  it.each<[string, string, TextProblem]>([
    ['empty', ' \u00A0\u200B ', 'TextEmpty'],
    ['too short', 'Ni', 'TextTooShort'],
    ['too long', `${'Watoto wanacheza nje '.repeat(7)}.`, 'TextTooLong'],
    ['a URL', 'Tembelea https://example.org kwa habari zaidi.', 'SentenceHasUrl'],
    ['a bare domain', 'Habari zaidi ziko kwenye tovuti ya tributary.org leo.', 'SentenceHasUrl'],
    ['an email address', 'Niandikie kwa juma@example.co.ke tafadhali.', 'SentenceHasUrl'],
    ['a hashtag', 'Tunapenda #Kiswahili sana.', 'SentenceHasSymbols'],
    ['markup', 'Hii ni <b>muhimu</b> sana.', 'SentenceHasSymbols'],
    ['an emoji', 'Nimefurahi sana leo 😀', 'SentenceHasSymbols'],
    ['digits', 'Nina miaka 25 sasa.', 'SentenceHasDigits'],
    ['Arabic-Indic digits', 'Nina miaka ٢٥ sasa.', 'SentenceHasDigits'],
    ['a fraction', 'Nimekula ½ ya mkate.', 'SentenceHasDigits'],
    ['Cyrillic letters', 'Habari za asubuhi, друг.', 'SentenceWrongScript'],
    ['fifteen words', 'moja mbili tatu nne tano sita saba nane tisa kumi moja mbili tatu nne tano', 'SentenceTooManyWords'],
    ['a bell character', 'Habari\u0007 yako?', 'TextControlCharacters'],
  ])('refuses %s', (_what, input, problem) => {
    expect(problemOf(checkSentence(input, sw))).toBe(problem);
  });

  it('explains each refusal in a sentence a person can act on', () => {
    const check = checkSentence('moja mbili tatu nne tano sita saba nane tisa kumi moja mbili tatu nne tano', sw);
    expect(check).toMatchObject({
      ok: false,
      detail: 'The sentence has 15 words; sentences to read aloud may have at most 14. Split it into shorter sentences.',
    });
    expect(checkSentence('Habari za asubuhi, друг.', sw)).toMatchObject({
      ok: false,
      detail: expect.stringContaining('Cyrillic script, but Swahili sentences here are written in Latin script'),
    });
  });

  it('counts fourteen words as fine, and keeps apostrophe and hyphen words whole', () => {
    expect(checkSentence('moja mbili tatu nne tano sita saba nane tisa kumi moja mbili tatu nne', sw).ok).toBe(true);
    expect(checkSentence("ng'ombe ng'ombe ng'ombe ng'ombe ng'ombe ng'ombe ng'ombe ng'ombe ng'ombe ng'ombe ng'ombe ng'ombe ng'ombe ng'ombe", sw).ok).toBe(true);
  });

  it('folds Swahili apostrophes to one form', () => {
    expect(checkSentence('Ng’ombe wangu ni mweupe.', sw)).toEqual({ ok: true, text: "Ng'ombe wangu ni mweupe." });
    expect(checkSentence('Ngʼombe wangu ni mweupe.', tag('swh'))).toEqual({ ok: true, text: "Ng'ombe wangu ni mweupe." });
    expect(checkSentence('I’m here.', tag('en'))).toEqual({ ok: true, text: 'I’m here.' });
  });

  it('keeps Yoruba tone marks and folds the vertical-line under-dot to the dot below', () => {
    const yo = tag('yo');
    expect(checkSentence('Àwọn àgbẹ̀ ń dúró de òjò.', yo)).toEqual({ ok: true, text: 'Àwọn àgbẹ̀ ń dúró de òjò.' });
    // e̩ (e + U+0329) becomes ẹ (U+1EB9), and with a grave tone ẹ̀.
    expect(checkSentence('Owo e\u0329 ti to\u0329\u0300.', yo)).toEqual({ ok: true, text: 'Owo \u1EB9 ti t\u1ECD\u0300.' });
  });

  it('applies the script of the tag: both Punjabi scripts for pa, only Shahmukhi for pa-Arab', () => {
    expect(checkSentence('ਅੱਜ ਸਵੇਰੇ ਮੀਂਹ ਪੈ ਰਿਹਾ ਸੀ।', tag('pa')).ok).toBe(true);
    expect(checkSentence('اج سویرے مینہ پے رہیا سی۔', tag('pa')).ok).toBe(true);
    expect(checkSentence('اج سویرے مینہ پے رہیا سی۔', tag('pa-Arab')).ok).toBe(true);
    expect(problemOf(checkSentence('ਅੱਜ ਸਵੇਰੇ ਮੀਂਹ ਪੈ ਰਿਹਾ ਸੀ।', tag('pa-Arab')))).toBe('SentenceWrongScript');
  });

  it('refuses Latin letters in an Amharic sentence and Ethiopic numerals as digits', () => {
    const am = tag('am');
    expect(checkSentence('ዛሬ ጠዋት ወደ ገበያ ሄጄ ቲማቲምና ሽንኩርት ገዛሁ።', am).ok).toBe(true);
    expect(problemOf(checkSentence('ዛሬ ጠዋት ወደ market ሄጄ።', am))).toBe('SentenceWrongScript');
    expect(problemOf(checkSentence('ዛሬ ፫ ቲማቲም ገዛሁ።', am))).toBe('SentenceHasDigits');
  });

  it('bounds Thai and Chinese by characters, not words', () => {
    const thai = 'วันนี้ฝนตกหนักมาก ';
    expect(checkSentence(thai.repeat(5), tag('th')).ok).toBe(true);
    expect(problemOf(checkSentence(thai.repeat(6), tag('th')))).toBe('TextTooLong');
    expect(checkSentence('今天早上下了很大的雨。', tag('zh')).ok).toBe(true);
    expect(problemOf(checkSentence('今天早上下了很大的雨。'.repeat(5), tag('zh')))).toBe('TextTooLong');
  });

  it('accepts a Japanese sentence mixing kanji, hiragana and katakana', () => {
    expect(checkSentence('今日はコンビニでお弁当を買いました。', tag('ja')).ok).toBe(true);
  });
});

describe('checkTextSample', () => {
  const limits = { maxChars: 50 };

  it('keeps paragraphs as single newlines', () => {
    expect(checkTextSample('Mstari wa kwanza.\r\n\r\nMstari wa pili.\tMwisho. ', limits)).toEqual({
      ok: true,
      text: 'Mstari wa kwanza.\nMstari wa pili. Mwisho.',
    });
  });

  it('refuses empty and whitespace-only text', () => {
    expect(problemOf(checkTextSample('', limits))).toBe('TextEmpty');
    expect(problemOf(checkTextSample(' \n\t\u00A0\u3000\uFEFF ', limits))).toBe('TextEmpty');
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['escape', 'a\u001B[31mb'],
    ['DEL', 'a\u007Fb'],
    ['a C1 control', 'a\u0085b'],
    ['vertical tab', 'a\u000Bb'],
    ['a lone high surrogate', 'a\uD83Db'],
    ['a lone low surrogate', '\uDE00'],
  ])('refuses %s on the raw input', (_what, input) => {
    expect(problemOf(checkTextSample(input, limits))).toBe('TextControlCharacters');
  });

  it('allows tabs, newlines, carriage returns and emoji (a real surrogate pair)', () => {
    expect(checkTextSample('a\tb\r\nc 😀', limits)).toEqual({ ok: true, text: 'a b\nc 😀' });
  });

  it('counts code points after normalising against maxChars', () => {
    expect(checkTextSample('😀'.repeat(50), limits).ok).toBe(true);
    expect(problemOf(checkTextSample('😀'.repeat(51), limits))).toBe('TextTooLong');
    expect(checkTextSample(`${'a'.repeat(50)}          `, limits).ok).toBe(true);
    // decomposed é counts once after NFC
    expect(checkTextSample('e\u0301'.repeat(50), limits).ok).toBe(true);
  });

  it('applies minChars when given', () => {
    expect(problemOf(checkTextSample('Ndiyo', { maxChars: 50, minChars: 10 }))).toBe('TextTooShort');
    expect(checkTextSample('Ndiyo', limits).ok).toBe(true);
  });
});
