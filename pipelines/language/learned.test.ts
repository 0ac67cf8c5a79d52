import { describe, expect, it } from 'vitest';
import { croatianSerbianSentences } from '../../test/fixtures/language/hr-sr-variants.js';
import { splitForTraining, udhrParagraphs } from '../../test/fixtures/language/udhr.js';
import { baseLanguageModel } from './base-model.js';
import { createLanguageIdentifier } from './identify.js';
import { decodeLearnedModel, encodeWeights, learnedLogProbabilities, quantized, type LearnedModel } from './learned-model.js';
import { languageMismatch } from './mismatch.js';
import { forEachNgram, modelCodePoints } from './ngrams.js';
import { parseLanguageTag } from './tags.js';
import { trainLanguageModel, type TrainingExample } from './train.js';

const fixedClock = () => new Date('2026-12-01T00:00:00Z');

function examples(tag: string, texts: string[]): TrainingExample[] {
  return texts.map((text) => ({ text, tag }));
}

function share(texts: string[], predicate: (text: string) => boolean): number {
  return texts.filter(predicate).length / texts.length;
}

describe('n-gram features', () => {
  it('read text the same whatever its case, punctuation, digits or spacing', () => {
    const buckets = (text: string) => {
      const found: number[] = [];
      forEachNgram(modelCodePoints(text, 2048), { orders: [1, 2, 3, 4], buckets: 1 << 16 }, (b) => found.push(b));
      return found;
    };
    expect(buckets('Habari  ya asubuhi!')).toEqual(buckets('habari ya, 2 asubuhi'));
    expect(buckets('habari')).not.toEqual(buckets('habary'));
    // Each order's n-grams of " ab ": 2 letters, 3 pairs, 2 triples, 1 quadruple.
    expect(buckets('ab')).toHaveLength(8);
  });

  it('take whole words too when asked: one feature per word, the same wherever the word stands', () => {
    const words = (text: string) => {
      const found: number[] = [];
      forEachNgram(modelCodePoints(text, 2048), { orders: [1], buckets: 1 << 16, words: true }, (b) => found.push(b));
      return found;
    };
    // Letters, then one feature per word: "povijest" and "historija" differ as whole words.
    expect(words('povijest grada')).toHaveLength(13 + 2);
    expect(words('povijest grada').slice(-2)).toEqual(words('grada, povijest').slice(-2).reverse());
    expect(words('povijest').at(-1)).not.toEqual(words('historija').at(-1));
    // A word is not the n-gram of the same letters: "ab" as a word and its letters land apart.
    expect(new Set(words('ab')).size).toBe(3);
  });

  it('count code points, not UTF-16 units, and read at most the limit', () => {
    expect([...modelCodePoints('𐌰𐌱 X', 2048)]).toEqual([0x20, 0x10330, 0x10331, 0x20, 0x78, 0x20]);
    expect(modelCodePoints('a'.repeat(5000), 100)).toHaveLength(102);
  });
});

