import type { Db } from '../../core/db.js';

export interface StatusCount {
  language: string;
  modality: string;
  status: string;
  count: number;
}

export interface LanguageContributor {
  language: string;
  contributorId: string;
}

/** Aggregates only: nothing here identifies a contributor. */
export class StatsStore {
  private readonly byStatusStmt;
  private readonly contributorsStmt;
  private readonly heldStmt;
  private readonly promptsStmt;

  constructor(db: Db) {
    this.byStatusStmt = db.prepare<[], StatusCount>(
      'SELECT language, modality, status, count(*) AS count FROM samples GROUP BY language, modality, status',
    );
    this.contributorsStmt = db.prepare<[], LanguageContributor>(
      `SELECT language, contributor_id AS contributorId FROM samples
       WHERE status <> 'withdrawn' GROUP BY language, contributor_id`,
    );
    this.heldStmt = db.prepare<[], StatusCount>(
      `SELECT s.language, s.modality, 'held' AS status, count(DISTINCT s.id) AS count
       FROM samples s JOIN reports r ON r.sample_id = s.id AND r.status = 'open'
       WHERE s.status = 'pending' GROUP BY s.language, s.modality`,
    );
    this.promptsStmt = db.prepare<[], StatusCount>(
      "SELECT language, 'prompt' AS modality, status, count(*) AS count FROM prompts GROUP BY language, status",
    );
  }

  samplesByStatus(): StatusCount[] {
    return this.byStatusStmt.all();
  }

  heldSamples(): StatusCount[] {
    return this.heldStmt.all();
  }

  /** Distinct (tag, contributor) pairs, so that callers can count people under a language range. */
  contributorsByLanguage(): LanguageContributor[] {
    return this.contributorsStmt.all();
  }

  promptsByStatus(): StatusCount[] {
    return this.promptsStmt.all();
  }
}
