/**
 * Full text on PostgreSQL, to answer as FTS5's `unicode61 remove_diacritics 2` does for the
 * SQLite store: a word is a run of letters and digits, compared without diacritics and case, and
 * a query word matches a word it begins. The lexemes are made here, not by a text search
 * configuration, so no dictionary, stemmer or extension (unaccent) of the server changes an
 * answer; PostgreSQL stores them as a tsvector (`array_to_tsvector`) and matches prefixes
 * (`'word':*`) through a GIN index.
 */
export function lexemes(text: string): string[] {
  const folded = text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
  return [...new Set(folded.split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0))];
}

/** The tsquery (text form) that every word must match as a prefix; null when a word has no letter or digit (nothing matches). */
export function prefixQuery(words: readonly string[]): string | null {
  const terms: string[] = [];
  for (const word of words) {
    const parts = lexemes(word);
    if (parts.length === 0) return null;
    // Quoted: the lexeme is taken as it is, whatever characters it holds.
    for (const part of parts) terms.push(`'${part.replace(/\\/g, '\\\\').replace(/'/g, "''")}':*`);
  }
  return terms.join(' & ');
}
