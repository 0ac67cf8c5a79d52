import type { Db } from '../../core/db.js';

export type NoticeKind = 'withdrawal' | 'retraction' | 'access-change';

export interface StoredNotice {
  seq: number;
  id: string;
  kind: NoticeKind;
  datasetId: string;
  /** How many records a withdrawal names; 0 for other kinds. */
  records: number;
  envelope: string;
  createdAt: string;
}

/** Append-only: notices are never changed or removed, so a `since` cursor never misses one. */
export class NoticeStore {
  private readonly insertStmt;
  private readonly sinceStmt;
  private readonly sinceOfKindStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO notices (id, kind, dataset_id, records, envelope, created_at)
       VALUES (@id, @kind, @datasetId, @records, @envelope, @createdAt)`,
    );
    const columns = 'seq, id, kind, dataset_id AS datasetId, records, envelope, created_at AS createdAt';
    this.sinceStmt = db.prepare<[number, number], StoredNotice>(`SELECT ${columns} FROM notices WHERE seq > ? ORDER BY seq LIMIT ?`);
    this.sinceOfKindStmt = db.prepare<[number, NoticeKind, number], StoredNotice>(
      `SELECT ${columns} FROM notices WHERE seq > ? AND kind = ? ORDER BY seq LIMIT ?`,
    );
  }

  append(notice: Omit<StoredNotice, 'seq'>): number {
    return Number(this.insertStmt.run(notice).lastInsertRowid);
  }

  /** Notices after `seq`, in order; of one kind if given. */
  since(seq: number, limit: number, kind?: NoticeKind): StoredNotice[] {
    return kind ? this.sinceOfKindStmt.all(seq, kind, limit) : this.sinceStmt.all(seq, limit);
  }
}
