/**
 * The outbox to each index the node publishes to. What the node has to say is already durable
 * and append-only: every release's signed manifest (`releases`, in rowid order) and every signed
 * notice (`notices`, by seq). An index's row holds how far it has acknowledged each, so nothing
 * is lost across restarts and nothing is sent twice once acknowledged; failures back off. What an
 * index refuses for good (a 4xx about the thing sent, not about the node) is counted and passed
 * over, so one refusal never holds back everything behind it.
 */
export const indexDeliveries = `
CREATE TABLE index_deliveries (
  index_url          TEXT PRIMARY KEY,
  registered_key_id  TEXT,
  manifests_sent     INTEGER NOT NULL DEFAULT 0,
  notices_sent       INTEGER NOT NULL DEFAULT 0,
  heartbeat_sequence INTEGER NOT NULL DEFAULT 0,
  failures           INTEGER NOT NULL DEFAULT 0,
  next_attempt_at    TEXT,
  last_error         TEXT,
  last_delivered_at  TEXT,
  refused            INTEGER NOT NULL DEFAULT 0,
  last_refusal       TEXT
);
`;
