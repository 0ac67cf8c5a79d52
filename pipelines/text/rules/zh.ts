import type { SentenceRuleData } from './types.js';

// Chinese does not separate words with spaces, so words cannot be counted. Each character is a
// syllable: 50 characters is about the ten seconds the default allows (as Common Voice's
// Cantonese rules).
export const chineseRules: SentenceRuleData = {
  maxWords: null,
  maxChars: 50,
};
