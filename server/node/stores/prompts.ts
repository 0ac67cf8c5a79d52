import { tagMatchesRange } from '../../../pipelines/language/tags.js';
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

/** How many of the least recorded prompts a reader's sentences are drawn from. */
const READING_WINDOW = 100;

const COLUMNS = `id, language, text, source, license, status, proposed_by AS proposedBy, created_at AS createdAt,
  decided_at AS decidedAt`;

export class PromptStore {
  private readonly insertStmt;
  private readonly byIdStmt;
  private readonly tagsStmt;
  private readonly forReadingStmt;
  private readonly toReviewStmt;
  private readonly decideStmt;
  private readonly rejectStmt;
  private readonly proposedByStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO prompts (id, language, text, text_key, source, license, status, proposed_by, created_at, shuffle)
       VALUES (@id, @language, @text, @textKey, @source, @license, @status, @proposedBy, @createdAt, random())
       ON CONFLICT (language, text_key) DO NOTHING`,
    );
    this.byIdStmt = db.prepare<[string], Prompt>(`SELECT ${COLUMNS} FROM prompts WHERE id = ?`);
    this.tagsStmt = db
      .prepare<[PromptStatus], string>('SELECT language FROM prompt_counts WHERE status = ? AND count > 0')
      .pluck();
    // Least-recorded first, so that readings spread over all sentences rather than piling on a few
    // (migration 014: the index is walked in that order, and stops at the limit).
    this.forReadingStmt = db.prepare<[string, string, number], Prompt & { recordings: number }>(
      `SELECT ${COLUMNS}, recordings FROM prompts p INDEXED BY prompts_reading
       WHERE p.status = 'accepted' AND p.language = ?
         AND NOT EXISTS (SELECT 1 FROM samples s WHERE s.prompt_id = p.id AND s.contributor_id = ?)
       ORDER BY p.recordings, p.shuffle
       LIMIT ?`,
    );
    this.toReviewStmt = db.prepare<[string, string, string, number], Prompt>(
      `SELECT ${COLUMNS} FROM prompts p INDEXED BY prompts_review
       WHERE status = 'pending' AND language = ? AND (proposed_by IS NULL OR proposed_by <> ?)
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

  /**
   * Accepted prompts under `language` (its own tag and its subtags) that `readerId` has not
   * recorded: the least recorded first, in random order among equals. Each tag's index walk
   * yields a window of the least recorded (in their stored random order); the answer is drawn
   * at random from the window, so that readers at the same moment are not all handed the same
   * sentences.
   */
  forReading(language: string, readerId: string, limit: number): Prompt[] {
    const window = Math.max(READING_WINDOW, limit);
    const rows = this.tagsUnder(language, 'accepted').flatMap((tag) => this.forReadingStmt.all(tag, readerId, window));
    const drawn = rows.map((row) => ({ row, draw: Math.random() }));
    drawn.sort((a, b) => a.row.recordings - b.row.recordings || a.draw - b.draw);
    return drawn.slice(0, limit).map(({ row: { recordings: _, ...prompt } }) => prompt);
  }

  /** Pending prompts under `language` that `reviewerId` neither proposed nor voted on, oldest first. */
  toReview(language: string, reviewerId: string, limit: number): Prompt[] {
    const rows = this.tagsUnder(language, 'pending').flatMap((tag) => this.toReviewStmt.all(tag, reviewerId, reviewerId, limit));
    rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return rows.slice(0, limit);
  }

  /** The tags of prompts with `status` that fall under `language`: itself and its subtags. */
  private tagsUnder(language: string, status: PromptStatus): string[] {
    return this.tagsStmt.all(status).filter((tag) => tagMatchesRange(tag, language));
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
