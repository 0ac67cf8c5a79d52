import { expectedScripts } from '../../language/scripts.js';
import type { LanguageTag } from '../../language/tags.js';
import { defaultRules } from './default.js';
import { japaneseRules } from './ja.js';
import { noWordSpacesRules } from './no-word-spaces.js';
import { swahiliRules } from './sw.js';
import type { SentenceRuleData, SentenceRules } from './types.js';
import { yorubaRules } from './yo.js';
import { chineseRules } from './zh.js';

export type { SentenceRules, SentenceRuleData } from './types.js';

// Keyed by ISO 639-3, macrolanguage and individual codes alike, so `sw` and `swh` get the same rules.
const rulesByLanguage: Readonly<Record<string, SentenceRuleData>> = {
  swa: swahiliRules,
  swh: swahiliRules,
  yor: yorubaRules,
  zho: chineseRules,
  cmn: chineseRules,
  yue: chineseRules,
  wuu: chineseRules,
  hak: chineseRules,
  nan: chineseRules,
  jpn: japaneseRules,
  tha: noWordSpacesRules,
  lao: noWordSpacesRules,
  khm: noWordSpacesRules,
  mya: noWordSpacesRules,
  shn: noWordSpacesRules,
};

export function sentenceRulesFor(tag: LanguageTag): SentenceRules {
  const data = rulesByLanguage[tag.iso639_3] ?? {};
  // A script in the tag (pa-Arab) is the declaration itself and beats the language's default.
  const allowedScripts = tag.script ? expectedScripts(tag) : (data.allowedScripts ?? expectedScripts(tag));
  return { ...defaultRules, ...data, allowedScripts };
}
