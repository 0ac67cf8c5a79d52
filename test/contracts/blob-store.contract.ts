import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { BlobNotFoundError, type BlobStore } from '../../server/core/blob-store.js';

export interface BlobStoreContractOptions {
  /**
   * Where the local files handed to `putFile` are made; os.tmpdir() unless told. A disk store
   * whose root is on another file system than this folder exercises the copy path of a move.
   */
  sourceDir?: () => string;
}

/**
 * What every BlobStore must do, for audio and for releases alike. A new implementation
 * (S3-compatible, …) calls this with a factory that gives a fresh, empty store.
 */
export function blobStoreContract(name: string, makeStore: () => Promise<BlobStore>, options: BlobStoreContractOptions = {}): void {
  const sourceDir = options.sourceDir ?? (() => tmpdir());

  describe(`${name} satisfies the BlobStore contract`, () => {
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 251);
    const read = async (store: BlobStore, key: string, range?: { start: number; end: number }) =>
      new Uint8Array(await buffer(await store.read(key, range)));
    const localFile = (content: Uint8Array, name = 'upload.bin') => {
      const file = join(mkdtempSync(join(sourceDir(), 'blob-src-')), name);
      writeFileSync(file, content);
      return file;
    };

    it('stores and reads back exactly the bytes put', async () => {
      const store = await makeStore();
      expect(await store.put('samples/a/original.webm', bytes)).toEqual({ size: bytes.length });
      expect(await store.stat('samples/a/original.webm')).toEqual({ size: bytes.length });
      expect(await read(store, 'samples/a/original.webm')).toEqual(bytes);
      expect(new Uint8Array(await store.get('samples/a/original.webm'))).toEqual(bytes);
    });

    it('stores an empty blob', async () => {
      const store = await makeStore();
      expect(await store.put('empty', new Uint8Array(0))).toEqual({ size: 0 });
      expect(await store.stat('empty')).toEqual({ size: 0 });
      expect(await read(store, 'empty')).toEqual(new Uint8Array(0));
    });

    it('reads inclusive byte ranges: inside, first byte, last byte, one byte, the whole blob', async () => {
      const store = await makeStore();
      await store.put('r/blob', bytes);
      const last = bytes.length - 1;
      expect(await read(store, 'r/blob', { start: 100, end: 199 })).toEqual(bytes.subarray(100, 200));
      expect(await read(store, 'r/blob', { start: 0, end: 0 })).toEqual(bytes.subarray(0, 1));
      expect(await read(store, 'r/blob', { start: last, end: last })).toEqual(bytes.subarray(last));
      expect(await read(store, 'r/blob', { start: 65_000, end: last })).toEqual(bytes.subarray(65_000));
      expect(await read(store, 'r/blob', { start: 0, end: last })).toEqual(bytes);
    });

    it('replaces a blob whole when the same key is put again', async () => {
      const store = await makeStore();
      await store.put('k', bytes);
      await store.put('k', Uint8Array.of(1, 2, 3));
      expect(await read(store, 'k')).toEqual(Uint8Array.of(1, 2, 3));
      expect(await store.stat('k')).toEqual({ size: 3 });
    });

    it('keeps nested keys apart: siblings, parents and children of a key are other blobs', async () => {
      const store = await makeStore();
      const keys = ['sw-speech/1.0.0/README.md', 'sw-speech/1.0.0/data/train-00000-of-00002.parquet', 'sw-speech/1.0.0/data/train-00001-of-00002.parquet', 'sw-speech/2.0.0/README.md', 'sw-text/1.0.0/README.md'];
      for (const [i, key] of keys.entries()) await store.put(key, Uint8Array.of(i, i, i));
      for (const [i, key] of keys.entries()) expect(await read(store, key)).toEqual(Uint8Array.of(i, i, i));
      // A folder of keys is not a blob itself.
      for (const folder of ['sw-speech', 'sw-speech/1.0.0', 'sw-speech/1.0.0/data']) {
        expect(await store.stat(folder)).toBeNull();
        await expect(store.get(folder)).rejects.toBeInstanceOf(BlobNotFoundError);
        await expect(store.read(folder)).rejects.toBeInstanceOf(BlobNotFoundError);
        await store.delete(folder);
      }
      for (const [i, key] of keys.entries()) expect(await read(store, key)).toEqual(Uint8Array.of(i, i, i));
    });

    it('moves a local file in: the blob holds its bytes and the file is gone', async () => {
      const store = await makeStore();
      const file = localFile(bytes);
      expect(await store.putFile('moved/deeper/file.bin', file)).toEqual({ size: bytes.length });
      expect(existsSync(file)).toBe(false);
      expect(await store.stat('moved/deeper/file.bin')).toEqual({ size: bytes.length });
      expect(await read(store, 'moved/deeper/file.bin')).toEqual(bytes);
      expect(await read(store, 'moved/deeper/file.bin', { start: 10, end: 19 })).toEqual(bytes.subarray(10, 20));
    });

    it('moves a file over an existing blob, replacing it whole', async () => {
      const store = await makeStore();
      await store.put('release/card.md', bytes);
      const file = localFile(Uint8Array.of(7, 8, 9), 'README.md');
      expect(await store.putFile('release/card.md', file)).toEqual({ size: 3 });
      expect(existsSync(file)).toBe(false);
      expect(await read(store, 'release/card.md')).toEqual(Uint8Array.of(7, 8, 9));
    });

    it('moves an empty file', async () => {
      const store = await makeStore();
      const file = localFile(new Uint8Array(0));
      expect(await store.putFile('empty-file', file)).toEqual({ size: 0 });
      expect(existsSync(file)).toBe(false);
      expect(await store.stat('empty-file')).toEqual({ size: 0 });
    });

    it('refuses to move a file that is not there, and stores nothing', async () => {
      const store = await makeStore();
      const file = join(mkdtempSync(join(sourceDir(), 'blob-src-')), 'never-written.bin');
      await expect(store.putFile('ghost/file.bin', file)).rejects.toThrow();
      expect(await store.stat('ghost/file.bin')).toBeNull();
    });

    it('copies a blob under another key: the same bytes, whole ranges included, and the source stays', async () => {
      const store = await makeStore();
      await store.put('sw-speech/1.0.0/data/train-00000-of-00002.parquet', bytes);
      expect(await store.copy('sw-speech/1.0.0/data/train-00000-of-00002.parquet', 'sw-speech/2.0.0/data/train-00000-of-00002.parquet')).toEqual({
        size: bytes.length,
      });
      for (const key of ['sw-speech/1.0.0/data/train-00000-of-00002.parquet', 'sw-speech/2.0.0/data/train-00000-of-00002.parquet']) {
        expect(await store.stat(key)).toEqual({ size: bytes.length });
        expect(await read(store, key)).toEqual(bytes);
      }
      expect(await read(store, 'sw-speech/2.0.0/data/train-00000-of-00002.parquet', { start: 100, end: 199 })).toEqual(bytes.subarray(100, 200));
      // Copying a blob onto itself changes nothing.
      expect(await store.copy('sw-speech/1.0.0/data/train-00000-of-00002.parquet', 'sw-speech/1.0.0/data/train-00000-of-00002.parquet')).toEqual({
        size: bytes.length,
      });
      expect(await read(store, 'sw-speech/1.0.0/data/train-00000-of-00002.parquet')).toEqual(bytes);
    });

    it('keeps a copy apart from its source: replacing or deleting either leaves the other as it was', async () => {
      const store = await makeStore();
      await store.put('old/shard', bytes);
      await store.copy('old/shard', 'new/shard');
      await store.put('old/shard', Uint8Array.of(1, 2, 3));
      expect(await read(store, 'new/shard')).toEqual(bytes);
      await store.putFile('new/shard', localFile(Uint8Array.of(4, 5)));
      expect(await read(store, 'old/shard')).toEqual(Uint8Array.of(1, 2, 3));
      await store.copy('old/shard', 'again/shard');
      await store.deletePrefix('old/');
      expect(await read(store, 'again/shard')).toEqual(Uint8Array.of(1, 2, 3));
      await store.delete('again/shard');
      expect(await read(store, 'new/shard')).toEqual(Uint8Array.of(4, 5));
    });

    it('copies over an existing blob, replacing it whole', async () => {
      const store = await makeStore();
      await store.put('a', bytes);
      await store.put('b', Uint8Array.of(9));
      expect(await store.copy('b', 'a')).toEqual({ size: 1 });
      expect(await read(store, 'a')).toEqual(Uint8Array.of(9));
    });

    it('refuses to copy what is not there (a missing key, a folder of keys), and stores nothing', async () => {
      const store = await makeStore();
      await expect(store.copy('nothing/here', 'copy/of/nothing')).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await store.stat('copy/of/nothing')).toBeNull();
      await store.put('folder/blob', bytes);
      await store.put('kept', Uint8Array.of(1));
      await expect(store.copy('folder', 'kept')).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await read(store, 'kept')).toEqual(Uint8Array.of(1));
      for (const key of ['../etc/passwd', 'a//b', '', '.hidden']) {
        await expect(store.copy(key, 'kept'), key).rejects.toThrow(/invalid blob key/);
        await expect(store.copy('kept', key), key).rejects.toThrow(/invalid blob key/);
      }
    });

    it('reports missing blobs as null on stat and BlobNotFoundError on read and get; delete is idempotent', async () => {
      const store = await makeStore();
      expect(await store.stat('nothing/here')).toBeNull();
      await expect(store.read('nothing/here')).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.read('nothing/here', { start: 0, end: 9 })).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.get('nothing/here')).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.get('nothing/here')).rejects.toMatchObject({ code: 'BlobNotFound' });
      await store.put('gone', bytes);
      await store.delete('gone');
      await store.delete('gone');
      expect(await store.stat('gone')).toBeNull();
      await expect(store.get('gone')).rejects.toBeInstanceOf(BlobNotFoundError);
      // Below a blob nothing can be stored: it is missing too.
      await store.put('file', bytes);
      expect(await store.stat('file/child')).toBeNull();
      await expect(store.get('file/child')).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('deletes a prefix: everything below it, at any depth, and nothing else', async () => {
      const store = await makeStore();
      const inside = ['a/b/c', 'a/b/d/e', 'a/b/d/f/g.parquet'];
      const outside = ['a/bc', 'a/b.txt', 'a/c/b', 'b/a/b/c', 'ab/c'];
      for (const key of [...inside, ...outside]) await store.put(key, bytes);
      await store.deletePrefix('a/b/');
      for (const key of inside) expect(await store.stat(key), key).toBeNull();
      for (const key of outside) expect(await store.stat(key), key).toEqual({ size: bytes.length });
      // Idempotent, and a prefix with nothing below it is not an error.
      await store.deletePrefix('a/b/');
      await store.deletePrefix('never/used/');
      // The prefix can be filled again.
      await store.put('a/b/c', Uint8Array.of(1));
      expect(await read(store, 'a/b/c')).toEqual(Uint8Array.of(1));
    });

    it('deletes a prefix without touching a blob named like the prefix itself', async () => {
      const store = await makeStore();
      await store.put('x/y', bytes);
      await store.put('x/yz/w', bytes);
      await store.deletePrefix('x/y/');
      expect(await store.stat('x/y')).toEqual({ size: bytes.length });
      expect(await store.stat('x/yz/w')).toEqual({ size: bytes.length });
    });

    it('refuses keys and prefixes that could escape the store or take more than asked', async () => {
      const store = await makeStore();
      for (const key of ['../etc/passwd', '/abs', 'a/../../b', 'a//b', '', 'a\\b', '.hidden', 'a/./b', 'a/']) {
        await expect(store.put(key, bytes), key).rejects.toThrow(/invalid blob key/);
        await expect(store.putFile(key, '/dev/null'), key).rejects.toThrow(/invalid blob key/);
        await expect(store.get(key), key).rejects.toThrow(/invalid blob key/);
        await expect(store.read(key), key).rejects.toThrow(/invalid blob key/);
        await expect(store.stat(key), key).rejects.toThrow(/invalid blob key/);
        await expect(store.delete(key), key).rejects.toThrow(/invalid blob key/);
      }
      // A prefix ends with "/": `a/b` would also take `a/bc`; "/" alone would take everything.
      for (const prefix of ['a/b', '', '/', '../', 'a/../', '.tmp/', 'a//', '/a/']) {
        await expect(store.deletePrefix(prefix), prefix).rejects.toThrow(/invalid blob prefix/);
      }
    });
  });
}
