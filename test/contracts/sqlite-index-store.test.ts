import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteIndexStore } from '../../server/index/store/sqlite-index-store.js';
import { describeIndexStoreContract } from './index-store.contract.js';

describeIndexStoreContract('SqliteIndexStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'index-store-'));
  const file = join(dir, 'index.sqlite');
  const store = new SqliteIndexStore(file);
  return {
    store,
    connect: async () => new SqliteIndexStore(file),
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
