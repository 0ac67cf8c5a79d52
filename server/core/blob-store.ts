import type { Readable } from 'node:stream';
import { TributaryError } from '../../pipelines/errors.js';

export interface BlobInfo {
  size: number;
}

/**
 * Where a service keeps files (audio, releases). Keys are relative, slash-separated names chosen
 * by the service (never by clients). Every implementation passes test/contracts/blob-store.contract.ts, so
 * one that passes serves releases as well as audio.
 */
export interface BlobStore {
  /** Stores the bytes under `key` atomically: a reader sees the whole blob or none. */
  put(key: string, data: Uint8Array): Promise<BlobInfo>;
  /**
   * Moves a local file into the store, atomically as `put`: the local file is gone afterwards,
   * whatever file system (or remote store) it came from. Rejects if the file cannot be read.
   */
  putFile(key: string, path: string): Promise<BlobInfo>;
  /**
   * Stores under `toKey` the bytes of the blob under `fromKey`, atomically as `put`, without
   * them passing through the caller (a link or a copy on disk, a server-side copy in S3). The two
   * are separate blobs afterwards: replacing or deleting one leaves the other as it was. Rejects
   * with BlobNotFoundError, storing nothing, when there is no blob under `fromKey`.
   */
  copy(fromKey: string, toKey: string): Promise<BlobInfo>;
  stat(key: string): Promise<BlobInfo | null>;
  /** The whole blob in memory, for small blobs such as clips. Rejects with BlobNotFoundError. */
  get(key: string): Promise<Uint8Array>;
  /** Bytes `start`..`end` inclusive, or the whole blob, as a stream. Rejects with BlobNotFoundError. */
  read(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Idempotent: deleting what is not there is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Deletes every blob whose key starts with `prefix`, a key followed by `/` (so `a/b/` takes
   * `a/b/c` and `a/b/c/d`, never `a/bc` nor `a/b` itself). Idempotent, like `delete`; not atomic:
   * callers delete only what no row points at any more.
   */
  deletePrefix(prefix: string): Promise<void>;
}

/** A store that can hand out a URL the client fetches the blob from directly. */
export interface PresigningBlobStore extends BlobStore {
  /** A URL that reads the blob (GET, Range allowed) for `expiresInSeconds`, without further credentials. */
  presignedUrl(key: string, options: { expiresInSeconds: number; fileName?: string; contentType?: string }): Promise<string>;
}

export function canPresign(store: BlobStore): store is PresigningBlobStore {
  return typeof (store as Partial<PresigningBlobStore>).presignedUrl === 'function';
}

export class BlobNotFoundError extends TributaryError {
  static readonly code = 'BlobNotFound';
  constructor(key: string) {
    super('BlobNotFound', `No blob is stored under ${key}.`, { key });
  }
}

const KEY = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/i;

/** Keys are made by the service; this refuses anything that could climb out of the store. */
export function assertBlobKey(key: string): void {
  if (!KEY.test(key) || key.split('/').some((part) => part === '..' || part === '.')) {
    throw new RangeError(`invalid blob key: ${JSON.stringify(key)}`);
  }
}

/** A prefix is a key and a trailing `/`: a folder, never part of a name (`a/b` would take `a/bc`). */
export function assertBlobPrefix(prefix: string): void {
  if (!prefix.endsWith('/')) throw new RangeError(`invalid blob prefix (must end with "/"): ${JSON.stringify(prefix)}`);
  try {
    assertBlobKey(prefix.slice(0, -1));
  } catch {
    throw new RangeError(`invalid blob prefix: ${JSON.stringify(prefix)}`);
  }
}
