import type { Db } from '../../core/db.js';

export interface StatusCount {
  language: string;
  modality: string;
  status: string;
  count: number;
}

/** Aggregates only: nothing here identifies a contributor. */
export class StatsStore {
  private readonly byStatusStmt;
  private readonly contributorsStmt;
  private readonly contributorCountStmt;
  private readonly heldStmt;
  private readonly promptsStmt;

  constructor(db: Db) {
    this.byStatusStmt = db.prepare<[], StatusCount>(
      // Kept by triggers (migration 012): no scan of the samples, however many there are.
      'SELECT language, modality, status, count FROM sample_counts WHERE count > 0',
    );
    // Kept by triggers (migration 013): how many people have samples under a tag.
    this.contributorCountStmt = db.prepare<[string], number>('SELECT contributors FROM language_contributor_counts WHERE language = ?').pluck();
    // Kept by triggers (migration 012): who has samples (not withdrawn) under each tag.
    this.contributorsStmt = db
      .prepare<[string], number>('SELECT count(DISTINCT contributor_id) FROM language_contributors WHERE language IN (SELECT value FROM json_each(?))')
      .pluck();
    this.heldStmt = db.prepare<[], StatusCount>(
      `SELECT s.language, s.modality, 'held' AS status, count(DISTINCT s.id) AS count
       FROM samples s JOIN reports r ON r.sample_id = s.id AND r.status = 'open'
       WHERE s.status = 'pending' GROUP BY s.language, s.modality`,
    );
    this.promptsStmt = db.prepare<[], StatusCount>(
      "SELECT language, 'prompt' AS modality, status, count FROM prompt_counts WHERE count > 0",
    );
  }

  samplesByStatus(): StatusCount[] {
    return this.byStatusStmt.all();
  }

  heldSamples(): StatusCount[] {
    return this.heldStmt.all();
  }

  /** How many people have samples (not withdrawn) under any of these tags, each counted once. */
  contributorsIn(tags: readonly string[]): number {
    // One tag: its count. Several (sw, sw-KE): one person may have written under more than one,
    // so the people are counted across them.
    if (tags.length === 1) return this.contributorCountStmt.get(tags[0]!) ?? 0;
    return this.contributorsStmt.get(JSON.stringify(tags)) ?? 0;
  }

  promptsByStatus(): StatusCount[] {
    return this.promptsStmt.all();
  }
}
