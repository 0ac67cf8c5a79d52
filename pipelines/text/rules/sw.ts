import type { SentenceRuleData } from './types.js';

// In Swahili the apostrophe is part of a letter (ng' as in ng'ombe). Keyboards type it as ',
// ’ or ʼ; one form keeps the letter one symbol for the models trained on the text.
export const swahiliRules: SentenceRuleData = {
  replacements: [
    ['\u2019', "'"],
    ['\u02BC', "'"],
  ],
};
