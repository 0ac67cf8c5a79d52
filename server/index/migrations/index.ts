import type { Migration } from '../../core/db.js';
import { init } from './001-init.js';
import { search } from './002-search.js';
import { searchSequence } from './003-search-sequence.js';
import { wordsInMemory } from './004-words-in-memory.js';

/** Append only: a released index may have run any prefix of this list. */
export const indexMigrations: Migration[] = [
  { version: 1, name: 'init', sql: init },
  { version: 2, name: 'search', sql: search },
  { version: 3, name: 'search-sequence', sql: searchSequence },
  { version: 4, name: 'words-in-memory', sql: wordsInMemory },
];
