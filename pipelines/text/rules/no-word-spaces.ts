import type { SentenceRuleData } from './types.js';

// Thai, Lao, Khmer and Burmese put spaces between phrases, not words, so a word count means
// nothing; length is bounded by characters instead. People read about 8–12 of these
// characters a second (Common Voice's Thai rules), so 100 fit in ten seconds.
export const noWordSpacesRules: SentenceRuleData = {
  maxWords: null,
  minChars: 2,
  maxChars: 100,
};
