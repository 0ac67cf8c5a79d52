import { describe, expect, it } from 'vitest';
import { parseLanguageTag, tagMatchesRange } from './tags.js';

describe('parseLanguageTag', () => {
  it('canonicalises casing of script and region', () => {
    expect(parseLanguageTag('pa-arab')).toEqual({
      tag: 'pa-Arab',
      language: 'pa',
      script: 'Arab',
      iso639_3: 'pan',
      name: 'Panjabi',
    });
    expect(parseLanguageTag('sw-ke')?.tag).toBe('sw-KE');
    expect(parseLanguageTag('SW-latn-ke')?.tag).toBe('sw-Latn-KE');
    expect(parseLanguageTag('es-419')?.region).toBe('419');
  });

  it('maps two-letter codes to ISO 639-3', () => {
    expect(parseLanguageTag('sw')?.iso639_3).toBe('swa');
    expect(parseLanguageTag('yo')?.iso639_3).toBe('yor');
    expect(parseLanguageTag('ha')?.iso639_3).toBe('hau');
  });

  it('prefers the two-letter code in the tag but keeps three-letter-only languages', () => {
    expect(parseLanguageTag('yor')).toMatchObject({ tag: 'yo', language: 'yo', iso639_3: 'yor', name: 'Yoruba' });
    expect(parseLanguageTag('swh')).toMatchObject({ tag: 'swh', iso639_3: 'swh' });
    expect(parseLanguageTag('kik-KE')).toMatchObject({ tag: 'ki-KE', iso639_3: 'kik' });
    expect(parseLanguageTag('dyu')).toMatchObject({ tag: 'dyu', iso639_3: 'dyu' });
  });

  it('rewrites an extended language subtag and withdrawn ISO 639-1 codes', () => {
    expect(parseLanguageTag('zh-yue-HK')).toMatchObject({ tag: 'yue-HK', iso639_3: 'yue' });
    expect(parseLanguageTag('iw')).toMatchObject({ tag: 'he', iso639_3: 'heb' });
  });

  it('keeps variants, lower-cased', () => {
    expect(parseLanguageTag('sl-ROZAJ')?.tag).toBe('sl-rozaj');
  });

  it.each([
    ['', 'empty'],
    ['sw_KE', 'not well-formed'],
    ['xyz', 'unknown language'],
    ['qaa', 'local-use language'],
    ['und', 'undetermined is not a language'],
    ['mul', 'multiple languages'],
    ['x-foo', 'private use'],
    ['sw-x-slang', 'private use subtag'],
    ['i-klingon', 'grandfathered irregular'],
    ['art-lojban', 'grandfathered regular'],
    ['en-GB-oed', 'grandfathered irregular'],
    ['de-DE-u-co-phonebk', 'extension'],
    ['sw-Qaaa', 'private-use script'],
    ['sw-Abcd', 'unknown script'],
    ['sw-Zyyy', 'script that is no writing system'],
    ['sw-XX', 'private-use region'],
    ['sw-ZZ', 'unknown region'],
  ])('rejects %j (%s)', (input) => {
    expect(parseLanguageTag(input)).toBeNull();
  });
});

describe('tagMatchesRange', () => {
  it('matches a language range against regional tags (RFC 4647 basic filtering)', () => {
    expect(tagMatchesRange('sw-KE', 'sw')).toBe(true);
    expect(tagMatchesRange('sw', 'sw')).toBe(true);
    expect(tagMatchesRange('pa-Arab-PK', 'pa-Arab')).toBe(true);
  });

  it('does not match the other way round or on a bare prefix of the subtag', () => {
    expect(tagMatchesRange('sw', 'sw-KE')).toBe(false);
    expect(tagMatchesRange('swh', 'sw')).toBe(false);
    expect(tagMatchesRange('pa-Guru', 'pa-Arab')).toBe(false);
  });

  it('lets * match everything and ignores case', () => {
    expect(tagMatchesRange('yo-NG', '*')).toBe(true);
    expect(tagMatchesRange('SW-ke', 'sw')).toBe(true);
    expect(tagMatchesRange('sw-KE', 'SW-ke')).toBe(true);
  });

  it('matches nothing for empty input', () => {
    expect(tagMatchesRange('', 'sw')).toBe(false);
    expect(tagMatchesRange('sw', '')).toBe(false);
  });
});
