import { describe, expect, it } from 'vitest';
import { PostgresIndexStore } from '../../server/index/store/postgres-index-store.js';
import { postgresIndexMigrations } from '../../server/index/store/postgres-migrations.js';
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

  describe('PostgresIndexStore schema', () => {
    it('refuses an index database a newer version of Tributary migrated', async () => {
      const url = await (await postgresServer()).createDatabase();
      const current = new PostgresIndexStore(url);
      await current.ready();
      await current.close();
      // This version's code, with its last migration not yet written: the database is newer.
      const older = new PostgresIndexStore(url, {}, postgresIndexMigrations.slice(0, -1));
      try {
        await expect(older.ready()).rejects.toMatchObject({
          code: 'DatabaseTooNew',
          message: expect.stringContaining(`The index database has schema migration ${postgresIndexMigrations.at(-1)!.version}, newer than`),
        });
      } finally {
        await older.close();
      }
    });
  });
}
