/**
 * Withdrawal notices become one kind of the node's signed notices: retractions and access
 * changes join them in one append-only sequence, which trainers and indexes read by cursor.
 */
export const notices = `
ALTER TABLE withdrawal_notices RENAME TO notices;
ALTER TABLE notices ADD COLUMN kind TEXT NOT NULL DEFAULT 'withdrawal'
  CHECK (kind IN ('withdrawal', 'retraction', 'access-change'));
CREATE INDEX notices_kind ON notices(kind, seq);
`;
