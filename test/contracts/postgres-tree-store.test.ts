import { describe, it } from 'vitest';
import { PostgresIndexStore } from '../../server/index/store/postgres-index-store.js';
import { PostgresTreeStore } from '../../server/index/store/postgres-tree-store.js';
import pg from 'pg';
import { postgresServer, postgresSkipReason } from '../helpers/postgres.js';
import { describeTreeStoreContract } from './tree-store.contract.js';

const skip = postgresSkipReason();
if (skip) {
  console.log(`Skipping the PostgresTreeStore contract: ${skip}`);
  describe('TreeNodeStore contract: PostgresTreeStore', () => it.skip(skip));
} else {
  // The table over a pool, each write its own transaction (the schema from the index store's migrations).
  describeTreeStoreContract('PostgresTreeStore', async () => {
    const url = await (await postgresServer()).createDatabase();
    const index = new PostgresIndexStore(url);
    await index.ready();
    await index.close();
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    return { store: new PostgresTreeStore(pool), close: () => pool.end() };
  });

  // The way the index uses it: written inside the store's transactions, read through the store.
  describeTreeStoreContract('PostgresTreeStore through PostgresIndexStore', async () => {
    const index = new PostgresIndexStore(await (await postgresServer()).createDatabase());
    return {
      store: {
        readNodes: (ids) => index.log.readNodes(ids),
        writeNodes: (nodes) => index.transaction((tx) => tx.log.writeNodes(nodes)),
      },
      close: () => index.close(),
    };
  });
}
