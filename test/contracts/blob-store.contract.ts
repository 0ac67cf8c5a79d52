import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { BlobNotFoundError, type BlobStore } from '../../server/core/blob-store.js';

/**
 * What every BlobStore must do. A new implementation (S3-compatible, …) calls this with a
 * factory that gives a fresh, empty store.
 */
export function blobStoreContract(name: string, makeStore: () => Promise<BlobStore>): void {
  describe(`${name} satisfies the BlobStore contract`, () => {
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 251);

    it('stores and reads back exactly the bytes put', async () => {
      const store = await makeStore();
      expect(await store.put('samples/a/original.webm', bytes)).toEqual({ size: bytes.length });
      expect(await store.stat('samples/a/original.webm')).toEqual({ size: bytes.length });
      expect(new Uint8Array(await buffer(await store.read('samples/a/original.webm')))).toEqual(bytes);
      expect(new Uint8Array(await store.get('samples/a/original.webm'))).toEqual(bytes);
    });

    it('reads an inclusive byte range', async () => {
      const store = await makeStore();
      await store.put('r/blob', bytes);
      const part = await buffer(await store.read('r/blob', { start: 100, end: 199 }));
      expect(new Uint8Array(part)).toEqual(bytes.subarray(100, 200));
    });

    it('replaces a blob whole when the same key is put again', async () => {
      const store = await makeStore();
      await store.put('k', bytes);
      await store.put('k', Uint8Array.of(1, 2, 3));
      expect(new Uint8Array(await buffer(await store.read('k')))).toEqual(Uint8Array.of(1, 2, 3));
    });

    it('moves a local file in', async () => {
      const store = await makeStore();
      const file = join(mkdtempSync(join(tmpdir(), 'blob-src-')), 'upload.bin');
      writeFileSync(file, bytes);
      expect(await store.putFile('moved/file.bin', file)).toEqual({ size: bytes.length });
      expect(new Uint8Array(await buffer(await store.read('moved/file.bin')))).toEqual(bytes);
    });

    it('reports missing blobs as null on stat and BlobNotFoundError on read; delete is idempotent', async () => {
      const store = await makeStore();
      expect(await store.stat('nothing/here')).toBeNull();
      await expect(store.read('nothing/here')).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.get('nothing/here')).rejects.toBeInstanceOf(BlobNotFoundError);
      await store.put('gone', bytes);
      await store.delete('gone');
      await store.delete('gone');
      expect(await store.stat('gone')).toBeNull();
    });

    it('refuses keys that could escape the store', async () => {
      const store = await makeStore();
      for (const key of ['../etc/passwd', '/abs', 'a/../../b', 'a//b', '', 'a\\b', '.hidden']) {
        await expect(store.put(key, bytes)).rejects.toThrow(/invalid blob key/);
      }
    });
  });
}
