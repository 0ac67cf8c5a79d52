import type { Db } from '../../core/db.js';

export type PromptStatus = 'pending' | 'accepted' | 'rejected';

export interface Prompt {
  id: string;
  language: string;
  text: string;
  source: string | null;
  license: string;
  status: PromptStatus;
  proposedBy: string | null;
  createdAt: string;
  decidedAt: string | null;
}

export type NewPrompt = Omit<Prompt, 'decidedAt'> & { textKey: string };

const COLUMNS = `id, language, text, source, license, status, proposed_by AS proposedBy, created_at AS createdAt,
  decided_at AS decidedAt`;

export class PromptStore {
  private readonly insertStmt;
  private readonly byIdStmt;
  private readonly forReadingStmt;
  private readonly toReviewStmt;
  private readonly decideStmt;
  private readonly rejectStmt;
  private readonly proposedByStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO prompts (id, language, text, text_key, source, license, status, proposed_by, created_at)
       VALUES (@id, @language, @text, @textKey, @source, @license, @status, @proposedBy, @createdAt)
       ON CONFLICT (language, text_key) DO NOTHING`,
    );
    this.byIdStmt = db.prepare<[string], Prompt>(`SELECT ${COLUMNS} FROM prompts WHERE id = ?`);
    // Least-recorded first, so that readings spread over all sentences rather than piling on a few.
    this.forReadingStmt = db.prepare<[string, string, string, number], Prompt>(
      `SELECT ${COLUMNS} FROM prompts p
       WHERE p.status = 'accepted' AND (p.language = ? OR p.language LIKE ?)
         AND NOT EXISTS (SELECT 1 FROM samples s WHERE s.prompt_id = p.id AND s.contributor_id = ?)
       ORDER BY (SELECT count(*) FROM samples s WHERE s.prompt_id = p.id AND s.status <> 'withdrawn'), random()
       LIMIT ?`,
    );
    this.toReviewStmt = db.prepare<[string, string, string, string, number], Prompt>(
      `SELECT ${COLUMNS} FROM prompts p
       WHERE status = 'pending' AND (language = ? OR language LIKE ?) AND (proposed_by IS NULL OR proposed_by <> ?)
         AND NOT EXISTS (SELECT 1 FROM prompt_votes v WHERE v.prompt_id = p.id AND v.contributor_id = ?)
       ORDER BY id LIMIT ?`,
    );
    this.rejectStmt = db.prepare(
      "UPDATE prompts SET status = 'rejected', decided_at = ? WHERE id = ? AND status IN ('pending', 'accepted')",
    );
    this.decideStmt = db.prepare(
      "UPDATE prompts SET status = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
    );
    this.proposedByStmt = db.prepare<[string], Prompt>(
      `SELECT ${COLUMNS} FROM prompts WHERE proposed_by = ? ORDER BY id`,
    );
  }

  /** Returns false when the sentence is already on the node (same language, same text key). */
  insert(prompt: NewPrompt): boolean {
    return this.insertStmt.run(prompt).changes > 0;
  }

  byId(id: string): Prompt | undefined {
    return this.byIdStmt.get(id);
  }

  forReading(language: string, readerId: string, limit: number): Prompt[] {
    return this.forReadingStmt.all(language, `${language}-%`, readerId, limit);
  }

  toReview(language: string, reviewerId: string, limit: number): Prompt[] {
    return this.toReviewStmt.all(language, `${language}-%`, reviewerId, reviewerId, limit);
  }

  decide(id: string, status: 'accepted' | 'rejected', at: string): void {
    this.decideStmt.run(status, at, id);
  }

  /** A moderator's ruling: takes the sentence out of use, whether or not it was accepted. */
  reject(id: string, at: string): void {
    this.rejectStmt.run(at, id);
  }

  proposedBy(contributorId: string): Prompt[] {
    return this.proposedByStmt.all(contributorId);
  }
}