describe('a learned model', () => {
  // Kabyle: franc has no model of it, so the base can only guess a neighbour.
  const kabyle = splitForTraining(udhrParagraphs('071'));
  const french = splitForTraining(udhrParagraphs('fra'));
  const english = splitForTraining(udhrParagraphs('eng'));
  const node = { candidates: ['kab', 'fr'], contactLanguages: ['eng', 'spa', 'arb'] };

  it('learns a language the base does not know, and still tells contact languages apart', async () => {
    const model = await trainLanguageModel([...examples('kab', kabyle.train), ...examples('fr', french.train)], { base: node, now: fixedClock });
    const base = createLanguageIdentifier(node);
    const learned = createLanguageIdentifier({ ...node, learned: model });

    expect(share(kabyle.test, (text) => base(text).code === 'kab')).toBe(0);
    expect(share(kabyle.test, (text) => learned(text).code === 'kab')).toBeGreaterThanOrEqual(0.9);
    expect(share(french.test, (text) => learned(text).code === 'fra')).toBeGreaterThanOrEqual(0.9);
    // English was never in the training text: the base still names it.
    expect(share(english.test, (text) => learned(text).code === 'eng')).toBeGreaterThanOrEqual(0.9);

    const result = learned(kabyle.test[0]!);
    expect(result.model).toBe(`franc-all@7.2.0+contact.4+${model.meta.version}`);
    expect(result.learned).toEqual({ version: model.meta.version, codes: ['fra', 'kab'] });
    expect(model.meta.labels.map((l) => [l.tag, l.code, l.scripts])).toEqual([
      ['fr', 'fra', ['Latn']],
      ['kab', 'kab', ['Latn']],
    ]);
  });

  it('lets a node flag text that is not in a language only the learned model knows', async () => {
    const model = await trainLanguageModel([...examples('kab', kabyle.train), ...examples('fr', french.train)], { base: node, now: fixedClock });
    const declared = parseLanguageTag('kab')!;
    const base = createLanguageIdentifier(node);
    const learned = createLanguageIdentifier({ ...node, learned: model });
    // Without the learned model an English text declared Kabyle cannot be questioned.
    expect(share(english.test, (text) => languageMismatch(declared, base(text)) === 'language')).toBe(0);
    expect(share(english.test, (text) => languageMismatch(declared, learned(text)) === 'language')).toBeGreaterThanOrEqual(0.9);
    expect(share(kabyle.test, (text) => languageMismatch(declared, learned(text)) === null)).toBeGreaterThanOrEqual(0.9);
  });

  it('separates close varieties the community declares, which the base mixes up', async () => {
    const train = croatianSerbianSentences('train');
    const test = croatianSerbianSentences('test');
    const variants = { candidates: ['hr', 'sr-Latn'], contactLanguages: [] };
    const model = await trainLanguageModel([...examples('hr', train.hr), ...examples('sr-Latn', train['sr-Latn'])], { base: variants, now: fixedClock });
    const base = createLanguageIdentifier(variants);
    const learned = createLanguageIdentifier({ ...variants, learned: model });
    const right = (identify: typeof base) =>
      (share(test.hr, (text) => identify(text).bcp47 === 'hr') + share(test['sr-Latn'], (text) => identify(text).bcp47 === 'sr-Latn')) / 2;
    expect(right(base)).toBeLessThan(0.9);
    expect(right(learned)).toBeGreaterThanOrEqual(0.95);
  });

  it('starts from the shipped model for the languages it knows, and learns the others from nothing', async () => {
    const shipped = baseLanguageModel();
    // French is among the shipped model's languages, Kabyle is not.
    const model = await trainLanguageModel([...examples('kab', kabyle.train), ...examples('fr', french.train)], { base: node, now: fixedClock, start: shipped });
    expect(model.meta.training.startedFrom).toBe(shipped.meta.version);
    expect([model.meta.buckets, model.meta.orders, model.meta.words]).toEqual([shipped.meta.buckets, shipped.meta.orders, shipped.meta.words]);
    const learned = createLanguageIdentifier({ ...node, learned: model });
    expect(share(kabyle.test, (text) => learned(text).code === 'kab')).toBeGreaterThanOrEqual(0.9);
    expect(share(french.test, (text) => learned(text).code === 'fra')).toBeGreaterThanOrEqual(0.9);
    // A start that knows none of the languages is not used.
    const other = await trainLanguageModel(examples('kab', kabyle.train).concat(examples('fr', french.train)), { base: node, now: fixedClock, epochs: 1 });
    const train = croatianSerbianSentences('train');
    const variants = { candidates: ['hr', 'sr-Latn'], contactLanguages: [] };
    const unrelated = await trainLanguageModel([...examples('hr', train.hr), ...examples('sr-Latn', train['sr-Latn'])], { base: variants, now: fixedClock, epochs: 1, start: other });
    expect(unrelated.meta.training.startedFrom).toBeUndefined();
  });

  it('from the shipped model, a node still learns its own everyday Croatian and Serbian', async () => {
    const train = croatianSerbianSentences('train');
    const test = croatianSerbianSentences('test');
    const variants = { candidates: ['hr', 'sr-Latn'], contactLanguages: [] };
    const right = (identify: ReturnType<typeof createLanguageIdentifier>) =>
      (share(test.hr, (text) => identify(text).bcp47 === 'hr') + share(test['sr-Latn'], (text) => identify(text).bcp47 === 'sr-Latn')) / 2;
    const shipped = createLanguageIdentifier({ ...variants, learned: baseLanguageModel() });
    const model = await trainLanguageModel([...examples('hr', train.hr), ...examples('sr-Latn', train['sr-Latn'])], {
      base: variants,
      now: fixedClock,
      start: baseLanguageModel(),
    });
    expect(model.meta.training.startedFrom).toBe(baseLanguageModel().meta.version);
    expect(right(createLanguageIdentifier({ ...variants, learned: model }))).toBeGreaterThanOrEqual(Math.max(0.95, right(shipped)));
  });

  it('is the same model, with the same version, when trained twice on the same text', async () => {
    const data = [...examples('kab', kabyle.train), ...examples('fr', french.train)];
    const first = await trainLanguageModel(data, { base: node, now: fixedClock, epochs: 2 });
    const second = await trainLanguageModel([...data].reverse(), { base: node, now: fixedClock, epochs: 2 });
    expect(second.meta.version).toBe(first.meta.version);
    expect(Buffer.compare(encodeWeights(second), encodeWeights(first))).toBe(0);
  });

  it('round-trips through its stored form and refuses weights that do not fit', async () => {
    const model = await trainLanguageModel([...examples('kab', kabyle.train), ...examples('fr', french.train)], { base: node, now: fixedClock, epochs: 1 });
    const stored = JSON.parse(JSON.stringify(model.meta));
    const restored: LearnedModel = decodeLearnedModel(stored, encodeWeights(model));
    const text = kabyle.test[0]!;
    expect([...learnedLogProbabilities(restored, text)]).toEqual([...learnedLogProbabilities(model, text)]);
    expect(() => decodeLearnedModel(stored, encodeWeights(model).subarray(4))).toThrow(/weights.bin has/);
    expect(() => decodeLearnedModel({ ...stored, buckets: 1000 }, encodeWeights(model))).toThrow();
  });

  it('stored as int8 takes a quarter of the bytes, names itself apart, and answers as before', async () => {
    const model = await trainLanguageModel([...examples('kab', kabyle.train), ...examples('fr', french.train)], { base: node, now: fixedClock, epochs: 2 });
    const small = quantized(model);
    const bytes = encodeWeights(small);
    expect(bytes.length).toBeLessThan(encodeWeights(model).length / 3.9);
    expect(small.meta.version).not.toBe(model.meta.version);
    const restored = decodeLearnedModel(JSON.parse(JSON.stringify(small.meta)), bytes);
    expect(restored.meta.version).toBe(small.meta.version);
    expect([...restored.weights]).toEqual([...small.weights]);
    const full = createLanguageIdentifier({ ...node, learned: model });
    const rounded = createLanguageIdentifier({ ...node, learned: restored });
    for (const text of [...kabyle.test, ...french.test]) expect(rounded(text).code).toBe(full(text).code);
  });

  it('records how it did on held-out text, and gives a confidence that is not overconfident there', async () => {
    const model = await trainLanguageModel([...examples('kab', kabyle.train), ...examples('fr', french.train)], { base: node, now: fixedClock });
    const { accuracy } = model.meta.training;
    expect(accuracy.base.n).toBe(model.meta.training.heldOut);
    expect(accuracy.combined.sentences).toBeGreaterThan(accuracy.base.sentences);
    const learned = createLanguageIdentifier({ ...node, learned: model });
    const results = [...kabyle.test.map((t) => [t, 'kab'] as const), ...french.test.map((t) => [t, 'fra'] as const)].map(([text, code]) => {
      const result = learned(text);
      return { confidence: result.confidence, right: result.code === code };
    });
    const meanConfidence = results.reduce((sum, r) => sum + r.confidence, 0) / results.length;
    const rightShare = results.filter((r) => r.right).length / results.length;
    for (const r of results) {
      expect(r.confidence).toBeGreaterThanOrEqual(0);
      expect(r.confidence).toBeLessThanOrEqual(1);
    }
    expect(Math.abs(meanConfidence - rightShare)).toBeLessThan(0.15);
  });

  it('refuses to train without enough text in any language, saying what it found', async () => {
    await expect(trainLanguageModel(examples('kab', kabyle.train.slice(0, 5)), { base: node })).rejects.toMatchObject({
      code: 'NotEnoughTrainingText',
      message: expect.stringContaining('kab (5)'),
    });
  });
});
