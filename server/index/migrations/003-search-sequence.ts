/**
 * Search keeps the searchable columns of every dataset in memory (store/search-catalogue.ts),
 * in each index process, and catches up before each search with the rows changed since it last
 * looked. `search_seq` says which: every write of a dataset's row (or a node's, for suspension)
 * sets it above every other in its table, inside the writer's transaction; transactions are
 * serialised in the database, so the numbers grow in commit order, whichever process wrote.
 * Rows taken before this migration keep 0, and a process's first search reads every row anyway.
 *
 * The per-filter indexes of 002 go: search no longer asks SQLite to filter, and each one cost
 * every write of a dataset.
 */
export const searchSequence = `
ALTER TABLE datasets ADD COLUMN search_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX datasets_search_seq ON datasets(search_seq);
ALTER TABLE nodes ADD COLUMN search_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX nodes_search_seq ON nodes(search_seq);

DROP INDEX datasets_language;
DROP INDEX datasets_iso639_3;
DROP INDEX datasets_modality;
DROP INDEX datasets_license;
DROP INDEX datasets_node;
`;
