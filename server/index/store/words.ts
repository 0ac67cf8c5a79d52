/**
 * The words of a dataset's name and description that search matches, as FTS5's `unicode61
 * remove_diacritics 2` reads text: a word is a run of letters and digits, compared without
 * diacritics and case. Made here, not by a database's text search configuration, so that both
 * stores answer alike (word-index.ts) and no dictionary, stemmer or extension changes an answer.
 */
export function lexemes(text: string): string[] {
  const folded = text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
  return [...new Set(folded.split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0))];
}
