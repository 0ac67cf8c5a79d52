import type { SentenceRules } from './types.js';

// Lengths follow Common Voice: a sentence of at most 14 words and 125 characters is read in
// under ten seconds, short enough to record in one breath and to validate by ear.
export const defaultRules: Omit<SentenceRules, 'allowedScripts'> = {
  minChars: 3,
  maxChars: 125,
  maxWords: 14,
  // "1990" is read as a year, a number or digit by digit; the transcript would not say which.
  allowDigits: false,
  // Symbols with no single reading, or that come from markup and code rather than prose.
  forbiddenSymbols: '<>{}[]@#$%^*_=|~\\+/`',
  replacements: [],
};
