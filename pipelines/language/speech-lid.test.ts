import { describe, expect, it } from 'vitest';
import { identifySpeechLanguage, SPEECH_MISMATCH_MIN_LEAD } from './speech-lid.js';
import { parseLanguageTag } from './tags.js';

const tag = (value: string) => parseLanguageTag(value)!;
const scores = (probabilities: Record<string, number>) => ({
  model: 'speech-000000000000',
  labels: Object.keys(probabilities).map((code) => ({ tag: code, code })),
  probabilities: Object.values(probabilities),
});

describe('judging a spoken-language model’s scores', () => {
  it('answers among the candidates only, renormalised', () => {
    const id = identifySpeechLanguage(tag('sw'), scores({ swa: 0.3, eng: 0.1, fra: 0.6 }), ['swa', 'eng'], 'speech-000000000000');
    expect(id).toMatchObject({ code: 'swa', bcp47: 'swa', confidence: 0.75, mismatch: null, reason: null });
    expect(id.alternatives).toEqual([{ code: 'eng', bcp47: 'eng', confidence: 0.25 }]);
  });

  it('flags a clip only when another language leads the declared one by the measured margin', () => {
    const lead = SPEECH_MISMATCH_MIN_LEAD;
    const clear = identifySpeechLanguage(tag('sw'), scores({ swa: (1 - lead) / 2 - 0.01, eng: (1 + lead) / 2 + 0.01 }), ['swa', 'eng'], 'm');
    expect(clear).toMatchObject({ code: 'eng', mismatch: 'language' });
    const close = identifySpeechLanguage(tag('sw'), scores({ swa: 0.4, eng: 0.6 }), ['swa', 'eng'], 'm');
    expect(close).toMatchObject({ code: 'eng', mismatch: null });
  });

  it('counts a macrolanguage and its member as one language (sw is swa, the model may say swh)', () => {
    expect(identifySpeechLanguage(tag('sw'), scores({ swh: 0.9, eng: 0.1 }), ['swa', 'eng'], 'm')).toMatchObject({ code: 'swh', mismatch: null });
  });

  it('leaves the declared language standing when the model does not know it, or hears no speech', () => {
    expect(identifySpeechLanguage(tag('yo'), scores({ swa: 0.5, eng: 0.5 }), ['yor', 'swa', 'eng'], 'm')).toMatchObject({ code: 'und', reason: 'LanguageNotInModel', model: 'm', mismatch: null });
    expect(identifySpeechLanguage(tag('sw'), null, ['swa'], 'm')).toMatchObject({ code: 'und', reason: 'NoSpeech' });
  });
});
