import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskBlobStore } from '../../server/core/disk-blob-store.js';
import { blobStoreContract } from './blob-store.contract.js';

blobStoreContract('DiskBlobStore', async () => new DiskBlobStore(mkdtempSync(join(tmpdir(), 'blobs-'))));
