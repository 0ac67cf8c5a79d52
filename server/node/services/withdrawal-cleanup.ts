import type { BlobStore } from '../../core/blob-store.js';
import type { Logger } from '../../core/log.js';
import type { WithdrawnSamples } from '../stores/samples.js';
import type { UnfinishedUploads } from './unfinished-uploads.js';
import type { RedactionScheduler } from './redaction-scheduler.js';
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
 * consent record, the whole profile, a moderator upholding a report): trainers holding released
 * copies are told by a signed notice, the rebuild of each release that held the records is set
 * for its time, and the audio files and unfinished uploads go. The shards holding the records
 * answer 410 already: that was decided in the transaction itself (ReleaseStore removals).
 */
export class WithdrawalFollowUp {
  constructor(
    private readonly deps: {
      blobs: BlobStore;
      notices: WithdrawalNotices;
      redactions: RedactionScheduler;
      uploads: UnfinishedUploads;
      log: Logger;
    },
  ) {}

  async settle(withdrawn: Withdrawn): Promise<void> {
    const { blobs, uploads, log } = this.deps;
    this.announce();
    await deleteBlobs(blobs, withdrawn.samples.blobKeys, log);
    await uploads.discard(withdrawn.uploadIds);
  }

  /** Notices for records that left published releases, and their rebuilds scheduled. */
  announce(): void {
    this.deps.notices.issuePending();
    this.deps.redactions.check();
  }
}
