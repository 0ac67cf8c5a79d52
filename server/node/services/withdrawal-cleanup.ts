import type { BlobStore } from '../../core/blob-store.js';
import type { WithdrawnSamples } from '../stores/samples.js';
import type { WithdrawalNotices } from './withdrawal-notices.js';

/**
 * Deletes blobs whose rows no longer point at them, so they are already unreachable; a failed
 * deletion is reported rather than failing a withdrawal that has taken effect.
 */
export async function deleteBlobs(blobs: BlobStore, keys: readonly string[]): Promise<void> {
  const results = await Promise.allSettled(keys.map((key) => blobs.delete(key)));
  results.forEach((result, i) => {
    if (result.status === 'rejected') console.error(`could not delete blob ${keys[i]}:`, result.reason);
  });
}

/**
 * What follows every withdrawal once its transaction has committed, whichever way it came (one
 * consent record, or the whole profile): the audio files go, and trainers holding released
 * copies are told by a signed notice.
 */
export async function settleWithdrawal(
  withdrawn: WithdrawnSamples,
  reason: 'consent-withdrawn' | 'erasure-requested',
  deps: { blobs: BlobStore; notices: WithdrawalNotices },
): Promise<void> {
  await deleteBlobs(deps.blobs, withdrawn.blobKeys);
  deps.notices.issue(withdrawn.ids, reason);
}
