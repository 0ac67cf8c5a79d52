import type { Db } from '../../core/db.js';

export interface StoredNotice {
  seq: number;
  id: string;
  datasetId: string;
  records: number;
  envelope: string;
  createdAt: string;
}

/** Append-only: notices are never changed or removed, so a `since` cursor never misses one. */
export class WithdrawalNoticeStore {
  private readonly insertStmt;
  private readonly sinceStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO withdrawal_notices (id, dataset_id, records, envelope, created_at)
       VALUES (@id, @datasetId, @records, @envelope, @createdAt)`,
    );
    this.sinceStmt = db.prepare<[number, number], StoredNotice>(
      `SELECT seq, id, dataset_id AS datasetId, records, envelope, created_at AS createdAt
       FROM withdrawal_notices WHERE seq > ? ORDER BY seq LIMIT ?`,
    );
  }

  append(notice: Omit<StoredNotice, 'seq'>): number {
    return Number(this.insertStmt.run(notice).lastInsertRowid);
  }

  since(seq: number, limit: number): StoredNotice[] {
    return this.sinceStmt.all(seq, limit);
  }
}
