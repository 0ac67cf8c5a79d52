export interface NormalizeOptions {
  /** Keep line structure (free text samples): each whitespace run holding a line break becomes one `\n`. */
  keepNewlines?: boolean;
}

// Invisible characters that change no reading of the text but make equal sentences unequal:
// soft hyphen, zero-width space, word joiner, invisible math operators, BOM, and the bidi
// marks, embeddings, overrides and isolates (display hints, and the Trojan-Source spoofing
// vector). ZWNJ and ZWJ (U+200C/D) stay: they change spelling in Persian, Indic scripts and
// emoji. Also C0/C1 controls other than whitespace, and lone surrogates, which no text needs.
const invisible =
  /[\u00AD\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\p{Cs}]/gu;
const whitespaceRun = /\p{White_Space}+/gu;
const lineBreak = /[\n\v\f\r\u0085\u2028\u2029]/;

/**
 * The form text is stored, compared and released in: NFC, invisible characters removed,
 * whitespace runs collapsed to one space (or one newline), trimmed. Idempotent.
 */
export function normalizeText(text: string, options: NormalizeOptions = {}): string {
  // Removal first: dropping a character between a letter and its combining mark lets NFC compose them.
  const visible = text.replace(invisible, '').normalize('NFC');
  const collapsed = options.keepNewlines
    ? visible.replace(whitespaceRun, (run) => (lineBreak.test(run) ? '\n' : ' '))
    : visible.replace(whitespaceRun, ' ');
  return collapsed.trim();
}

const punctuation = /\p{P}+/gu;
const joiners = /[\u200C\u200D]/g;

/**
 * Key under which two texts count as the same sentence for deduplication: compatibility forms
 * folded (ﬁ, fullwidth letters), case folded, punctuation and joiners removed, whitespace
 * collapsed. Tone marks and other diacritics stay: they distinguish words.
 */
export function textKey(text: string): string {
  return keyOfNormalized(normalizeText(text));
}

/** `textKey` of text already in `normalizeText` form (what the text checks hand back). */
export function keyOfNormalized(normalized: string): string {
  return (
    normalized
      .normalize('NFKC')
      // The root locale's lower case, which is what toLowerCase does (and 20 times faster than
      // toLocaleLowerCase('und')); never a user's locale, or Turkish İ would key differently.
      .toLowerCase()
      .replace(punctuation, '')
      .replace(joiners, '')
      // Removing a joiner or a full stop can bring combining marks together; compose them again.
      .normalize('NFKC')
      .replace(whitespaceRun, ' ')
      .trim()
  );
}
