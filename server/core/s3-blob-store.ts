import { createReadStream } from 'node:fs';
import { readFile, stat, unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { assertBlobKey, assertBlobPrefix, BlobNotFoundError, type BlobInfo, type PresigningBlobStore } from './blob-store.js';

/** Where an S3-compatible store keeps a service's blobs. Credentials are never part of it. */
export interface S3Location {
  /** An S3-compatible endpoint (MinIO, Garage, Ceph, R2…); AWS itself when absent. */
  endpoint?: string;
  bucket: string;
  region: string;
  /** Put before every key, e.g. `nodes/sw-ke/` ('' for the whole bucket). */
  prefix: string;
  /** `bucket` in the path rather than the host name, which most self-hosted servers need. */
  forcePathStyle?: boolean;
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Parts of a multipart upload: S3 wants ≥ 5 MiB but the last; two in flight keep memory at ~16 MiB. */
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;
/** DeleteObjects takes at most this many keys, as does one page of ListObjectsV2. */
const KEYS_PER_REQUEST = 1000;

/**
 * Blobs as objects in an S3-compatible bucket, under a prefix. A PUT (single or multipart) is
 * atomic in S3: readers see the old object or the new one, never a part, which is what `put`,
 * `putFile` and `copy` promise. Copies are server-side (CopyObject), so no byte passes through
 * the service; S3 caps one CopyObject at 5 GiB, far above a shard.
 *
 * Credentials come from the caller or, when it gives none, from the AWS SDK's default chain
 * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment, a profile, an instance role).
 */
export class S3BlobStore implements PresigningBlobStore {
  private s3Client?: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(
    private readonly location: S3Location,
    private readonly credentials?: S3Credentials,
  ) {
    if (location.prefix && !location.prefix.endsWith('/')) throw new RangeError(`an S3 prefix ends with "/": ${JSON.stringify(location.prefix)}`);
    this.bucket = location.bucket;
    this.prefix = location.prefix;
  }

  /**
   * The SDK is loaded on first use, not with this module: a service on disk (and each of the
   * many short CLI commands) never pays for it.
   */
  private async connect(): Promise<{ client: S3Client; s3: S3Sdk }> {
    const s3 = await sdk();
    this.s3Client ??= this.newClient(s3.S3Client);
    return { client: this.s3Client, s3 };
  }

  private newClient(Client: typeof S3Client): S3Client {
    const { location, credentials } = this;
    return new Client({
      region: location.region,
      ...(location.endpoint ? { endpoint: location.endpoint } : {}),
      forcePathStyle: location.forcePathStyle ?? Boolean(location.endpoint),
      ...(credentials ? { credentials } : {}),
      // Checksums on every request only when an operation needs one: S3-compatible servers
      // other than AWS often reject the newer CRC headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private key(key: string): string {
    assertBlobKey(key);
    return this.prefix + key;
  }

  async put(key: string, data: Uint8Array): Promise<BlobInfo> {
    const { client, s3 } = await this.connect();
    await client.send(new s3.PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: data, ContentLength: data.byteLength }));
    return { size: data.byteLength };
  }

  /** Multipart from a stream when the file is large, so memory stays at a few parts whatever its size. */
  async putFile(key: string, path: string): Promise<BlobInfo> {
    const target = this.key(key);
    const { size } = await stat(path);
    if (size <= PART_BYTES) {
      await this.put(key, await readFile(path));
    } else {
      const { client } = await this.connect();
      const { Upload } = await import('@aws-sdk/lib-storage');
      const upload = new Upload({
        client,
        params: { Bucket: this.bucket, Key: target, Body: createReadStream(path), ContentLength: size },
        partSize: PART_BYTES,
        queueSize: PARTS_IN_FLIGHT,
        // A failed upload is aborted, so no parts stay billed in the bucket.
        leavePartsOnError: false,
      });
      await upload.done();
    }
    await unlink(path);
    return { size };
  }

  async copy(fromKey: string, toKey: string): Promise<BlobInfo> {
    const { client, s3 } = await this.connect();
    const source = this.key(fromKey);
    const target = this.key(toKey);
    const info = await this.stat(fromKey);
    if (!info) throw new BlobNotFoundError(fromKey);
    // S3 refuses to copy an object onto itself without a change; as a blob it is already there.
    if (source === target) return info;
    try {
      await client.send(new s3.CopyObjectCommand({ Bucket: this.bucket, Key: target, CopySource: `${this.bucket}/${source}` }));
    } catch (error) {
      if (notFound(error)) throw new BlobNotFoundError(fromKey);
      throw error;
    }
    return info;
  }

  async stat(key: string): Promise<BlobInfo | null> {
    const { client, s3 } = await this.connect();
    try {
      const head = await client.send(new s3.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return { size: head.ContentLength ?? 0 };
    } catch (error) {
      if (notFound(error)) return null;
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const { client, s3 } = await this.connect();
    try {
      const object = await client.send(new s3.GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return await object.Body!.transformToByteArray();
    } catch (error) {
      if (notFound(error)) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const { client, s3 } = await this.connect();
    try {
      const object = await client.send(
        new s3.GetObjectCommand({ Bucket: this.bucket, Key: this.key(key), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      // In Node.js the SDK's body is the response stream itself.
      return object.Body as Readable;
    } catch (error) {
      if (notFound(error)) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const { client, s3 } = await this.connect();
    await client.send(new s3.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
  }

  /**
   * Lists a page of keys under the prefix, deletes them, and lists again until none is left (S3
   * lists what it has just deleted no more), so no continuation token is needed.
   */
  async deletePrefix(prefix: string): Promise<void> {
    const { client, s3 } = await this.connect();
    assertBlobPrefix(prefix);
    const under = this.prefix + prefix;
    for (;;) {
      const page = await client.send(new s3.ListObjectsV2Command({ Bucket: this.bucket, Prefix: under, MaxKeys: KEYS_PER_REQUEST }));
      const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key! }));
      if (keys.length === 0) return;
      const result = await client.send(new s3.DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }));
      const failed = result.Errors ?? [];
      if (failed.length > 0) throw new Error(`S3 did not delete ${failed.length} objects under ${under}: ${failed[0]!.Code} ${failed[0]!.Message}`);
    }
  }

  async presignedUrl(key: string, options: { expiresInSeconds: number; fileName?: string; contentType?: string }): Promise<string> {
    const { client, s3 } = await this.connect();
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
    const command = new s3.GetObjectCommand({
      Bucket: this.bucket,
      Key: this.key(key),
      ...(options.fileName ? { ResponseContentDisposition: `attachment; filename="${options.fileName.replace(/["\\]/g, '_')}"` } : {}),
      ...(options.contentType ? { ResponseContentType: options.contentType } : {}),
    });
    return getSignedUrl(client, command, { expiresIn: options.expiresInSeconds });
  }

  /** Lets go of the client's sockets (tests and commands that end). */
  close(): void {
    this.s3Client?.destroy();
  }
}

type S3Sdk = typeof import('@aws-sdk/client-s3');
let loaded: Promise<S3Sdk> | undefined;
const sdk = (): Promise<S3Sdk> => (loaded ??= import('@aws-sdk/client-s3'));

function notFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}
