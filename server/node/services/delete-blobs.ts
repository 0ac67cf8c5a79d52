import type { BlobStore } from '../../core/blob-store.js';

/**
 * Deletes the blobs of withdrawn samples. The rows no longer point at them, so they are already
 * unreachable; a failed deletion is reported rather than failing a withdrawal that has taken
 * effect.
 */
export async function deleteBlobs(blobs: BlobStore, keys: readonly string[]): Promise<void> {
  const results = await Promise.allSettled(keys.map((key) => blobs.delete(key)));
  results.forEach((result, i) => {
    if (result.status === 'rejected') console.error(`could not delete blob ${keys[i]}:`, result.reason);
  });
}
