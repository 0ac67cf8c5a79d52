import type { Db } from '../../core/db.js';
import type { VoteTally, VoteValue } from '../domain/quorum.js';

export interface Vote {
  targetId: string;
  contributorId: string;
  value: VoteValue;
  createdAt: string;
}

/**
 * Votes on samples and on proposed prompts share one shape; each lives in its own table so
 * that foreign keys stay exact.
 */
export class VoteStore {
  private readonly insertStmt;
  private readonly existsStmt;
  private readonly tallyStmt;
  private readonly ofContributorStmt;

  constructor(db: Db, table: 'votes' | 'prompt_votes') {
    const target = table === 'votes' ? 'sample_id' : 'prompt_id';
    this.insertStmt = db.prepare(
      `INSERT INTO ${table} (${target}, contributor_id, value, created_at) VALUES (?, ?, ?, ?)`,
    );
    this.existsStmt = db
      .prepare<[string, string], number>(`SELECT count(*) FROM ${table} WHERE ${target} = ? AND contributor_id = ?`)
      .pluck();
    this.tallyStmt = db.prepare<[string], VoteTally>(
      `SELECT coalesce(sum(value = 'up'), 0) AS up, coalesce(sum(value = 'down'), 0) AS down
       FROM ${table} WHERE ${target} = ?`,
    );
    this.ofContributorStmt = db.prepare<[string], Vote>(
      `SELECT ${target} AS targetId, contributor_id AS contributorId, value, created_at AS createdAt
       FROM ${table} WHERE contributor_id = ? ORDER BY created_at`,
    );
  }

  insert(vote: Vote): void {
    this.insertStmt.run(vote.targetId, vote.contributorId, vote.value, vote.createdAt);
  }

  hasVoted(targetId: string, contributorId: string): boolean {
    return (this.existsStmt.get(targetId, contributorId) as number) > 0;
  }

  tally(targetId: string): VoteTally {
    return this.tallyStmt.get(targetId) ?? { up: 0, down: 0 };
  }

  ofContributor(contributorId: string): Vote[] {
    return this.ofContributorStmt.all(contributorId);
  }
}
