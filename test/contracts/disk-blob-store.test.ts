import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { DiskBlobStore } from '../../server/core/disk-blob-store.js';
import { blobStoreContract } from './blob-store.contract.js';

blobStoreContract('DiskBlobStore', async () => new DiskBlobStore(mkdtempSync(join(tmpdir(), 'blobs-'))));

// The same contract with the store on another file system than the files it is given (tmpfs
// here), where a move cannot be a rename: putFile copies, renames the copy into place and
// removes the source. Skipped where the machine has no second file system to offer.
const otherFileSystem = ['/dev/shm'].find((dir) => existsSync(dir) && statSync(dir).dev !== statSync(tmpdir()).dev);
describe.skipIf(!otherFileSystem)('across file systems', () => {
  blobStoreContract('DiskBlobStore on another file system than its sources', async () =>
    new DiskBlobStore(mkdtempSync(join(otherFileSystem!, 'blobs-'))),
  );
});
