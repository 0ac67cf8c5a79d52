export type VoteValue = 'up' | 'down' | 'skip';
export type Decision = 'validated' | 'rejected' | null;

export interface QuorumRule {
  /** Up votes needed (and more up than down) to validate. */
  validateAt: number;
  /** Down votes needed (and more down than up) to reject. */
  rejectAt: number;
}

export interface VoteTally {
  up: number;
  down: number;
}

/** Skips count for nothing: they only move a sample to the next validator. */
export function decide({ up, down }: VoteTally, rule: QuorumRule): Decision {
  if (up >= rule.validateAt && up > down) return 'validated';
  if (down >= rule.rejectAt && down > up) return 'rejected';
  return null;
}
