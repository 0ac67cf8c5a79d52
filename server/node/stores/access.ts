import type { Db } from '../../core/db.js';

export type GrantStatus = 'pending' | 'approved' | 'refused' | 'revoked';

export interface AccessGrant {
  id: string;
  datasetId: string;
  name: string;
  contact: string;
  purpose: string;
  status: GrantStatus;
  createdAt: string;
  decidedAt: string | null;
}

export interface DownloadReceipt {
  seq: number;
  grantId: string;
  grantName: string;
  datasetId: string;
  version: string;
  shard: string;
  range: string | null;
  at: string;
}

const GRANT_COLUMNS = `id, dataset_id AS datasetId, name, contact, purpose, status, created_at AS createdAt,
  decided_at AS decidedAt`;

/** Who was let into gated datasets, and every download they made. */
export class AccessStore {
  private readonly insertGrantStmt;
  private readonly byTokenStmt;
  private readonly byIdStmt;
  private readonly decideStmt;
  private readonly listStmt;
  private readonly insertReceiptStmt;
  private readonly receiptsStmt;

  constructor(db: Db) {
    this.insertGrantStmt = db.prepare(
      `INSERT INTO access_grants (id, dataset_id, token_hash, name, contact, purpose, status, created_at)
       VALUES (@id, @datasetId, @tokenHash, @name, @contact, @purpose, @status, @createdAt)`,
    );
    this.byTokenStmt = db.prepare<[string], AccessGrant>(`SELECT ${GRANT_COLUMNS} FROM access_grants WHERE token_hash = ?`);
    this.byIdStmt = db.prepare<[string], AccessGrant>(`SELECT ${GRANT_COLUMNS} FROM access_grants WHERE id = ?`);
    this.decideStmt = db.prepare(
      'UPDATE access_grants SET status = ?, decided_at = ?, decided_by = ? WHERE id = ?',
    );
    this.listStmt = db.prepare<[{ status: string }], AccessGrant>(
      `SELECT ${GRANT_COLUMNS} FROM access_grants WHERE (@status = '' OR status = @status) ORDER BY id`,
    );
    this.insertReceiptStmt = db.prepare(
      'INSERT INTO download_receipts (grant_id, release_id, shard, range, at) VALUES (?, ?, ?, ?, ?)',
    );
    this.receiptsStmt = db.prepare<[{ dataset: string }], DownloadReceipt>(
      `SELECT d.seq, d.grant_id AS grantId, g.name AS grantName, r.dataset_id AS datasetId, r.version, d.shard, d.range, d.at
       FROM download_receipts d JOIN access_grants g ON g.id = d.grant_id JOIN releases r ON r.id = d.release_id
       WHERE (@dataset = '' OR r.dataset_id = @dataset) ORDER BY d.seq`,
    );
  }

  insertGrant(grant: AccessGrant & { tokenHash: string }): void {
    this.insertGrantStmt.run(grant);
  }

  byTokenHash(hash: string): AccessGrant | undefined {
    return this.byTokenStmt.get(hash);
  }

  byId(id: string): AccessGrant | undefined {
    return this.byIdStmt.get(id);
  }

  decide(id: string, status: GrantStatus, at: string, by: string): void {
    this.decideStmt.run(status, at, by, id);
  }

  list(status: GrantStatus | '' = ''): AccessGrant[] {
    return this.listStmt.all({ status });
  }

  addReceipt(grantId: string, releaseId: string, shard: string, range: string | null, at: string): void {
    this.insertReceiptStmt.run(grantId, releaseId, shard, range, at);
  }

  receipts(datasetId = ''): DownloadReceipt[] {
    return this.receiptsStmt.all({ dataset: datasetId });
  }
}
