import type { Migration } from '../../core/db.js';
import { init } from './001-init.js';

/** Append only: a released node may have run any prefix of this list. */
export const nodeMigrations: Migration[] = [{ version: 1, name: 'init', sql: init }];
