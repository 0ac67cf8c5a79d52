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

const COLUMNS = 'seq, id, kind, dataset_id AS datasetId, records, envelope, created_at AS createdAt';

/** Append-only: notices are never changed or removed, so a `since` cursor never misses one. */
export class NoticeStore {
  private readonly insertStmt;
  private readonly sinceStmt;
  private readonly ofDatasetStmt;
  private readonly byIdStmt;
  private readonly latestOfKindStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO notices (id, kind, dataset_id, records, envelope, created_at)
       VALUES (@id, @kind, @datasetId, @records, @envelope, @createdAt)`,
    );
    // NULL filters match everything, so one statement serves every combination.
    this.sinceStmt = db.prepare<{ seq: number; kind: NoticeKind | null; limit: number }, StoredNotice>(
      `SELECT ${COLUMNS} FROM notices
       WHERE seq > @seq AND (@kind IS NULL OR kind = @kind)
       ORDER BY seq LIMIT @limit`,
    );
    // A dataset's own: by its index (notices_dataset), as every 410 links to them.
    this.ofDatasetStmt = db.prepare<{ seq: number; kind: NoticeKind | null; datasetId: string; limit: number }, StoredNotice>(
      `SELECT ${COLUMNS} FROM notices
       WHERE dataset_id = @datasetId AND seq > @seq AND (@kind IS NULL OR kind = @kind)
       ORDER BY seq LIMIT @limit`,
    );
    this.byIdStmt = db.prepare<[string], StoredNotice>(`SELECT ${COLUMNS} FROM notices WHERE id = ?`);
    this.latestOfKindStmt = db.prepare<[string, NoticeKind], StoredNotice>(
      `SELECT ${COLUMNS} FROM notices WHERE dataset_id = ? AND kind = ? ORDER BY seq DESC LIMIT 1`,
    );
  }

  append(notice: Omit<StoredNotice, 'seq'>): number {
    return Number(this.insertStmt.run(notice).lastInsertRowid);
  }

  /** Notices after `seq`, in order; of one kind, and of one dataset, if given. */
  since(seq: number, limit: number, kind?: NoticeKind, datasetId?: string): StoredNotice[] {
    if (datasetId !== undefined) return this.ofDatasetStmt.all({ seq, limit, kind: kind ?? null, datasetId });
    return this.sinceStmt.all({ seq, limit, kind: kind ?? null });
  }

  byId(id: string): StoredNotice | undefined {
    return this.byIdStmt.get(id);
  }

  /** A dataset's newest notice of a kind (its retraction, say). */
  latest(datasetId: string, kind: NoticeKind): StoredNotice | undefined {
    return this.latestOfKindStmt.get(datasetId, kind);
  }
}
