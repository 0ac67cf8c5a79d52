import fc from 'fast-check';
import { francAll } from 'franc-all';
import { data } from 'franc-all/data.js';
import { expressions } from 'franc-all/expressions.js';
import { describe, expect, it } from 'vitest';
import { defaultContactLanguages } from './contact-languages.js';
import { createFrancRanker } from './franc-ranker.js';
import { everydaySentences } from '../../test/fixtures/language/everyday-sentences.js';

const sentences = Object.values(everydaySentences).flat();
const edgeCases = [
  '',
  'short',
  '1234567890 1234567890',
  '😀😀😀😀😀😀😀😀😀😀😀😀',
  '\uD800 lone high surrogate then latin text',
  'latin text then a lone low surrogate \uDC00',
  '日本語のテキストです。これは少し長い文章になります。',
  '今天的天气非常好，我们一起去公园散步吧。',
  '한국어 문장입니다. 오늘 날씨가 좋네요.',
  'Ελληνικά κείμενα για δοκιμή της αναγνώρισης γλώσσας',
  'Mixed: Habari za asubuhi, Привет мир, مرحبا بالعالم',
  sentences.join(' '), // longer than franc's 2048-character window
  '   \n\t  spaced   out\u00a0text   with\u2003odd   whitespace  ',
];
const candidateSets: string[][] = [
  ['swa', 'yor', ...defaultContactLanguages],
  Object.keys(everydaySentences),
  ['cmn', 'jpn', 'kor'],
  ['eng'],
  ['rus', 'ukr', 'bel', 'arb', 'pes', 'hin', 'amh'],
];

describe('franc ranker', () => {
  it.each(candidateSets.map((only) => [only.slice(0, 3).join(','), only] as const))(
    'answers exactly as francAll restricted to %s',
    (_name, only) => {
      const rank = createFrancRanker(only, 10);
      for (const text of [...sentences, ...edgeCases]) {
        expect(rank(text), text).toEqual(francAll(text, { only, minLength: 10 }));
      }
    },
  );

  it('answers exactly as francAll on arbitrary text', () => {
    const only = candidateSets[0]!;
    const rank = createFrancRanker(only, 10);
    const word = fc.constantFrom(...sentences.flatMap((s) => s.split(' ')));
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.array(word, { maxLength: 30 }).map((words) => words.join(' ')),
    );
    fc.assert(
      fc.property(text, (t) => {
        expect(rank(t)).toEqual(francAll(t, { only, minLength: 10 }));
      }),
      { numRuns: 2000 },
    );
  });

  it('allows nothing for an empty set, where franc would allow everything', () => {
    expect(createFrancRanker([], 10)(sentences[0]!)).toEqual([['und', 1]]);
  });

  it('relies on no franc expression matching any character twice', () => {
    // The ranker counts each character once per expression that matches it, as franc's global
    // match would if no expression can match a single code point (or surrogate pair) twice.
    const patterns = Object.values(expressions).map((pattern) => new RegExp(pattern.source, 'g'));
    let twice = 0;
    for (let codePoint = 0; codePoint <= 0x10ffff; codePoint++) {
      const char = String.fromCodePoint(codePoint);
      for (const pattern of patterns) {
        pattern.lastIndex = 0;
        if (pattern.test(char) && char.match(pattern)!.length > 1) twice++;
      }
    }
    expect(twice).toBe(0);
    expect(Object.keys(data).every((script) => script in expressions)).toBe(true);
  });
});
