import type { BlobStore } from '../../core/blob-store.js';
import type { Logger } from '../../core/log.js';
import type { WithdrawnSamples } from '../stores/samples.js';
import type { UnfinishedUploads } from './unfinished-uploads.js';
import type { WithdrawalNotices } from './withdrawal-notices.js';

/**
 * Deletes blobs whose rows no longer point at them, so they are already unreachable; a failed
 * deletion is logged rather than failing a withdrawal that has taken effect.
 */
export async function deleteBlobs(blobs: BlobStore, keys: readonly string[], log: Logger): Promise<void> {
  const results = await Promise.allSettled(keys.map((key) => blobs.delete(key)));
  results.forEach((result, i) => {
    if (result.status === 'rejected') log.warn({ err: result.reason, blob: keys[i] }, 'could not delete a blob');
  });
}

/** What a withdrawal's transaction took away: samples, and unfinished uploads (ids of their files). */
export interface Withdrawn {
  samples: WithdrawnSamples;
  uploadIds: string[];
}

/**
 * What follows every withdrawal once its transaction has committed, whichever way it came (one
 * consent record, or the whole profile): trainers holding released copies are told by a signed
 * notice, and the audio files and unfinished uploads go.
 */
export class WithdrawalFollowUp {
  constructor(
    private readonly deps: { blobs: BlobStore; notices: WithdrawalNotices; uploads: UnfinishedUploads; log: Logger },
  ) {}

  async settle(withdrawn: Withdrawn): Promise<void> {
    const { blobs, notices, uploads, log } = this.deps;
    notices.issue(withdrawn.samples.ids, 'consent-withdrawn');
    await deleteBlobs(blobs, withdrawn.samples.blobKeys, log);
    await uploads.discard(withdrawn.uploadIds);
  }
}
