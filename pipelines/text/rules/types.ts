/** What a prompt (a sentence volunteers read aloud) may look like in one language. */
export interface SentenceRules {
  /** In code points, after normalisation. */
  minChars: number;
  maxChars: number;
  /** Null where the script does not put spaces between words (Thai, Chinese, …). */
  maxWords: number | null;
  allowDigits: boolean;
  /** Every code point in this string is refused. */
  forbiddenSymbols: string;
  /** ISO 15924 codes of the scripts letters may be in. */
  allowedScripts: readonly string[];
  /** Spelling variants folded before checking, as [from, to] pairs; applied before NFC. */
  replacements: ReadonlyArray<readonly [string, string]>;
}

/** A language's differences from the default rules. */
export type SentenceRuleData = Partial<SentenceRules>;
