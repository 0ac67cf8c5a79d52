import type { Db } from '../../core/db.js';

export interface ConsentNoticeRow {
  id: string;
  language: string;
  version: string;
  sha256: string;
  document: string;
  createdAt: string;
}

export interface ConsentRecordRow {
  id: string;
  contributorId: string;
  noticeId: string;
  noticeSha256: string;
  purposes: string[];
  lawfulBasis: string;
  jurisdiction: string;
  license: string;
  givenAt: string;
  withdrawnAt: string | null;
}

export interface ConsentEventRow {
  type: 'given' | 'withdrawn';
  at: string;
  reason: string | null;
}

interface RecordRow {
  id: string;
  contributor_id: string;
  notice_id: string;
  notice_sha256: string;
  purposes: string;
  lawful_basis: string;
  jurisdiction: string;
  license: string;
  given_at: string;
  withdrawn_at: string | null;
}

const toRecord = (row: RecordRow): ConsentRecordRow => ({
  id: row.id,
  contributorId: row.contributor_id,
  noticeId: row.notice_id,
  noticeSha256: row.notice_sha256,
  purposes: JSON.parse(row.purposes) as string[],
  lawfulBasis: row.lawful_basis,
  jurisdiction: row.jurisdiction,
  license: row.license,
  givenAt: row.given_at,
  withdrawnAt: row.withdrawn_at,
});

/** One row when the consent record exists and is not withdrawn (checked by the sample writer). */
export const ACTIVE_CONSENT_SQL = 'SELECT 1 FROM consent_records WHERE id = ? AND withdrawn_at IS NULL';

/** Active records are read on every contribution; they are cached and dropped on any change. */
export class ConsentStore {
  private readonly active = new Map<string, ConsentRecordRow[]>();
  private readonly insertNoticeStmt;
  private readonly noticeByIdStmt;
  private readonly insertRecordStmt;
  private readonly insertEventStmt;
  private readonly recordByIdStmt;
  private readonly recordsOfStmt;
  private readonly activeOfStmt;
  private readonly withdrawStmt;
  private readonly eventsOfStmt;

  constructor(db: Db) {
    this.insertNoticeStmt = db.prepare(
      `INSERT INTO consent_notices (id, language, version, sha256, document, created_at)
       VALUES (@id, @language, @version, @sha256, @document, @createdAt) ON CONFLICT DO NOTHING`,
    );
    this.noticeByIdStmt = db.prepare<[string], ConsentNoticeRow>(
      `SELECT id, language, version, sha256, document, created_at AS createdAt FROM consent_notices WHERE id = ?`,
    );
    this.insertRecordStmt = db.prepare(
      `INSERT INTO consent_records (id, contributor_id, notice_id, notice_sha256, purposes, lawful_basis,
         jurisdiction, license, given_at)
       VALUES (@id, @contributorId, @noticeId, @noticeSha256, @purposes, @lawfulBasis, @jurisdiction, @license, @givenAt)`,
    );
    this.insertEventStmt = db.prepare('INSERT INTO consent_events (record_id, type, at, reason) VALUES (?, ?, ?, ?)');
    this.recordByIdStmt = db.prepare<[string], RecordRow>('SELECT * FROM consent_records WHERE id = ?');
    this.recordsOfStmt = db.prepare<[string], RecordRow>(
      'SELECT * FROM consent_records WHERE contributor_id = ? ORDER BY id',
    );
    this.activeOfStmt = db.prepare<[string], RecordRow>(
      'SELECT * FROM consent_records WHERE contributor_id = ? AND withdrawn_at IS NULL ORDER BY id DESC',
    );
    this.withdrawStmt = db.prepare('UPDATE consent_records SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL');
    this.eventsOfStmt = db.prepare<[string], ConsentEventRow>(
      'SELECT type, at, reason FROM consent_events WHERE record_id = ? ORDER BY seq',
    );
  }

  /** Notices are content-addressed: storing the same one twice is a no-op. */
  saveNotice(notice: ConsentNoticeRow): void {
    this.insertNoticeStmt.run(notice);
  }

  noticeById(id: string): ConsentNoticeRow | undefined {
    return this.noticeByIdStmt.get(id);
  }

  insertRecord(record: Omit<ConsentRecordRow, 'withdrawnAt'>): void {
    this.insertRecordStmt.run({ ...record, purposes: JSON.stringify(record.purposes) });
    this.active.delete(record.contributorId);
    this.insertEventStmt.run(record.id, 'given', record.givenAt, null);
  }

  recordById(id: string): ConsentRecordRow | undefined {
    const row = this.recordByIdStmt.get(id);
    return row && toRecord(row);
  }

  recordsOf(contributorId: string): ConsentRecordRow[] {
    return this.recordsOfStmt.all(contributorId).map(toRecord);
  }

  /** Newest first. */
  activeRecordsOf(contributorId: string): ConsentRecordRow[] {
    let records = this.active.get(contributorId);
    if (!records) {
      records = this.activeOfStmt.all(contributorId).map(toRecord);
      if (this.active.size >= 10_000) this.active.clear();
      this.active.set(contributorId, records);
    }
    return records;
  }

  /** Returns false when the record was already withdrawn. */
  withdraw(id: string, at: string, reason: string | null): boolean {
    if (this.withdrawStmt.run(at, id).changes === 0) return false;
    this.active.clear();
    this.insertEventStmt.run(id, 'withdrawn', at, reason);
    return true;
  }

  eventsOf(recordId: string): ConsentEventRow[] {
    return this.eventsOfStmt.all(recordId);
  }
}
