import type { Db } from '../../core/db.js';

export interface UnfinishedUpload {
  id: string;
  contributorId: string;
  consentRecordId: string;
  /** What the upload may still claim on disk: its declared length, or the node's maximum. */
  bytes: number;
  createdAt: string;
}

export interface UploadClaims {
  count: number;
  bytes: number;
}

/** The unfinished resumable uploads: one row each, from creation until finished, refused or gone. */
export class UnfinishedUploadStore {
  private readonly insertStmt;
  private readonly ofContributorStmt;
  private readonly totalStmt;
  private readonly deleteStmt;
  private readonly takeOfContributorStmt;
  private readonly takeOfConsentStmt;
  private readonly takeOlderThanStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO unfinished_uploads (id, contributor_id, consent_record_id, bytes, created_at)
       VALUES (@id, @contributorId, @consentRecordId, @bytes, @createdAt)`,
    );
    this.ofContributorStmt = db.prepare<[string], UploadClaims>(
      'SELECT count(*) AS count, coalesce(sum(bytes), 0) AS bytes FROM unfinished_uploads WHERE contributor_id = ?',
    );
    this.totalStmt = db.prepare<[], UploadClaims>(
      'SELECT count(*) AS count, coalesce(sum(bytes), 0) AS bytes FROM unfinished_uploads',
    );
    this.deleteStmt = db.prepare('DELETE FROM unfinished_uploads WHERE id = ?');
    this.takeOfContributorStmt = db.prepare<[string], string>('DELETE FROM unfinished_uploads WHERE contributor_id = ? RETURNING id').pluck();
    this.takeOfConsentStmt = db.prepare<[string], string>('DELETE FROM unfinished_uploads WHERE consent_record_id = ? RETURNING id').pluck();
    this.takeOlderThanStmt = db.prepare<[string], string>('DELETE FROM unfinished_uploads WHERE created_at < ? RETURNING id').pluck();
  }

  insert(upload: UnfinishedUpload): void {
    this.insertStmt.run(upload);
  }

  claimsOf(contributorId: string): UploadClaims {
    return this.ofContributorStmt.get(contributorId)!;
  }

  totalClaims(): UploadClaims {
    return this.totalStmt.get()!;
  }

  delete(id: string): void {
    this.deleteStmt.run(id);
  }

  /** Removes a contributor's rows and returns their ids, so the files can follow once committed. */
  takeOfContributor(contributorId: string): string[] {
    return this.takeOfContributorStmt.all(contributorId);
  }

  takeOfConsentRecord(consentRecordId: string): string[] {
    return this.takeOfConsentStmt.all(consentRecordId);
  }

  takeOlderThan(isoTime: string): string[] {
    return this.takeOlderThanStmt.all(isoTime);
  }
}
