import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../server/core/s3-blob-store.js';
import { startS3Server, type S3TestServer } from '../helpers/s3.js';
import { blobStoreContract } from './blob-store.contract.js';

// The contract every blob store passes, on an S3-compatible server (test/helpers/s3.ts); each
// store gets a prefix of its own in one bucket, as the node's blobs and releases do.
let server: S3TestServer;
let stores = 0;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(() => server.close());
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const freshStore = () => new S3BlobStore(server.location(`store-${++stores}/`), server.credentials);

blobStoreContract('S3BlobStore', async () => freshStore());

describe('S3BlobStore beyond the contract', () => {
  it('moves a file larger than a part in as a multipart upload, and reads ranges across part boundaries', async () => {
    const store = freshStore();
    const size = 8 * 1024 * 1024 * 2 + 12_345; // three parts, the last short
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 13)) % 256;
    const file = join(mkdtempSync(join(tmpdir(), 's3-src-')), 'shard.parquet');
    writeFileSync(file, bytes);
    expect(await store.putFile('big/shard.parquet', file)).toEqual({ size });
    expect(existsSync(file)).toBe(false);
    expect(await store.stat('big/shard.parquet')).toEqual({ size });
    const boundary = 8 * 1024 * 1024;
    const range = new Uint8Array(await buffer(await store.read('big/shard.parquet', { start: boundary - 10, end: boundary + 9 })));
    expect(range).toEqual(bytes.subarray(boundary - 10, boundary + 10));
    // Digests, not the arrays: a failing deep comparison of 16 MB would print (and hold) all of it.
    expect(sha256(await store.get('big/shard.parquet'))).toBe(sha256(bytes));
  });

  it('keeps stores under different prefixes of one bucket apart', async () => {
    const a = freshStore();
    const b = freshStore();
    await a.put('same/key', Uint8Array.of(1));
    expect(await b.stat('same/key')).toBeNull();
    await b.deletePrefix('same/');
    expect(await a.stat('same/key')).toEqual({ size: 1 });
  });

  it('deletes a prefix of more keys than one listing page holds', async () => {
    const store = freshStore();
    const keys = Array.from({ length: 1_005 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, Uint8Array.of(1))));
    await store.put('many-kept', Uint8Array.of(2));
    await store.deletePrefix('many/');
    expect(await store.stat(keys[0]!)).toBeNull();
    expect(await store.stat(keys.at(-1)!)).toBeNull();
    expect(await store.stat('many-kept')).toEqual({ size: 1 });
  });

  it('hands out a presigned URL that reads the blob, ranges included, without credentials, and only until it expires', async () => {
    const store = freshStore();
    const bytes = Uint8Array.from({ length: 5_000 }, (_, i) => i % 251);
    await store.put('release/data/train-00000-of-00001.parquet', bytes);
    const url = await store.presignedUrl('release/data/train-00000-of-00001.parquet', { expiresInSeconds: 60, fileName: 'train-00000-of-00001.parquet' });
    expect(url).toContain('X-Amz-Signature=');
    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-disposition')).toBe('attachment; filename="train-00000-of-00001.parquet"');
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(bytes);
    const part = await fetch(url, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.subarray(100, 200));
    // The signature covers the key: another key with the same query string is refused.
    expect((await fetch(url.replace('train-00000', 'train-00001'))).status).toBe(403);
    const expired = await store.presignedUrl('release/data/train-00000-of-00001.parquet', { expiresInSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await fetch(expired)).status).toBe(403);
  });

  it('refuses a prefix that does not end with "/"', () => {
    expect(() => new S3BlobStore(server.location('no-slash'), server.credentials)).toThrow(/ends with "\/"/);
  });
});
