import { describe, expect, it } from 'vitest';
import { PostgresIndexStore } from '../../server/index/store/postgres-index-store.js';
import { postgresIndexMigrations } from '../../server/index/store/postgres-migrations.js';
import { postgresServer, postgresSkipReason } from '../helpers/postgres.js';
import { dataset, describeIndexStoreContract, envelopeRecord, manifest, node } from './index-store.contract.js';

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
    it('keeps serving, its statements prepared, while a newer version adds columns (a rolling upgrade)', async () => {
      const url = await (await postgresServer()).createDatabase();
      const older = new PostgresIndexStore(url);
      const did = 'did:web:node.example';
      const write = (n: number) =>
        older.transaction(async (tx) => {
          await tx.putEnvelope(envelopeRecord(n));
          await tx.putNode(node(did, { registration: envelopeRecord(1).sha256, lastHeardAt: `2027-01-0${n}T00:00:00.000Z` }));
          await tx.putManifest(manifest(n, { envelope: envelopeRecord(n).sha256 }), [{ name: `shard-${n}.parquet`, sha256: 'a'.repeat(64) }]);
          await tx.putDataset(dataset({ datasetId: `sw-${n}`, manifest: manifest(n).sha256 }));
        });
      const search = async () =>
        (await older.searchDatasets({ languages: [], modality: null, licenses: [], access: [], actions: [], purposes: [], minHours: null, minRecords: null, node: null, words: [], at: '2027-06-01T00:00:00.000Z', after: null, limit: 10 })).datasets.map((d) => d.datasetId);
      try {
        // Every statement this process uses is prepared on its connections.
        await write(1);
        expect(await older.node(did)).toMatchObject({ lastHeardAt: '2027-01-01T00:00:00.000Z' });
        expect(await older.dataset(did, 'sw-1')).toMatchObject({ manifest: manifest(1).sha256 });
        expect(await search()).toEqual(['sw-1']);

        const newer = new PostgresIndexStore(url, {}, [
          ...postgresIndexMigrations,
          { version: postgresIndexMigrations.at(-1)!.version + 1, name: 'added-columns', sql: 'ALTER TABLE nodes ADD COLUMN motto TEXT; ALTER TABLE datasets ADD COLUMN motto TEXT; ALTER TABLE manifests ADD COLUMN motto TEXT' },
        ]);
        await newer.ready();
        await newer.close();

        await write(2);
        expect(await older.node(did)).toMatchObject({ lastHeardAt: '2027-01-02T00:00:00.000Z' });
        expect(await older.dataset(did, 'sw-2')).toMatchObject({ manifest: manifest(2).sha256 });
        expect(await older.manifest(manifest(2).sha256)).toMatchObject({ rev: 2 });
        expect((await search()).sort()).toEqual(['sw-1', 'sw-2']);
      } finally {
        await older.close();
      }
    });

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
