import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { everydaySentences } from '../../test/fixtures/language/everyday-sentences.js';
import { createLanguageIdentifier, identifyLanguage, LANGID_MODEL, languageMismatch } from './identify.js';
import { LANGUAGE_MISMATCH_MIN_LEAD } from './mismatch.js';
import { countScripts } from './scripts.js';
import { parseLanguageTag } from './tags.js';
import type { LanguageTag } from './tags.js';

function tag(input: string): LanguageTag {
  const parsed = parseLanguageTag(input);
  if (!parsed) throw new Error(`test tag ${input} did not parse`);
  return parsed;
}

function sentences(code: string): readonly string[] {
  const list = everydaySentences[code];
  if (!list?.length) throw new Error(`no everyday sentences for ${code}`);
  return list;
}

const contactTexts = ['eng', 'fra', 'por', 'spa'].flatMap(sentences);

describe('LANGID_MODEL', () => {
  it('names the installed franc-all version', () => {
    const { version } = createRequire(import.meta.url)('franc-all/package.json') as { version: string };
    expect(LANGID_MODEL.startsWith(`franc-all@${version}+`)).toBe(true);
  });
});

describe('identifyLanguage on a node with several languages', () => {
  const candidates = ['swa', 'yor', 'hau', 'ibo', 'zul', 'amh'];
  const all = Object.entries(everydaySentences).flatMap(([code, list]) => list.map((text) => ({ code, text })));

  it('identifies most everyday sentences, short ones included', () => {
    const right = all.filter(({ code, text }) => identifyLanguage(text, { candidates }).code === code);
    expect(right.length / all.length).toBeGreaterThanOrEqual(0.85);
  });

  it('gets every sentence of 40 letters or more in the node languages right', () => {
    let checked = 0;
    for (const code of candidates) {
      for (const text of sentences(code).filter((sentence) => countScripts(sentence).letters >= 40)) {
        expect(identifyLanguage(text, { candidates }).code, text).toBe(code);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });

  it('answers with the code the node declared, not franc’s individual language', () => {
    const result = identifyLanguage('Wakulima wanasubiri mvua ili waanze kupanda mahindi.', { candidates });
    expect(result.code).toBe('swa');
    expect(result.script).toBe('Latn');
    expect(result.model).toBe(LANGID_MODEL);
  });

  it('lists at most three alternatives, in the node’s codes, with scores in [0, 1]', () => {
    const result = identifyLanguage('Gwamnati ta ce za a bude makarantu a mako mai zuwa.', { candidates });
    expect(result.code).toBe('hau');
    expect(result.alternatives.length).toBe(3);
    expect(result.alternatives[0]?.code).toBe('swa');
    for (const alternative of result.alternatives) {
      expect(alternative.score).toBeGreaterThanOrEqual(0);
      expect(alternative.score).toBeLessThanOrEqual(1);
    }
    expect(result.score).toBeGreaterThan(0);
    expect(result.score).toBeLessThanOrEqual(1);
  });
});

describe('identifyLanguage on a single-language node', () => {
  it('still tells English apart from Swahili, thanks to the contact languages', () => {
    const swahili = tag('sw');
    const result = identifyLanguage('The doctor told me to rest for three days.', { candidates: ['swa'] });
    expect(result.code).toBe('eng');
    expect(result.score).toBeGreaterThan(0.2);
    expect(languageMismatch(swahili, result)).toBe('language');
  });

  it.each(['swa', 'yor', 'hau'])('flags contact-language text and (almost) never its own, node %s', (code) => {
    const declared = tag(code);
    const identify = createLanguageIdentifier({ candidates: [code] });
    const ownFlags = sentences(code).filter((text) => languageMismatch(declared, identify(text)) !== null);
    const contactFlags = contactTexts.filter((text) => languageMismatch(declared, identify(text)) === 'language');
    expect(ownFlags.length).toBeLessThanOrEqual(1);
    expect(contactFlags.length / contactTexts.length).toBeGreaterThanOrEqual(0.95);
  });

  it('uses only the contact languages it is given', () => {
    const result = identifyLanguage('The doctor told me to rest for three days.', {
      candidates: ['swa'],
      contactLanguages: ['fra'],
    });
    expect(new Set([result.code, ...result.alternatives.map((alternative) => alternative.code)])).toEqual(
      new Set(['swa', 'fra']),
    );
  });

  it('is sure of a language that is alone in its script', () => {
    const result = identifyLanguage('መንግሥት አዲስ መንገድ ለመሥራት ዕቅድ አውጥቷል።', { candidates: ['amh'] });
    expect(result).toMatchObject({ code: 'amh', score: 1, script: 'Ethi', scriptRatio: 1 });
    expect(languageMismatch(tag('am'), result)).toBeNull();
  });

  it('identifies Hindi', () => {
    for (const text of sentences('hin')) {
      const result = identifyLanguage(text, { candidates: ['hin'] });
      expect(result.code).toBe('hin');
      expect(languageMismatch(tag('hi'), result)).toBeNull();
    }
  });
});

describe('script mismatch', () => {
  it('flags Latin text declared as pa-Arab', () => {
    const result = identifyLanguage('Sat sri akal ji, tusi kiddan ho? Main theek haan.', { candidates: ['pan'] });
    expect(result.script).toBe('Latn');
    expect(languageMismatch(tag('pa-Arab'), result)).toBe('script');
  });

  it('accepts either script for plain pa, and Shahmukhi for pa-Arab', () => {
    const gurmukhi = identifyLanguage('ਅੱਜ ਸਵੇਰੇ ਬਹੁਤ ਮੀਂਹ ਪੈ ਰਿਹਾ ਸੀ।', { candidates: ['pan'] });
    const shahmukhi = identifyLanguage('اج سویرے بہت مینہ پے رہیا سی۔', { candidates: ['pan'] });
    expect(languageMismatch(tag('pa'), gurmukhi)).toBeNull();
    expect(languageMismatch(tag('pa'), shahmukhi)).toBeNull();
    expect(languageMismatch(tag('pa-Arab'), shahmukhi)).toBeNull();
    expect(languageMismatch(tag('pa-Arab'), gurmukhi)).toBe('script');
  });

  it('flags Amharic text sent to a Swahili node even though franc cannot name it there', () => {
    const result = identifyLanguage('ልጆቹ ትምህርት ቤት ከሄዱ በኋላ ቤቱ ጸጥ አለ።', { candidates: ['swa'] });
    expect(result.code).toBe('und');
    expect(languageMismatch(tag('sw'), result)).toBe('script');
  });

  it('does not flag a few words in another script', () => {
    const result = identifyLanguage('Nimenunua kitabu kipya leo asubuhi: книга', { candidates: ['swa'] });
    expect(result).toMatchObject({ code: 'swa', script: 'Latn' });
    expect(languageMismatch(tag('sw'), result)).toBeNull();
  });

  it('reads Latin words in text in another script as borrowed, and a lone foreign word as quoted', () => {
    // Tamil with an English key name: half its letters are Latin, the language is Tamil.
    const tamil = identifyLanguage('Caps Lock செயலிலுள்ளது', { candidates: ['tam', 'eng'] });
    expect(tamil).toMatchObject({ code: 'tam', script: 'Taml', scriptRatio: 1 });
    expect(languageMismatch(tag('ta'), tamil)).toBeNull();
    const russian = identifyLanguage('Настройки Bluetooth', { candidates: ['rus', 'eng'] });
    expect(russian).toMatchObject({ code: 'rus', script: 'Cyrl' });
    // One Hindi word in an English sentence (a fifth of its letters) leaves it English.
    expect(identifyLanguage('the word नमस्ते means hello', { candidates: ['hin', 'eng'] })).toMatchObject({ code: 'eng', script: 'Latn' });
  });

  it('does not flag when no script covers half the letters', () => {
    // 3 Latin, 5 Cyrillic, 6 Greek letters: Greek leads with 6/14.
    const result = identifyLanguage('abc книга βιβλίο', { candidates: ['swa'] });
    expect(result.script).toBe('Grek');
    expect(result.scriptRatio).toBeLessThan(0.5);
    expect(languageMismatch(tag('sw'), result)).toBeNull();
  });
});

describe('undetermined text', () => {
  it.each(['Sawa.', 'Asante!', '12345 67890 !!!', '', '😀😀😀😀😀😀😀😀😀😀😀'])('gives und with score 0 for %j', (text) => {
    const result = identifyLanguage(text, { candidates: ['swa'] });
    expect(result).toMatchObject({ code: 'und', score: 0, alternatives: [] });
    expect(languageMismatch(tag('sw'), result)).toBeNull();
  });

  it('counts letters, not characters, against minLength', () => {
    // 9 letters in 19 characters
    expect(identifyLanguage('Ndiyo... sawa!!!!!!', { candidates: ['swa'] }).code).toBe('und');
    expect(identifyLanguage('Asante sana', { candidates: ['swa'], minLength: 5 }).code).not.toBe('und');
    expect(identifyLanguage('Nimechelewa kufika kazini leo.', { candidates: ['swa'], minLength: 40 }).code).toBe('und');
  });

  it('has nothing to choose from without candidates or contact languages', () => {
    const text = 'The doctor told me to rest for three days.';
    expect(identifyLanguage(text, { candidates: [], contactLanguages: [] }).code).toBe('und');
    expect(identifyLanguage(text, { candidates: [] }).code).toBe('eng');
  });

  it('still reports the script of short text', () => {
    expect(identifyLanguage('Привет', { candidates: ['swa'] }).script).toBe('Cyrl');
  });
});

describe('languages franc has no model of', () => {
  it('never raises a language flag, only script flags', () => {
    // Kikuyu: franc would call Kikuyu text Swahili or English with confidence.
    const kikuyu = tag('ki');
    const english = identifyLanguage('The doctor told me to rest for three days.', { candidates: ['kik'] });
    expect(languageMismatch(kikuyu, english)).toBeNull();
    const russian = identifyLanguage('Автобус сегодня опять опоздал на работу.', { candidates: ['kik'] });
    expect(languageMismatch(kikuyu, russian)).toBe('script');
  });

  it('does not claim Han text on a Cantonese node is Mandarin', () => {
    const result = identifyLanguage('我哋今晚去邊度食飯呀？', { candidates: ['yue'] });
    expect(result).toMatchObject({ code: 'cmn', score: 0, script: 'Hani' });
    expect(languageMismatch(tag('yue'), result)).toBeNull();
  });
});

describe('identifyLanguage plumbing', () => {
  it('gives the same answer through the cache and through a prepared identifier', () => {
    const options = { candidates: ['yor', 'hau'] };
    const identify = createLanguageIdentifier(options);
    for (const text of sentences('yor')) {
      expect(identifyLanguage(text, options)).toEqual(identify(text));
      // A second options object with the same content finds the same cached plan.
      expect(identifyLanguage(text, { candidates: ['yor', 'hau'] })).toEqual(identify(text));
    }
  });

  it('handles very long text by looking at its beginning', () => {
    const long = `${sentences('swa').join(' ')} `.repeat(40);
    expect(long.length).toBeGreaterThan(20_000);
    expect(identifyLanguage(long, { candidates: ['swa'] }).code).toBe('swa');
  });

  it('keeps the mismatch threshold a lead, not a certainty', () => {
    expect(LANGUAGE_MISMATCH_MIN_LEAD).toBeGreaterThan(0);
    expect(LANGUAGE_MISMATCH_MIN_LEAD).toBeLessThan(0.5);
  });
});
