import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../server/core/db.js';
import { indexMigrations } from '../../server/index/migrations/index.js';
import { SqliteIndexStore } from '../../server/index/store/sqlite-index-store.js';
import { SqliteTreeStore } from '../../server/index/store/sqlite-tree-store.js';
import { describeTreeStoreContract } from './tree-store.contract.js';

// The table on its own connection, each write its own transaction.
describeTreeStoreContract('SqliteTreeStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tree-store-'));
  const db = openDatabase(join(dir, 'index.sqlite'), indexMigrations);
  return {
    store: new SqliteTreeStore(db),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

// The way the index uses it: written inside the store's transactions, read through its reader.
describeTreeStoreContract('SqliteTreeStore through SqliteIndexStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tree-store-'));
  const index = new SqliteIndexStore(join(dir, 'index.sqlite'));
  return {
    store: {
      readNodes: (ids) => index.log.readNodes(ids),
      writeNodes: (nodes) => index.transaction((tx) => tx.log.writeNodes(nodes)),
    },
    close: async () => {
      await index.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
