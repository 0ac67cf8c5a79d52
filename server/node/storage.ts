import { join } from 'node:path';
import type { BlobStore } from '../core/blob-store.js';
import { DiskBlobStore } from '../core/disk-blob-store.js';
import { S3BlobStore } from '../core/s3-blob-store.js';
import type { NodeConfig } from './config.js';

/** The node's two blob stores: audio (originals and 16 kHz copies) and published releases. */
export interface NodeStorage {
  blobs: BlobStore;
  releaseFiles: BlobStore;
  /** Presigned URL lifetime when shard downloads redirect to the store; undefined when the node serves them. */
  shardRedirectSeconds?: number;
  /** Where the node keeps these files, for the start-up line. */
  description: string;
  close(): void;
}

/**
 * Folders `blobs/` and `releases/` in the node's directory, or the same two names as prefixes
 * in an S3 bucket (credentials from the environment, read by the AWS SDK).
 */
export function openNodeStorage(dir: string, storage: NodeConfig['storage']): NodeStorage {
  if (storage.kind === 'disk') {
    return { blobs: new DiskBlobStore(join(dir, 'blobs')), releaseFiles: new DiskBlobStore(join(dir, 'releases')), description: dir, close() {} };
  }
  const location = (folder: string) => ({
    bucket: storage.bucket,
    region: storage.region,
    prefix: `${storage.prefix}${folder}/`,
    ...(storage.endpoint ? { endpoint: storage.endpoint } : {}),
    ...(storage.forcePathStyle !== undefined ? { forcePathStyle: storage.forcePathStyle } : {}),
  });
  const blobs = new S3BlobStore(location('blobs'));
  const releaseFiles = new S3BlobStore(location('releases'));
  return {
    blobs,
    releaseFiles,
    ...(storage.shardDownloads === 'redirect' ? { shardRedirectSeconds: storage.redirectSeconds } : {}),
    description: `s3://${storage.bucket}/${storage.prefix}${storage.endpoint ? ` at ${storage.endpoint}` : ''}`,
    close() {
      blobs.close();
      releaseFiles.close();
    },
  };
}
