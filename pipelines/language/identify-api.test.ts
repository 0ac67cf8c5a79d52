import { describe, expect, it } from 'vitest';
import { createLanguageIdentifier, identifyLanguage, LANGID_MODEL } from './identify.js';
import { parseLanguageTag } from './tags.js';

describe('the LID API', () => {
  it('answers with the candidate’s own BCP-47 tag and ISO 639-3 code', () => {
    const result = identifyLanguage('Nimechelewa kufika kazini leo kwa sababu ya mvua kubwa.', { candidates: ['sw-KE', 'yo'] });
    expect(result).toMatchObject({ code: 'swa', bcp47: 'sw-KE', model: LANGID_MODEL });
    expect(result.reason).toBeUndefined();
    expect(result.confidence).toBeGreaterThan(0);
    expect(result.confidence).toBeLessThanOrEqual(1);
  });

  it('takes parsed tags, and keeps the script subtag a node declared', () => {
    const tag = parseLanguageTag('pa-Arab')!;
    const result = identifyLanguage('میں کل صبح بازار جاؤں گا اور سبزیاں خریدوں گا', { candidates: [tag, 'ur'] });
    expect(['pa-Arab', 'ur']).toContain(result.bcp47);
    expect(result.script).toBe('Arab');
  });

  it('gives the shortest tag for a contact language and for runners-up', () => {
    const result = identifyLanguage('The doctor told me to rest for three days at home.', { candidates: ['sw'] });
    expect(result).toMatchObject({ code: 'eng', bcp47: 'en' });
    for (const alternative of result.alternatives) expect(alternative.bcp47).toMatch(/^[a-z]{2,3}(-|$)/);
  });

  it('says why it answers und', () => {
    expect(identifyLanguage('Sawa.', { candidates: ['sw'] })).toMatchObject({ code: 'und', bcp47: 'und', reason: 'too-short', confidence: 0 });
    expect(identifyLanguage('abc книга βιβλίο', { candidates: ['sw'] })).toMatchObject({ code: 'und', reason: 'mixed-script' });
    expect(identifyLanguage('Мы пошли в магазин за хлебом', { candidates: ['sw'], contactLanguages: ['eng'] })).toMatchObject({
      code: 'und',
      reason: 'no-candidate',
      script: 'Cyrl',
    });
    expect(identifyLanguage('The doctor told me to rest.', { candidates: [], contactLanguages: [] })).toMatchObject({ reason: 'no-candidate' });
  });

  it('measures length with vowel signs: a two-word Hindi or Tamil label is long enough, nine Latin letters are not', () => {
    const candidates = ['hi', 'mr', 'ta', 'en'];
    // "Open file", "password": 5 letters and 5 marks each (once too short).
    expect(identifyLanguage('फ़ाइल खोलें', { candidates })).toMatchObject({ code: 'hin' });
    expect(identifyLanguage('கடவுச்சொல்', { candidates })).toMatchObject({ code: 'tam' });
    expect(identifyLanguage('Passwords', { candidates })).toMatchObject({ code: 'und', reason: 'too-short' });
  });

  it('does not call Japanese mixed, though no one script covers half of it', () => {
    const result = identifyLanguage('東京都庁舎展望室見学予定変更連絡事項確認済み', { candidates: ['ja'] });
    expect(result.reason).not.toBe('mixed-script');
    // More Latin letters than any one Japanese script, fewer than the three together.
    expect(identifyLanguage('MERGE文ではWITH RECURSIVEはサポートされません', { candidates: ['ja', 'en'] }).reason).toBeUndefined();
  });

  it('gives the same answer through a prepared identifier', () => {
    const identify = createLanguageIdentifier({ candidates: ['sw', 'yo'] });
    const text = 'Ọmọ náà lọ sí ilé ìwé ní àárọ̀ yìí pẹ̀lú àwọn ọ̀rẹ́ rẹ̀.';
    expect(identify(text)).toEqual(identifyLanguage(text, { candidates: ['sw', 'yo'] }));
  });
});
