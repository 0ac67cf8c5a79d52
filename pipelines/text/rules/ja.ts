import type { SentenceRuleData } from './types.js';

// Japanese does not separate words with spaces. A kana is a mora and a kanji one or more, so
// like Chinese about 50 characters fill ten seconds.
export const japaneseRules: SentenceRuleData = {
  maxWords: null,
  maxChars: 50,
};
