import { statfs } from 'node:fs/promises';
import { FileStore } from '@tus/file-store';
import type { Db } from '../../core/db.js';
import { NodeStorageFullError, UploadQuotaExceededError } from '../errors.js';
import { nowIso } from '../../core/ids.js';
import type { Logger } from '../../core/log.js';
import type { NodeConfig } from '../config.js';
import type { UnfinishedUploadStore } from '../stores/unfinished-uploads.js';

/**
 * Unfinished resumable uploads hold disk on the node until they finish or expire. Each one is
 * claimed here before its first byte is stored: at most `maxUnfinishedUploads` and
 * `maxUnfinishedBytes` per contributor, `uploadDiskBudgetBytes` for the whole node, and never
 * while the disk is nearly full. Erasure and withdrawal discard a contributor's uploads at once.
 */
export class UnfinishedUploads {
  private fileStore: FileStore | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: UnfinishedUploadStore,
    /** Where upload files and their metadata files live. */
    private readonly directory: string,
    private readonly limits: NodeConfig['audio'],
    private readonly log: Logger,
  ) {}

  /**
   * The tus data store over the uploads folder, made when first needed: making one creates the
   * folder (asynchronously), which opening a node for a command must not do.
   */
  get files(): FileStore {
    return (this.fileStore ??= new FileStore({
      directory: this.directory,
      expirationPeriodInMilliseconds: this.limits.uploadExpiryHours * 3600_000,
    }));
  }

  /** Claims disk for a new upload, or refuses it; `bytes` is what it may grow to. */
  async claim(upload: { id: string; contributorId: string; consentRecordId: string; bytes: number }): Promise<void> {
    const { limits } = this;
    const disk = await statfs(this.directory).catch(() => undefined);
    if (disk && disk.bavail * disk.bsize - upload.bytes < limits.minFreeDiskBytes) {
      throw new NodeStorageFullError();
    }
    this.db.transaction(() => {
      const mine = this.store.claimsOf(upload.contributorId);
      if (mine.count + 1 > limits.maxUnfinishedUploads || mine.bytes + upload.bytes > limits.maxUnfinishedBytes) {
        throw new UploadQuotaExceededError(undefined, {
          unfinished: mine.count,
          maxUnfinished: limits.maxUnfinishedUploads,
          maxUnfinishedBytes: limits.maxUnfinishedBytes,
        });
      }
      if (this.store.totalClaims().bytes + upload.bytes > limits.uploadDiskBudgetBytes) throw new NodeStorageFullError();
      this.store.insert({ ...upload, createdAt: nowIso() });
    }).immediate();
  }

  /** The upload finished (as a sample, or refused): its claim ends. */
  release(id: string): void {
    this.store.delete(id);
  }

  /** Deletes upload files whose rows are already gone (taken inside a withdrawal's transaction). */
  async discard(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await Promise.all(ids.map((id) => this.removeFiles(id)));
  }

  takeOfContributor(contributorId: string): string[] {
    return this.store.takeOfContributor(contributorId);
  }

  takeOfConsentRecord(consentRecordId: string): string[] {
    return this.store.takeOfConsentRecord(consentRecordId);
  }

  /** Deletes uploads older than the node's expiry, files and claims alike; returns how many went. */
  async sweepExpired(): Promise<number> {
    const removed = await this.files.deleteExpired();
    const cutoff = new Date(Date.now() - this.limits.uploadExpiryHours * 3600_000).toISOString();
    const stale = this.db.transaction(() => this.store.takeOlderThan(cutoff)).immediate();
    await this.discard(stale);
    return removed;
  }

  private async removeFiles(id: string): Promise<void> {
    // FileStore.remove deletes the data file, then the metadata file; without a data file it
    // stops early, so the metadata file (which names the contributor) is deleted on its own.
    await this.files
      .remove(id)
      .catch(() => this.files.configstore.delete(id))
      .catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') this.log.warn({ err: error, uploadId: id }, 'could not delete an unfinished upload');
      });
  }
}
