/**
 * Free-text search matches words in memory (store/word-index.ts), as the rest of search already
 * did, so the FTS5 table of 002 goes: asking it cost more than the rest of a search (a common
 * word matches a third of the catalogue, and every id crossed into JavaScript), and keeping it
 * cost every write of a dataset.
 */
export const wordsInMemory = `
DROP TRIGGER datasets_text_insert;
DROP TRIGGER datasets_text_delete;
DROP TRIGGER datasets_text_update;
DROP TABLE datasets_text;
`;
