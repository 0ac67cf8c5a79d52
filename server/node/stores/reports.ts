import type { Db } from '../../core/db.js';

export type ReportStatus = 'open' | 'dismissed' | 'upheld';

export interface Report {
  id: string;
  sampleId: string | null;
  promptId: string | null;
  reporterId: string;
  reason: string;
  detail: string | null;
  status: ReportStatus;
  createdAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
}

const COLUMNS = `id, sample_id AS sampleId, prompt_id AS promptId, reporter_id AS reporterId, reason, detail, status,
  created_at AS createdAt, resolved_at AS resolvedAt, resolved_by AS resolvedBy`;

export class ReportStore {
  private readonly insertStmt;
  private readonly byIdStmt;
  private readonly existsStmt;
  private readonly listStmt;
  private readonly resolveStmt;
  private readonly ofReporterStmt;
  private readonly heldStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO reports (id, sample_id, prompt_id, reporter_id, reason, detail, status, created_at)
       VALUES (@id, @sampleId, @promptId, @reporterId, @reason, @detail, 'open', @createdAt)`,
    );
    this.byIdStmt = db.prepare<[string], Report>(`SELECT ${COLUMNS} FROM reports WHERE id = ?`);
    this.existsStmt = db
      .prepare<[string | null, string | null, string], number>(
        `SELECT count(*) FROM reports WHERE (sample_id = ? OR prompt_id = ?) AND reporter_id = ?`,
      )
      .pluck();
    this.listStmt = db.prepare<[string, number], Report>(
      `SELECT ${COLUMNS} FROM reports WHERE status = ? ORDER BY id LIMIT ?`,
    );
    this.resolveStmt = db.prepare(
      `UPDATE reports SET status = @status, resolved_at = @at, resolved_by = @by
       WHERE status = 'open' AND (id = @id OR (sample_id IS NOT NULL AND sample_id = @sampleId)
         OR (prompt_id IS NOT NULL AND prompt_id = @promptId))`,
    );
    this.ofReporterStmt = db.prepare<[string], Report>(
      `SELECT ${COLUMNS} FROM reports WHERE reporter_id = ? ORDER BY id`,
    );
    this.heldStmt = db
      .prepare<[string], number>("SELECT count(*) FROM reports WHERE sample_id = ? AND status = 'open'")
      .pluck();
  }

  /** A sample with an open report is on hold until a moderator resolves it. */
  isSampleHeld(sampleId: string): boolean {
    return (this.heldStmt.get(sampleId) as number) > 0;
  }

  insert(report: Omit<Report, 'status' | 'resolvedAt' | 'resolvedBy'>): void {
    this.insertStmt.run(report);
  }

  byId(id: string): Report | undefined {
    return this.byIdStmt.get(id);
  }

  hasReported(target: { sampleId: string | null; promptId: string | null }, reporterId: string): boolean {
    return (this.existsStmt.get(target.sampleId, target.promptId, reporterId) as number) > 0;
  }

  list(status: ReportStatus, limit: number): Report[] {
    return this.listStmt.all(status, limit);
  }

  /** Resolving one report resolves every open report on the same sample or prompt. */
  resolve(report: Report, status: 'dismissed' | 'upheld', by: string, at: string): number {
    return this.resolveStmt.run({ id: report.id, sampleId: report.sampleId, promptId: report.promptId, status, by, at })
      .changes;
  }

  ofReporter(reporterId: string): Report[] {
    return this.ofReporterStmt.all(reporterId);
  }
}
