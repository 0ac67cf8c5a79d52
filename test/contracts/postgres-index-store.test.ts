import { describe, it } from 'vitest';
import { PostgresIndexStore } from '../../server/index/store/postgres-index-store.js';
import { postgresServer, postgresSkipReason } from '../helpers/postgres.js';
import { describeIndexStoreContract } from './index-store.contract.js';

// The same contract as SqliteIndexStore, on a real PostgreSQL (test/helpers/postgres.ts), a database per test.
const skip = postgresSkipReason();
if (skip) {
  console.log(`Skipping the PostgresIndexStore contract: ${skip}`);
  describe('IndexStore contract: PostgresIndexStore', () => it.skip(skip));
} else {
  describeIndexStoreContract('PostgresIndexStore', async () => {
    const url = await (await postgresServer()).createDatabase();
    const store = new PostgresIndexStore(url);
    return {
      store,
      connect: async () => new PostgresIndexStore(url),
      close: () => store.close(),
    };
  });
}
