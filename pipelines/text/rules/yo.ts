import type { SentenceRuleData } from './types.js';

// Yoruba's under-dot (ẹ ọ ṣ) is often typed as a combining vertical line below (U+0329), the
// older print convention, instead of the dot below (U+0323). Folding it lets NFC compose the
// letter, so the same word is spelled one way. Tone marks (U+0300/U+0301) stay as combining
// marks after NFC on ẹ and ọ; nothing here removes them.
export const yorubaRules: SentenceRuleData = {
  replacements: [['\u0329', '\u0323']],
};
