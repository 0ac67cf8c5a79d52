import { describe, expect, it } from 'vitest';
import { baseLanguageModel, baseLanguageModelFor } from './base-model.js';
import { createLanguageIdentifier, LANGID_MODEL } from './identify.js';
import { encodeWeights } from './learned-model.js';

/**
 * The model shipped with Tributary, on text written for these tests (never catalogue text):
 * what a node gets before it trains anything.
 */
describe('the shipped language model', () => {
  const model = baseLanguageModel();

  it('is small, int8, and knows the catalogue languages', () => {
    expect(model.meta.encoding).toBe('int8');
    expect(encodeWeights(model).length).toBeLessThanOrEqual(20 * 1024 * 1024);
    expect(model.meta.labels.length).toBeGreaterThanOrEqual(60);
    expect(model.meta.labels.map((label) => label.tag)).toEqual(expect.arrayContaining(['as', 'bn', 'or', 'hr', 'sr-Latn', 'gl', 'pt', 'id', 'ms']));
  });

  it('names Assamese, which franc has no model of, and still tells Bengali from it', () => {
    const identify = createLanguageIdentifier({ candidates: ['as', 'bn'], learned: model });
    const franc = createLanguageIdentifier({ candidates: ['as', 'bn'] });
    const assamese = ['আমাৰ গাঁৱত এখন ডাঙৰ নদী আছে।', 'মই প্ৰতিদিনে পুৱা বজাৰলৈ যাওঁ।', 'তেওঁ কিতাপখন পঢ়ি শেষ কৰিলে।'];
    const bengali = ['আমাদের গ্রামে একটি বড় নদী আছে।', 'আমি প্রতিদিন সকালে বাজারে যাই।', 'তিনি বইটি পড়া শেষ করলেন।'];
    for (const text of assamese) {
      expect(franc(text).code).not.toBe('asm');
      expect(identify(text)).toMatchObject({ code: 'asm', model: `${LANGID_MODEL}+${model.meta.version}` });
    }
    for (const text of bengali) expect(identify(text).code).toBe('ben');
  });

  it('changes nothing for a node with none of its languages, or only one', () => {
    expect(createLanguageIdentifier({ candidates: ['sw', 'yo'], learned: model }).model).toBe(LANGID_MODEL);
    expect(createLanguageIdentifier({ candidates: ['sw', 'yo', 'en'], learned: model }).model).toBe(LANGID_MODEL);
    // So such a node does not even read the weights.
    expect(baseLanguageModelFor(['sw', 'yo', 'en'])).toBeUndefined();
    expect(baseLanguageModelFor(['as', 'bn'])).toBe(model);
  });
});
