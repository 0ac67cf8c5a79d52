import { describe, expect, it } from 'vitest';
import { francLanguages } from './franc-languages.js';
import { francCodeFor, francIndividualLanguage, isModelled, sameLanguage } from './macrolanguages.js';

describe('francCodeFor', () => {
  it('sends macrolanguages to the individual language franc was trained on', () => {
    expect(francCodeFor('swa')).toBe('swh');
    expect(francCodeFor('ara')).toBe('arb');
    expect(francCodeFor('zho')).toBe('cmn');
    expect(francCodeFor('msa')).toBe('zlm');
    expect(francCodeFor('fas')).toBe('pes');
  });

  it('leaves other codes alone', () => {
    expect(francCodeFor('yor')).toBe('yor');
    expect(francCodeFor('swh')).toBe('swh');
  });

  it('only names languages franc actually has a model for', () => {
    for (const individual of Object.values(francIndividualLanguage)) {
      expect(francLanguages.has(individual), individual).toBe(true);
    }
  });
});

describe('sameLanguage', () => {
  it('is true for equal codes and for a macrolanguage and its individual language, both ways', () => {
    expect(sameLanguage('yor', 'yor')).toBe(true);
    expect(sameLanguage('swa', 'swh')).toBe(true);
    expect(sameLanguage('swh', 'swa')).toBe(true);
  });

  it('is false for different languages', () => {
    expect(sameLanguage('swa', 'hau')).toBe(false);
    expect(sameLanguage('ara', 'pes')).toBe(false);
  });
});

describe('isModelled', () => {
  it('knows which languages franc can tell apart, including script-only ones', () => {
    expect(isModelled('swa')).toBe(true);
    expect(isModelled('hau')).toBe(true);
    expect(isModelled('kor')).toBe(true);
    expect(isModelled('pan')).toBe(true);
    expect(isModelled('kik')).toBe(false);
    expect(isModelled('yue')).toBe(false);
  });

  it('does not mistake franc script names for languages', () => {
    expect(francLanguages.has('Latin')).toBe(false);
    expect(francLanguages.has('Ethiopic')).toBe(false);
  });
});
