import { describe, expect, it } from 'vitest';
import { countScripts, detectScript, expectedScripts, firstScriptOutside } from './scripts.js';
import { parseLanguageTag } from './tags.js';
import type { LanguageTag } from './tags.js';
import { defaultScripts, detectableScripts, languageScripts, scriptAliases } from './writing-systems.js';

function tag(input: string): LanguageTag {
  const parsed = parseLanguageTag(input);
  if (!parsed) throw new Error(`test tag ${input} did not parse`);
  return parsed;
}

describe('detectScript', () => {
  it.each([
    ['Latn', 'Wakulima wanasubiri mvua ili waanze kupanda mahindi.'],
    ['Latn', 'Àwọn àgbẹ̀ ń dúró de òjò kí wọ́n tó gbin àgbàdo.'],
    ['Ethi', 'ዛሬ ጠዋት ወደ ገበያ ሄጄ ቲማቲምና ሽንኩርት ገዛሁ።'],
    ['Deva', 'सरकार ने अगले हफ्ते से स्कूल फिर से खोलने का फैसला किया है।'],
    ['Arab', 'ذهبت إلى السوق صباح اليوم لشراء الخبز.'],
    ['Guru', 'ਅੱਜ ਸਵੇਰੇ ਮੀਂਹ ਪੈ ਰਿਹਾ ਸੀ।'],
    ['Cyrl', 'Автобус сегодня опять опоздал.'],
    ['Hani', '今天早上下了很大的雨。'],
    ['Hang', '오늘 아침에 비가 많이 왔어요.'],
    ['Thai', 'วันนี้ฝนตกหนักมาก'],
    ['Grek', 'Το λεωφορείο άργησε ξανά σήμερα.'],
    ['Hebr', 'האוטובוס איחר שוב הבוקר.'],
    ['Tfng', 'ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ'],
    ['Nkoo', 'ߒ ߓߍ߫ ߕߊ߯ ߟߐ߬ߝߍ߬ ߟߊ߫'],
    ['Adlm', '𞤀𞤣𞤤𞤢𞤥 𞤆𞤵𞤤𞤢𞤪'],
  ])('finds %s in a real sentence', (script, sentence) => {
    expect(detectScript(sentence)).toEqual({ script, ratio: 1 });
  });

  it('counts letters only: digits, punctuation and Indic vowel signs do not dilute the ratio', () => {
    expect(detectScript('Mkutano utaanza saa 10:30!!! 🎉')).toEqual({ script: 'Latn', ratio: 1 });
    expect(detectScript('कि')).toEqual({ script: 'Deva', ratio: 1 });
  });

  it('reports the share of the dominant script in mixed text', () => {
    const result = detectScript('Nimenunua simu mpya ya Samsung, спасибо');
    expect(result.script).toBe('Latn');
    expect(result.ratio).toBeGreaterThan(0.7);
    expect(result.ratio).toBeLessThan(1);
  });

  it('gives Zyyy with ratio 0 when there are no letters', () => {
    expect(detectScript('')).toEqual({ script: 'Zyyy', ratio: 0 });
    expect(detectScript('12 345 — !?')).toEqual({ script: 'Zyyy', ratio: 0 });
    expect(detectScript('😀👍')).toEqual({ script: 'Zyyy', ratio: 0 });
  });

  it('gives Zzzz when most letters are in a script it does not know', () => {
    // Balinese
    expect(detectScript('ᬅᬓ᭄ᬱᬭ').script).toBe('Zzzz');
  });

  it('counts letters as well, and characters as readers count them (vowel signs and viramas with the letters)', () => {
    expect(countScripts('Habari, 2024!')).toMatchObject({ letters: 6, characters: 6 });
    // न य प स व र ड are letters; ा ि ् are marks.
    expect(countScripts('नया पासवर्ड')).toMatchObject({ letters: 7, characters: 10, script: 'Deva', ratio: 1 });
  });
});

describe('expectedScripts', () => {
  it.each([
    ['sw', ['Latn']],
    ['yo', ['Latn']],
    ['am', ['Ethi']],
    ['ti', ['Ethi']],
    ['hi', ['Deva']],
    ['ar', ['Arab']],
    ['ur', ['Arab']],
    ['fa', ['Arab']],
    ['pa', ['Guru', 'Arab']],
    ['ru', ['Cyrl']],
    ['zh', ['Hani']],
    ['cmn', ['Hani']],
    ['ja', ['Hani', 'Hira', 'Kana']],
    ['el', ['Grek']],
    ['he', ['Hebr']],
    ['th', ['Thai']],
    ['ka', ['Geor']],
    ['hy', ['Armn']],
    ['bn', ['Beng']],
    ['ta', ['Taml']],
    ['ff', ['Latn', 'Adlm']],
    ['nqo', ['Nkoo']],
    ['zgh', ['Tfng']],
    ['tzm', ['Tfng', 'Latn']],
    ['chr', ['Cher']],
    ['iu', ['Cans', 'Latn']],
    ['sr', ['Cyrl', 'Latn']],
  ])('%s is written in %j', (input, scripts) => {
    expect(expectedScripts(tag(input))).toEqual(scripts);
  });

  it('uses the script subtag when the tag has one', () => {
    expect(expectedScripts(tag('pa-Arab'))).toEqual(['Arab']);
    expect(expectedScripts(tag('pa-Guru'))).toEqual(['Guru']);
    expect(expectedScripts(tag('sr-Latn'))).toEqual(['Latn']);
  });

  it('expands ISO 15924 variants to the Unicode scripts their letters are in', () => {
    expect(expectedScripts(tag('zh-Hans'))).toEqual(['Hani']);
    expect(expectedScripts(tag('ja-Jpan'))).toEqual(['Hani', 'Hira', 'Kana']);
    expect(expectedScripts(tag('ko-Kore'))).toEqual(['Hang', 'Hani']);
  });

  it('only expects scripts that detection can report', () => {
    const named = [...Object.values(languageScripts), defaultScripts, ...Object.values(scriptAliases)].flat();
    for (const script of named) expect(detectableScripts, script).toContain(script);
  });
});

describe('firstScriptOutside', () => {
  it('finds the script of a letter outside the allowed ones', () => {
    expect(firstScriptOutside('Habari, Привет', ['Latn'])).toBe('Cyrl');
    expect(firstScriptOutside('ਸਤ ਸ੍ਰੀ ਅਕਾਲ hello', ['Guru'])).toBe('Latn');
  });

  it('accepts shared letters, combining marks, digits and punctuation', () => {
    // ʼ (modifier letter apostrophe) is Script=Common; the tone marks are Inherited.
    expect(firstScriptOutside('ʼYa ta tafi. Ọ̀rọ̀ 12!', ['Latn'])).toBeNull();
    expect(firstScriptOutside('پنجابی ਪੰਜਾਬੀ', ['Guru', 'Arab'])).toBeNull();
  });

  it('cannot judge scripts Unicode does not encode', () => {
    expect(firstScriptOutside('anything', ['Maya'])).toBeNull();
  });
});
