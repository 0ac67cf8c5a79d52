/**
 * Tokens get what an operator needs to manage them: an id to name one by (random, so it says
 * nothing about the token or its hash; existing tokens get one here), a label, an expiry and the
 * time of last use. The table is rebuilt so that `id` can be NOT NULL and UNIQUE.
 *
 * `auth_generation` counts changes that can make a resolved token wrong: a revocation, an
 * expiry, a changed or erased contributor. Triggers bump it whatever connection or process
 * writes, so a running node sees `tributary admin revoke` from another process at its next
 * request (server/node/stores/contributors.ts). `last_used_at` is left out on purpose: recording
 * use must not empty every node's token cache.
 */
export const tokenLifecycle = `
CREATE TABLE tokens_new (
  hash            TEXT PRIMARY KEY,
  id              TEXT NOT NULL UNIQUE,
  contributor_id  TEXT NOT NULL REFERENCES contributors(id),
  name            TEXT,
  created_at      TEXT NOT NULL,
  expires_at      TEXT,
  last_used_at    TEXT,
  revoked_at      TEXT
);
INSERT INTO tokens_new (hash, id, contributor_id, created_at, revoked_at)
  SELECT hash, lower(hex(randomblob(8))), contributor_id, created_at, revoked_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE INDEX tokens_contributor ON tokens(contributor_id);

CREATE TABLE auth_generation (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  value  INTEGER NOT NULL
);
INSERT INTO auth_generation (id, value) VALUES (1, 0);

CREATE TRIGGER tokens_auth_update AFTER UPDATE OF hash, contributor_id, expires_at, revoked_at ON tokens
BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER tokens_auth_delete AFTER DELETE ON tokens
BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER contributors_auth_update AFTER UPDATE ON contributors
BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER contributors_auth_delete AFTER DELETE ON contributors
BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
`;
